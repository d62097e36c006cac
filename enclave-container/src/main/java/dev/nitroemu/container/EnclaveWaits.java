package dev.nitroemu.container;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.containers.wait.strategy.WaitStrategy;

/**
 * Readiness checks for an {@link EnclaveContainer}: a vsock port that accepts, or a console line.
 */
public final class EnclaveWaits {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);
  private static final long RETRY_MILLIS = 100;

  private EnclaveWaits() {}

  /**
   * Ready when the enclave accepts a vsock connection on {@code port} from the parent (the probe
   * connection is closed at once, as a TCP port check does); fails early if the enclave ends.
   */
  public static WaitStrategy listeningOnVsockPort(long port) {
    return new VsockPortWait(port);
  }

  /**
   * Ready when an enclave under {@code nitro-emu-init} has booted: the parent services answered its
   * boot heartbeat ({@code 0xB7} to {@code 3:9000}, as AWS's init sends, after the supervisor's
   * AF_VSOCK preflight; its command runs next); when an emulator container serves the enclave, once
   * the supervisor has started its command (a second process in the container). Fails early if the
   * enclave ends first, with {@link VsockDeniedException} when its seccomp profile denies {@code
   * AF_VSOCK}. The default wait of supervised enclave containers.
   */
  public static WaitStrategy booted() {
    return new BootWait();
  }

  /**
   * Ready once a console line matches {@code regex} (a whole-line Java regex, without the line
   * break).
   */
  public static WaitStrategy consoleLine(String regex) {
    return Wait.forLogMessage("(?:" + regex + ")\\R?", 1);
  }

  private static final class BootWait extends AbstractWaitStrategy {
    @Override
    protected void waitUntilReady() {
      if (!(waitStrategyTarget instanceof EnclaveContainer enclave)) {
        throw new IllegalStateException("booted() works on an EnclaveContainer only");
      }
      if (!enclave.supervised()) {
        return;
      }
      long deadline = System.nanoTime() + startupTimeout.toNanos();
      while (!booted(enclave)) {
        if (!enclave.isRunning()) {
          ContainerLaunchException failure =
              enclave.launchFailure("the enclave ended while booting", null);
          if (failure instanceof VsockDeniedException) {
            throw failure;
          }
          return; // it ran its command and ended: booted, and already over
        }
        if (System.nanoTime() - deadline >= 0) {
          throw enclave.launchFailure("the enclave did not boot within " + startupTimeout, null);
        }
        try {
          Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ContainerLaunchException(
              "interrupted while waiting for the enclave to boot", e);
        }
      }
    }

    /**
     * The parent services answered the boot heartbeat or, where they are not in this JVM (an
     * emulator container serves the enclave), the supervisor started its command.
     */
    private static boolean booted(EnclaveContainer enclave) {
      OptionalLong heartbeats = enclave.heartbeats();
      return heartbeats.isPresent() ? heartbeats.getAsLong() > 0 : commandStarted(enclave);
    }

    /**
     * Whether the supervisor has forked its command (a second process in the container), which it
     * does only after its preflight and its boot heartbeat.
     */
    private static boolean commandStarted(EnclaveContainer enclave) {
      try {
        String[][] processes =
            enclave
                .getDockerClient()
                .topContainerCmd(enclave.getContainerId())
                .exec()
                .getProcesses();
        return processes != null && processes.length >= 2;
      } catch (RuntimeException notRunning) {
        return false;
      }
    }
  }

  private static final class VsockPortWait extends AbstractWaitStrategy {
    private final long port;

    VsockPortWait(long port) {
      this.port = port;
      VsockAddress.of(VsockAddress.CID_PARENT, port); // checks the port
    }

    @Override
    protected void waitUntilReady() {
      if (!(waitStrategyTarget instanceof EnclaveContainer enclave)) {
        throw new IllegalStateException("listeningOnVsockPort works on an EnclaveContainer only");
      }
      long deadline = System.nanoTime() + startupTimeout.toNanos();
      IOException last = null;
      while (System.nanoTime() - deadline < 0) {
        if (!enclave.isRunning()) {
          throw enclave.launchFailure(
              "the enclave ended before listening on vsock port " + port, null);
        }
        try (VsockConnection probe =
            enclave
                .parentTransport()
                .connect(VsockAddress.of(enclave.enclaveCid(), port), CONNECT_TIMEOUT)) {
          return;
        } catch (IOException e) {
          last = e;
        }
        try {
          Thread.sleep(RETRY_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new ContainerLaunchException("interrupted while waiting for vsock port " + port, e);
        }
      }
      throw new ContainerLaunchException(
          "the enclave did not listen on vsock port "
              + port
              + " within "
              + startupTimeout
              + (last == null ? "" : " (last attempt: " + last.getMessage() + ")")
              + "; console:\n"
              + enclave.consoleOutput());
    }
  }
}
