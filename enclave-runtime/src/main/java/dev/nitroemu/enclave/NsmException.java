package dev.nitroemu.enclave;

import java.util.Objects;

/** Thrown by an {@link Nsm} call that the module answered with an {@link ErrorCode}. */
public class NsmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public NsmException(ErrorCode code, String message) {
    super(code.wireName() + ": " + message);
    this.code = Objects.requireNonNull(code, "code");
  }

  public NsmException(ErrorCode code, String message, Throwable cause) {
    super(code.wireName() + ": " + message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** The error code the module returned. */
  public ErrorCode code() {
    return code;
  }
}
