package dev.nitroemu.languages;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The language matrix: one enclave program per row, built by {@code src/build/build-programs.sh}
 * into {@code target/programs/<name>} (or {@code <name>.skipped} saying why not), run as {@code
 * <name> NONCE_HEX ECHO_PORT LISTEN_PORT}. A new language is a new row here, named as in the
 * script.
 */
enum Program {
  C_DYNAMIC("c-dynamic", Runtime.NATIVE),
  C_STATIC("c-static", Runtime.NATIVE),
  PYTHON("python", Runtime.PYTHON),
  GO("go", Runtime.NATIVE),
  RUST("rust", Runtime.NATIVE);

  /** What the program needs besides its own file to run in a {@code FROM scratch} image. */
  enum Runtime {
    /** An ELF executable: itself and the shared libraries it loads (none when static). */
    NATIVE,
    /** A Python 3 script for Debian's {@code /usr/bin/python3}: the interpreter and cbor2 too. */
    PYTHON
  }

  private final String fileName;
  private final Runtime runtime;

  Program(String fileName, Runtime runtime) {
    this.fileName = fileName;
    this.runtime = runtime;
  }

  /** The name in {@code target/programs} and in the build script. */
  String fileName() {
    return fileName;
  }

  /** What the program's image holds besides the program. */
  Runtime runtime() {
    return runtime;
  }

  /** The built program on this machine. */
  Path path() {
    return directory().resolve(fileName).toAbsolutePath();
  }

  /** Why the build did not produce the program here (its toolchain is missing), or empty. */
  Optional<String> unavailableReason() {
    if (Files.isExecutable(path())) {
      return Optional.empty();
    }
    Path skipped = directory().resolve(fileName + ".skipped");
    try {
      return Optional.of(
          Files.exists(skipped)
              ? "the " + fileName + " program was not built: " + Files.readString(skipped).strip()
              : "no " + path() + ": build the module with Maven (src/build/build-programs.sh)");
    } catch (IOException e) {
      return Optional.of("cannot read " + skipped + ": " + e.getMessage());
    }
  }

  private static Path directory() {
    return Path.of(System.getProperty("nitro.programs.dir", "target/programs"));
  }

  @Override
  public String toString() {
    return fileName;
  }
}
