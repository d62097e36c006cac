package dev.nitroemu.enclave;

import java.io.IOException;

/**
 * Thrown when real AF_VSOCK sockets are asked for on a machine that has none (not Linux, or no
 * {@code /dev/vsock}).
 */
public final class VsockUnavailableException extends IOException {
  private static final long serialVersionUID = 1L;

  public VsockUnavailableException(String message) {
    super(message);
  }

  public VsockUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
