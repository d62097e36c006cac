package dev.nitroemu.enclave.internal;

import java.nio.charset.Charset;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the Unix sockets of one hybrid vsock channel live: {@code <dir>/<base>} for connections
 * into the enclave, {@code <dir>/<base>_<port>} for each port the parent listens on.
 *
 * @param directory the directory both sides see
 * @param baseName the file name of the enclave side's socket, and the prefix of the parent's
 */
public record HybridPaths(Path directory, String baseName) {

  /**
   * Longest socket path Linux takes: {@code sun_path} is 108 bytes with its terminating NUL. macOS
   * allows 103; a path that fits Linux may still be too long there.
   */
  public static final int MAX_SOCKET_PATH_BYTES = 107;

  private static final String LONGEST_SUFFIX = "_4294967295";

  /** Checks the name and that the longest socket path fits. */
  public HybridPaths {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(baseName, "baseName");
    if (baseName.isEmpty()
        || baseName.equals(".")
        || baseName.equals("..")
        || !baseName.chars().allMatch(c -> c > 0x20 && c < 0x7F && c != '/' && c != '\\')) {
      throw new IllegalArgumentException(
          "the hybrid vsock base name must be a plain file name of printable ASCII without spaces, was '"
              + baseName
              + "'");
    }
    directory = directory.normalize();
    String longest = directory.resolve(baseName + LONGEST_SUFFIX).toString();
    int bytes = longest.getBytes(Charset.defaultCharset()).length;
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new IllegalArgumentException(
          "hybrid vsock socket paths such as "
              + longest
              + " are "
              + bytes
              + " bytes, more than the "
              + MAX_SOCKET_PATH_BYTES
              + " a Unix socket path may have: use a shorter directory");
    }
  }

  /**
   * {@code <dir>/<base>}: the enclave side listens here for {@code CONNECT <port>} from the parent.
   */
  public Path multiplexerSocket() {
    return directory.resolve(baseName);
  }

  /**
   * {@code <dir>/<base>_<port>}: the parent listens here for the enclave's connections to {@code
   * port}.
   */
  public Path portSocket(long port) {
    return directory.resolve(baseName + "_" + port);
  }
}
