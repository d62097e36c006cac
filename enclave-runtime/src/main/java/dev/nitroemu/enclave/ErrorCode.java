package dev.nitroemu.enclave;

import java.util.Optional;

/**
 * The error codes of the real Nitro Security Module, with their wire names and C values.
 *
 * <p>On the wire an error is {@code {"Error": "<name>"}}; in the C API ({@code nsm-lib}) the
 * ordinal below is returned. The names and order are those of {@code aws-nitro-enclaves-nsm-api}'s
 * {@code ErrorCode}.
 */
public enum ErrorCode {
  /** Not an error; present because the real enum has it (C value 0). */
  SUCCESS("Success"),
  /** An argument is missing, of the wrong type or out of range. */
  INVALID_ARGUMENT("InvalidArgument"),
  /** A PCR index is {@code >= max_pcrs}. */
  INVALID_INDEX("InvalidIndex"),
  /** The response did not match the request (client side). */
  INVALID_RESPONSE("InvalidResponse"),
  /** The PCR is locked and cannot be extended or locked again. */
  READ_ONLY_INDEX("ReadOnlyIndex"),
  /** The request could not be decoded or names no known operation. */
  INVALID_OPERATION("InvalidOperation"),
  /** The caller's output buffer is too small (C API). */
  BUFFER_TOO_SMALL("BufferTooSmall"),
  /**
   * The request is larger than 4096 bytes (the emulator also answers it for an attestation field
   * over 1024).
   */
  INPUT_TOO_LARGE("InputTooLarge"),
  /** Any other failure inside the module or the driver. */
  INTERNAL_ERROR("InternalError");

  private final String wireName;

  ErrorCode(String wireName) {
    this.wireName = wireName;
  }

  /** The name as it appears on the wire, e.g. {@code "InvalidIndex"}. */
  public String wireName() {
    return wireName;
  }

  /** The value of this code in the C API ({@code #[repr(C)]} order). */
  public int cValue() {
    return ordinal();
  }

  /** Looks a code up by its wire name. */
  public static Optional<ErrorCode> fromWireName(String name) {
    for (ErrorCode code : values()) {
      if (code.wireName.equals(name)) {
        return Optional.of(code);
      }
    }
    return Optional.empty();
  }
}
