package dev.nitroemu.enclave;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An attestation document whose signature, certificate chain and (if asked) nonce checked out.
 *
 * @param document the decoded payload
 * @param chain the validated chain: leaf first, then the cabundle intermediates, the trust anchor
 *     last
 * @param root the trust anchor the chain ends in (the configured certificate, not {@code
 *     cabundle[0]})
 * @param encoding whether the payload's outer map was definite ({@code A9}) or indefinite ({@code
 *     BF})
 * @param verifiedAt the time at which the certificates were validated
 */
public record VerifiedAttestation(
    AttestationDocument document,
    List<X509Certificate> chain,
    X509Certificate root,
    PayloadEncoding encoding,
    Instant verifiedAt) {

  public VerifiedAttestation {
    Objects.requireNonNull(document, "document");
    chain = List.copyOf(chain);
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(encoding, "encoding");
    Objects.requireNonNull(verifiedAt, "verifiedAt");
  }

  /** The leaf certificate that signed the document. */
  public X509Certificate leaf() {
    return chain.get(0);
  }
}
