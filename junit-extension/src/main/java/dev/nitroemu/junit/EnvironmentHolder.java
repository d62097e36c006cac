package dev.nitroemu.junit;

import dev.nitroemu.stack.EnclaveEnvironment;

/**
 * Starts an environment on first use and closes it with the JUnit context that holds it, so a class
 * whose tests are all skipped never starts one. A failed start is remembered: later tests fail with
 * the same cause instead of starting again.
 */
final class EnvironmentHolder implements AutoCloseable {

  private final EnclaveEnvironment.Builder options;
  private EnclaveEnvironment environment;
  private RuntimeException failure;
  private boolean closed;

  EnvironmentHolder(EnclaveEnvironment.Builder options) {
    this.options = options;
  }

  synchronized EnclaveEnvironment get() {
    if (closed) {
      throw new IllegalStateException("the enclave environment is already closed");
    }
    if (failure != null) {
      throw new IllegalStateException("the enclave environment failed to start earlier: " + failure.getMessage(),
          failure);
    }
    if (environment == null) {
      try {
        environment = options.start();
      } catch (RuntimeException e) {
        failure = e;
        throw e;
      }
    }
    return environment;
  }

  @Override
  public synchronized void close() throws Exception {
    closed = true;
    if (environment != null) {
      environment.close();
    }
  }
}
