package dev.nitroemu.container;

import dev.nitroemu.container.internal.SupervisedLaunch;
import java.util.Optional;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.utility.LogUtils;

/** Why a start of an {@link EnclaveContainer} failed, told from its exit and its console. */
final class SupervisedFailure {

  private SupervisedFailure() {}

  /**
   * {@code failure} itself, or the {@link VsockDeniedException} in its causes or told by the
   * supervisor's console line.
   */
  static RuntimeException explain(EnclaveContainer enclave, RuntimeException failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof VsockDeniedException denied) {
        return denied;
      }
    }
    Optional<String> denial = SupervisedLaunch.vsockDenial(console(enclave));
    return denial
        .<RuntimeException>map(line -> new VsockDeniedException(line, failure))
        .orElse(failure);
  }

  /** A {@link VsockDeniedException}, or {@code what} with the termination and the console. */
  static ContainerLaunchException describe(EnclaveContainer enclave, String what, Throwable cause) {
    String console = console(enclave);
    Optional<String> denial = SupervisedLaunch.vsockDenial(console);
    if (denial.isPresent()) {
      return new VsockDeniedException(denial.get(), cause);
    }
    return new ContainerLaunchException(
        what
            + "; "
            + enclave.termination().map(Object::toString).orElse("state unknown")
            + "; console:\n"
            + console,
        cause);
  }

  /** The container's whole output from Docker when it is still there, else the console buffer. */
  private static String console(EnclaveContainer enclave) {
    String id = enclave.getContainerId();
    if (id != null) {
      try {
        return LogUtils.getOutput(enclave.getDockerClient(), id);
      } catch (RuntimeException gone) {
        // removed already: the console buffer has what the log consumer saw
      }
    }
    return enclave.consoleOutput();
  }
}
