package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * A KMS error as the wire shows it: the {@code __type} shape name, the message, and the HTTP status
 * (400 for every client fault, 500 for internal faults). Never carries secrets. A denial may carry
 * what the audit log records about why ({@link #denial()}); the client never sees that.
 */
public final class KmsError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String type;
  private final int status;
  private final transient ObjectNode denial;

  public KmsError(String type, String message) {
    this(type, message, 400);
  }

  public KmsError(String type, String message, int status) {
    this(type, message, status, null);
  }

  private KmsError(String type, String message, int status, ObjectNode denial) {
    super(message);
    this.type = Objects.requireNonNull(type, "type");
    this.status = status;
    this.denial = denial;
  }

  /** This error with {@code denial} as the reason the audit log records ({@link DenialDetails}). */
  public KmsError withDenial(ObjectNode denial) {
    KmsError error = new KmsError(type, getMessage(), status, denial.deepCopy());
    error.setStackTrace(getStackTrace());
    return error;
  }

  /**
   * Why the call was denied ({@code additionalEventData.denial} of its audit event; see {@link
   * DenialDetails}), or null; never part of the response.
   */
  public ObjectNode denial() {
    return denial == null ? null : denial.deepCopy();
  }

  /** The error shape name, e.g. {@code NotFoundException}. */
  public String type() {
    return type;
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** {@code ValidationException} with the given text. */
  public static KmsError validation(String message) {
    return new KmsError("ValidationException", message);
  }

  /** {@code NotFoundException} with the given text. */
  public static KmsError notFound(String message) {
    return new KmsError("NotFoundException", message);
  }

  /** {@code KMSInternalException} (HTTP 500). */
  public static KmsError internal(String message) {
    return new KmsError("KMSInternalException", message, 500);
  }
}
