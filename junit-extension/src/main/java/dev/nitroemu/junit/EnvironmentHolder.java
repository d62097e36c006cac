package dev.nitroemu.junit;

import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveHost;

/**
 * Starts an environment on first use and closes it with the JUnit context that holds it, so a class
 * whose tests are all skipped never starts one. A failed start is remembered: later tests fail with
 * the same cause instead of starting again. An enclave host in the options that is not running once
 * the environment is started is started here, and stopped before the environment closes.
 */
final class EnvironmentHolder implements AutoCloseable {

  private final EnclaveEnvironment.Builder options;
  private EnclaveEnvironment environment;
  private RuntimeException failure;
  private boolean closed;
  private EnclaveHost startedHost;

  EnvironmentHolder(EnclaveEnvironment.Builder options) {
    this.options = options;
  }

  /** Whether the environment serves an enclave host (then it starts with the class, not lazily). */
  boolean servesEnclaveHost() {
    return options.enclaveHost().isPresent();
  }

  synchronized EnclaveEnvironment get() {
    if (closed) {
      throw new IllegalStateException("the enclave environment is already closed");
    }
    if (failure != null) {
      throw new IllegalStateException(
          "the enclave environment failed to start earlier: " + failure.getMessage(), failure);
    }
    if (environment == null) {
      try {
        environment = options.start();
        startHost();
      } catch (RuntimeException e) {
        failure = e;
        throw e;
      }
    }
    return environment;
  }

  /**
   * An enclave host nobody else started (no {@code @Container}) is started here and stopped at
   * close.
   */
  private void startHost() {
    EnclaveHost host = options.enclaveHost().orElse(null);
    if (host != null && !host.enclaveRunning()) {
      try {
        host.start();
        startedHost = host;
      } catch (RuntimeException e) {
        try {
          environment.close();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed);
        }
        environment = null;
        throw e;
      }
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    try {
      if (startedHost != null) {
        startedHost.stop();
      }
    } finally {
      if (environment != null) {
        environment.close();
      }
    }
  }
}
