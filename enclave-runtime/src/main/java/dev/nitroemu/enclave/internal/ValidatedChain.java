package dev.nitroemu.enclave.internal;

import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A certificate chain that passed every structural check, with the window in which all its
 * certificates are valid at once.
 *
 * @param certificates leaf first, trust anchor last
 * @param notBefore the latest notBefore of the chain
 * @param notAfter the earliest notAfter of the chain
 */
public record ValidatedChain(
    List<X509Certificate> certificates, Instant notBefore, Instant notAfter) {

  public ValidatedChain {
    certificates = List.copyOf(certificates);
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return certificates.get(0);
  }

  /** The leaf's public key, which signs the document. */
  public PublicKey leafKey() {
    return leaf().getPublicKey();
  }

  /** The trust anchor the chain ends in. */
  public X509Certificate anchor() {
    return certificates.get(certificates.size() - 1);
  }

  /**
   * Whether every certificate of the chain is valid at {@code time} (bounds inclusive, as X.509).
   */
  public boolean coversTime(Instant time) {
    return !time.isBefore(notBefore) && !time.isAfter(notAfter);
  }
}
