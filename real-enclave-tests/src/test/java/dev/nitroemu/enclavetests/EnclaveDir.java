package dev.nitroemu.enclavetests;

import java.nio.file.Path;

/**
 * Where the nightly scripts live: {@code nitro.enclave.dir} (set by the build), else {@code
 * enclave}.
 */
final class EnclaveDir {

  private EnclaveDir() {}

  static Path path() {
    return Path.of(System.getProperty("nitro.enclave.dir", "enclave"));
  }
}
