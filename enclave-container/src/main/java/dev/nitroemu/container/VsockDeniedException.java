package dev.nitroemu.container;

import org.testcontainers.containers.ContainerLaunchException;

/**
 * An enclave container under {@code nitro-emu-init} could not start because its seccomp profile
 * denies {@code socket(AF_VSOCK)} (as upstream Docker's default profile does) before the supervisor
 * can emulate it; the message is the supervisor's one-line diagnostic and the fix.
 */
public class VsockDeniedException extends ContainerLaunchException {

  private static final long serialVersionUID = 1L;

  /** {@code diagnostic}: the supervisor's line; {@code cause}: the failed start. */
  public VsockDeniedException(String diagnostic, Throwable cause) {
    super(diagnostic, cause);
  }
}
