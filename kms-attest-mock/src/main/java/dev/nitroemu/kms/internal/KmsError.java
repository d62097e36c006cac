package dev.nitroemu.kms.internal;

import java.util.Objects;

/**
 * A KMS error as the wire shows it: the {@code __type} shape name, the message, and the HTTP status
 * (400 for every client fault, 500 for internal faults). Never carries secrets.
 */
public final class KmsError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String type;
  private final int status;

  public KmsError(String type, String message) {
    this(type, message, 400);
  }

  public KmsError(String type, String message, int status) {
    super(message);
    this.type = Objects.requireNonNull(type, "type");
    this.status = status;
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
