package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.VerificationOptions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * Checks the {@code Recipient} parameter of Decrypt, GenerateDataKey, GenerateDataKeyPair,
 * GenerateRandom and DeriveSharedSecret: its shape, the attestation document's signature and chain,
 * its age, and its RSA public key.
 *
 * <p>Errors (real KMS's choice for bad documents is not public; see reference 3.2):
 *
 * <ul>
 *   <li>{@code ValidationException}: Recipient is not an object, {@code KeyEncryptionAlgorithm} is
 *       missing or not {@code RSAES_OAEP_SHA_256}, {@code AttestationDocument} is missing, not
 *       base64 or outside 1..262144 bytes, the document is not a well-formed NSM document (COSE,
 *       ES384 header, payload fields, size), or {@code public_key} is absent or not the DER
 *       SubjectPublicKeyInfo of an RSA-2048 key.
 *   <li>{@code AccessDeniedException}: the document does not verify (bad signature, certificate not
 *       acceptable, chain not leading to a configured trust anchor, certificate expired or not yet
 *       valid), no trust anchor is configured, the document is older than {@code maxAge} or dated
 *       more than {@link #MAX_FUTURE_SKEW} ahead of the clock. The message names the reason.
 * </ul>
 *
 * <p>Only RSA-2048 keys are accepted, because the Nitro SDK's documentation of {@code
 * RecipientInfo} says the document "must contain an RSA-2048 public key": accepting 3072 or 4096
 * here would let an application pass against the mock and fail against AWS. Error messages never
 * contain document bytes. Thread-safe.
 */
public final class RecipientVerifier {

  /** The only {@code KeyEncryptionAlgorithm} KMS defines. */
  public static final String RSAES_OAEP_SHA_256 = "RSAES_OAEP_SHA_256";

  /** Largest decoded {@code AttestationDocument} the KMS model allows, in bytes. */
  public static final int MAX_DOCUMENT_SIZE = 262_144;

  /** Required RSA modulus size of the document's {@code public_key}. */
  public static final int RSA_KEY_BITS = 2048;

  /** How far a document's timestamp may lie ahead of the clock (clock drift between hosts). */
  public static final Duration MAX_FUTURE_SKEW = Duration.ofSeconds(60);

  private static final int MAX_BASE64_CHARS = (MAX_DOCUMENT_SIZE + 2) / 3 * 4;
  private static final int MAX_REASON_DETAIL = 200;

  private final AttestationVerifier verifier;
  private final Duration maxAge;
  private final Clock clock;

  /**
   * @param verifier verifies documents against the configured trust anchors; null when none is
   *     configured, in which case every document is refused with AccessDeniedException
   * @param maxAge how old (document timestamp vs. clock) a document may be; positive
   * @param clock the time documents and certificates are checked at
   */
  public RecipientVerifier(AttestationVerifier verifier, Duration maxAge, Clock clock) {
    this.verifier = verifier;
    this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
    if (maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("maxAge must be positive, got " + maxAge);
    }
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The configured maximum document age. */
  public Duration maxAge() {
    return maxAge;
  }

  /**
   * Verifies one {@code Recipient} JSON value.
   *
   * @return the verified document and its RSA key
   * @throws KmsError ValidationException or AccessDeniedException as described in the class comment
   */
  public AttestedRecipient verify(JsonNode recipient) {
    if (recipient == null || !recipient.isObject()) {
      throw KmsError.validation(
          "Recipient must be a structure with KeyEncryptionAlgorithm and AttestationDocument.");
    }
    checkAlgorithm(recipient.get("KeyEncryptionAlgorithm"));
    byte[] document = decodeDocument(recipient.get("AttestationDocument"));
    if (verifier == null) {
      throw accessDenied(
          "no attestation trust anchor is configured on this KMS endpoint", null, clock.instant());
    }
    Instant now = clock.instant();
    AttestationDocument verified;
    try {
      verified = verifier.verify(document, VerificationOptions.defaults().at(now)).document();
    } catch (AttestationException e) {
      throw mapFailure(e, now);
    }
    checkAge(verified, now);
    return new AttestedRecipient(verified, rsaKey(verified.publicKey()));
  }

  private static void checkAlgorithm(JsonNode algorithm) {
    if (algorithm == null || algorithm.isNull()) {
      throw KmsError.validation(
          "Recipient.KeyEncryptionAlgorithm is required; the only value is RSAES_OAEP_SHA_256.");
    }
    if (!algorithm.isTextual() || !RSAES_OAEP_SHA_256.equals(algorithm.textValue())) {
      String shown =
          algorithm.isTextual()
              ? printable(algorithm.textValue())
              : algorithm.getNodeType().toString();
      throw KmsError.validation(
          "1 validation error detected: Value '"
              + shown
              + "' at 'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: "
              + "Member must satisfy enum value set: [RSAES_OAEP_SHA_256]");
    }
  }

  private static byte[] decodeDocument(JsonNode node) {
    if (node == null || node.isNull()) {
      throw KmsError.validation("Recipient.AttestationDocument is required.");
    }
    if (!node.isTextual()) {
      throw KmsError.validation("Recipient.AttestationDocument must be a base64-encoded blob.");
    }
    String text = node.textValue();
    if (text.length() > MAX_BASE64_CHARS) {
      throw documentLength();
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw KmsError.validation("Recipient.AttestationDocument is not valid base64.");
    }
    if (bytes.length == 0 || bytes.length > MAX_DOCUMENT_SIZE) {
      throw documentLength();
    }
    return bytes;
  }

  private static KmsError documentLength() {
    return KmsError.validation(
        "1 validation error detected: Value at 'recipient.attestationDocument' failed to "
            + "satisfy constraint: Member must have length between 1 and "
            + MAX_DOCUMENT_SIZE);
  }

  private void checkAge(AttestationDocument document, Instant now) {
    Instant documentTime = document.instant();
    if (documentTime.isAfter(now.plus(MAX_FUTURE_SKEW))) {
      throw accessDenied(
          "attestation document timestamp "
              + documentTime
              + " is later than "
              + now
              + " + "
              + MAX_FUTURE_SKEW.toSeconds()
              + " s",
          document,
          now);
    }
    if (documentTime.isBefore(now.minus(maxAge))) {
      throw accessDenied(
          "attestation document timestamp "
              + documentTime
              + " is older than the maximum age of "
              + maxAge.toSeconds()
              + " s at "
              + now,
          document,
          now);
    }
  }

  /**
   * Decodes {@code public_key} and insists on an exactly DER-encoded RSA-2048 SubjectPublicKeyInfo.
   */
  private static RSAPublicKey rsaKey(byte[] spki) {
    if (spki == null) {
      throw KmsError.validation(
          "The attestation document in Recipient has no public_key; it must carry the "
              + "DER SubjectPublicKeyInfo of an RSA-2048 key.");
    }
    PublicKey key;
    try {
      key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw notRsa2048("is not an RSA SubjectPublicKeyInfo");
    }
    if (!(key instanceof RSAPublicKey rsa) || !"RSA".equals(key.getAlgorithm())) {
      throw notRsa2048("is not an rsaEncryption key");
    }
    if (!Arrays.equals(spki, key.getEncoded())) {
      throw notRsa2048("is not DER-encoded (or has trailing bytes)");
    }
    int bits = rsa.getModulus().bitLength();
    if (bits != RSA_KEY_BITS) {
      throw notRsa2048("is an RSA-" + bits + " key");
    }
    if (!rsa.getPublicExponent().testBit(0) || rsa.getPublicExponent().bitLength() < 2) {
      throw notRsa2048("has an invalid public exponent");
    }
    return rsa;
  }

  private static KmsError notRsa2048(String problem) {
    return KmsError.validation(
        "The public_key in the Recipient attestation document "
            + problem
            + "; it must be the DER SubjectPublicKeyInfo of an RSA-2048 key.");
  }

  private static KmsError mapFailure(AttestationException e, Instant now) {
    switch (e.reason()) {
      case TOO_LARGE:
      case MALFORMED_COSE:
      case MALFORMED_PAYLOAD:
        // Parser messages may quote input; report the reason only.
        return KmsError.validation(
            "Recipient.AttestationDocument is not a valid attestation document ("
                + e.reason()
                + ").");
      case UNSUPPORTED_ALGORITHM:
      case INVALID_FIELD:
        return KmsError.validation(
            "Recipient.AttestationDocument is not a valid attestation document ("
                + e.reason()
                + ": "
                + detail(e)
                + ").");
      default:
        return accessDenied(e.reason() + ": " + detail(e), null, now);
    }
  }

  /**
   * The refusal; the audit log's denial detail repeats the reason and shows a verified document.
   */
  private static KmsError accessDenied(String reason, AttestationDocument document, Instant now) {
    return new KmsError(
            "AccessDeniedException",
            "The attestation document in the Recipient parameter was refused: " + reason + ".")
        .withDenial(DenialDetails.attestationRefused(reason, document, now));
  }

  private static String detail(AttestationException e) {
    return e.getMessage() == null ? "" : printable(e.getMessage());
  }

  /** Keeps text short and free of control characters before it goes into an error message. */
  private static String printable(String text) {
    StringBuilder sb = new StringBuilder(Math.min(text.length(), MAX_REASON_DETAIL + 3));
    for (int i = 0; i < text.length() && sb.length() < MAX_REASON_DETAIL; i++) {
      char c = text.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    if (text.length() > MAX_REASON_DETAIL) {
      sb.append("...");
    }
    return sb.toString();
  }
}
