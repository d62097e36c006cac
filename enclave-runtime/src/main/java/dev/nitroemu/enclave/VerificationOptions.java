package dev.nitroemu.enclave;

import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * Per-call settings of {@link AttestationVerifier#verify(byte[], VerificationOptions)}: at which
 * time to validate the certificates, and which nonce the document must carry.
 *
 * <p>Immutable: every method returns a new instance. The default validates at the verifier clock's
 * current time and does not check the nonce.
 */
public final class VerificationOptions {
  private static final VerificationOptions DEFAULTS = new VerificationOptions(null, false, null);

  private final Instant fixedTime;
  private final boolean documentTime;
  private final byte[] expectedNonce;

  private VerificationOptions(Instant fixedTime, boolean documentTime, byte[] expectedNonce) {
    this.fixedTime = fixedTime;
    this.documentTime = documentTime;
    this.expectedNonce = expectedNonce;
  }

  /** Validate at the verifier clock's current time, with no nonce check. */
  public static VerificationOptions defaults() {
    return DEFAULTS;
  }

  /** Validate the certificates at {@code time} instead of now. */
  public VerificationOptions at(Instant time) {
    return new VerificationOptions(Objects.requireNonNull(time, "time"), false, expectedNonce);
  }

  /**
   * Validate the certificates at the document's own {@code timestamp}, as needed for stored
   * documents whose 3-hour leaf certificate has since expired. This trusts the signed timestamp, so
   * it proves the document was genuine when made, not that it is fresh.
   */
  public VerificationOptions atDocumentTime() {
    return new VerificationOptions(null, true, expectedNonce);
  }

  /** Require the document's {@code nonce} to equal {@code nonce} exactly. */
  public VerificationOptions expectNonce(byte[] nonce) {
    return new VerificationOptions(
        fixedTime, documentTime, Objects.requireNonNull(nonce, "nonce").clone());
  }

  /** The time to validate at for a document with the given timestamp. */
  Instant verificationTime(AttestationDocument document, Clock clock) {
    if (documentTime) {
      return document.instant();
    }
    return fixedTime != null ? fixedTime : clock.instant();
  }

  /** The expected nonce, or null when the nonce is not checked. */
  byte[] expectedNonce() {
    return expectedNonce == null ? null : expectedNonce.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VerificationOptions other
        && Objects.equals(fixedTime, other.fixedTime)
        && documentTime == other.documentTime
        && Arrays.equals(expectedNonce, other.expectedNonce);
  }

  @Override
  public int hashCode() {
    return Objects.hash(fixedTime, documentTime, Arrays.hashCode(expectedNonce));
  }

  @Override
  public String toString() {
    String time =
        documentTime ? "document time" : fixedTime != null ? fixedTime.toString() : "clock now";
    String nonce = expectedNonce == null ? "unchecked" : expectedNonce.length + " bytes";
    return "VerificationOptions[at=" + time + ", nonce=" + nonce + "]";
  }
}
