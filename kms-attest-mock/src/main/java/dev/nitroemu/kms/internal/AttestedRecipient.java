package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AttestationDocument;
import java.security.interfaces.RSAPublicKey;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;

/**
 * A {@code Recipient} whose attestation document verified: the document and the RSA key that {@code
 * CiphertextForRecipient} is encrypted to.
 *
 * @param document the verified attestation document
 * @param publicKey the document's {@code public_key}, an RSA-2048 key
 */
public record AttestedRecipient(AttestationDocument document, RSAPublicKey publicKey) {

  /** Condition key equal to PCR0, the enclave image digest. */
  public static final String IMAGE_SHA384_KEY = "kms:RecipientAttestation:ImageSha384";

  /** Prefix of the per-PCR condition keys; the PCR index follows, e.g. {@code ...:PCR0}. */
  public static final String PCR_KEY_PREFIX = "kms:RecipientAttestation:PCR";

  public AttestedRecipient {
    Objects.requireNonNull(document, "document");
    Objects.requireNonNull(publicKey, "publicKey");
  }

  /**
   * The attestation condition keys this recipient provides to policy evaluation: {@code
   * kms:RecipientAttestation:ImageSha384} (= PCR0) and {@code kms:RecipientAttestation:PCR<n>} for
   * every PCR in the document, each a single lowercase hex value.
   */
  public Map<String, List<String>> conditionContext() {
    HexFormat hex = HexFormat.of();
    Map<String, List<String>> context = new LinkedHashMap<>();
    byte[] pcr0 = document.pcr(0);
    if (pcr0 != null) {
      context.put(IMAGE_SHA384_KEY, List.of(hex.formatHex(pcr0)));
    }
    document
        .pcrs()
        .forEach(
            (index, value) -> context.put(PCR_KEY_PREFIX + index, List.of(hex.formatHex(value))));
    return context;
  }

  /** What the audit log records about this recipient: the module id and the PCRs. */
  public RecipientSummary summary() {
    SortedMap<Integer, byte[]> pcrs = document.pcrs();
    return new RecipientSummary(document.moduleId(), pcrs);
  }
}
