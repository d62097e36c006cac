package dev.nitroemu.enclave;

import java.util.Objects;

/**
 * Thrown when an attestation document is malformed or fails verification; {@link #reason()} says
 * which check.
 */
public class AttestationException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why a document was refused. */
  public enum Reason {
    /** Larger than any real document can be (over {@link Nsm#MAX_RESPONSE_SIZE} bytes). */
    TOO_LARGE,
    /** Not a COSE_Sign1 structure: not CBOR, wrong array shape or element types. */
    MALFORMED_COSE,
    /**
     * The protected header is not {@code {1: -35}} (ES384), or the unprotected header is unusable.
     */
    UNSUPPORTED_ALGORITHM,
    /** The payload is not a CBOR map of the expected fields. */
    MALFORMED_PAYLOAD,
    /**
     * A payload field has the wrong type, size or value (e.g. a 47-byte PCR, digest not SHA384).
     */
    INVALID_FIELD,
    /** The COSE signature does not verify with the leaf certificate's key. */
    BAD_SIGNATURE,
    /**
     * A certificate cannot be parsed or breaks the profile (key type, basic constraints, key
     * usage).
     */
    INVALID_CERTIFICATE,
    /** The chain does not lead from the leaf through the cabundle to a trusted root. */
    UNTRUSTED_CHAIN,
    /** A certificate in the chain is not yet valid at the verification time. */
    CERTIFICATE_NOT_YET_VALID,
    /** A certificate in the chain has expired at the verification time. */
    CERTIFICATE_EXPIRED,
    /** The document's nonce is not the expected one. */
    NONCE_MISMATCH
  }

  private final Reason reason;

  public AttestationException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public AttestationException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /** Which check refused the document. */
  public Reason reason() {
    return reason;
  }
}
