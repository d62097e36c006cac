package dev.nitroemu.supervisor;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code nitro-emu-init} supervisor binaries this jar carries (static, Linux: the build
 * machine's architecture, and aarch64 as well when built on x86_64 with Debian's cross toolchain),
 * the one for this JVM's {@code os.arch}, and whether this machine can run it.
 *
 * <p>{@code nitro-emu-init [--vsock-dir DIR] [--base NAME] [--nsm-port PORT] [--] COMMAND
 * [ARGS...]} runs COMMAND with {@code /dev/nsm} and {@code AF_VSOCK} stream sockets emulated over
 * the hybrid vsock directory DIR (default {@code $NITRO_VSOCK_DIR}); the module README lists what
 * it covers. It needs Linux 5.9 or later (seccomp user notification with {@code
 * SECCOMP_IOCTL_NOTIF_ADDFD}).
 */
public final class SupervisorBinary {

  /** File name of the supervisor. */
  public static final String FILE_NAME = "nitro-emu-init";

  /** Oldest kernel the supervisor runs on: 5.9 added {@code SECCOMP_IOCTL_NOTIF_ADDFD}. */
  public static final String MINIMUM_KERNEL = "5.9";

  /**
   * Exit status of the supervisor when a seccomp profile denies {@code socket(AF_VSOCK)} before its
   * own filter can see it (it prints one line starting with {@value #VSOCK_DENIED_PREFIX} first).
   */
  public static final int EXIT_VSOCK_DENIED = 123;

  /** How the supervisor's one-line diagnostic for {@link #EXIT_VSOCK_DENIED} starts. */
  public static final String VSOCK_DENIED_PREFIX = "nitro-emu-init: socket(AF_VSOCK) is denied";

  private static final Pattern KERNEL_VERSION = Pattern.compile("^(\\d+)\\.(\\d+)");

  private SupervisorBinary() {}

  /** Linux's name of this JVM's architecture ({@code x86_64}, {@code aarch64}). */
  public static String architecture() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    return arch.equals("amd64") ? "x86_64" : arch;
  }

  /**
   * Where the jar keeps the binary for {@code architecture} ({@code x86_64} or {@code aarch64}).
   */
  public static String resourceName(String architecture) {
    return "native/linux-" + architecture + "/" + FILE_NAME;
  }

  /**
   * Why the supervisor cannot run here, or empty when it can: not Linux, a kernel older than
   * {@value #MINIMUM_KERNEL}, or no binary for this architecture in the jar (built without gcc, or
   * without the cross toolchain for aarch64).
   */
  public static Optional<String> unavailableReason() {
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return Optional.of("nitro-emu-init needs Linux, this is " + System.getProperty("os.name"));
    }
    String kernel = System.getProperty("os.version", "");
    Matcher version = KERNEL_VERSION.matcher(kernel);
    if (!version.find()
        || Integer.parseInt(version.group(1)) * 1000 + Integer.parseInt(version.group(2)) < 5009) {
      return Optional.of(
          "nitro-emu-init needs Linux "
              + MINIMUM_KERNEL
              + " or later (seccomp user notification"
              + " with SECCOMP_IOCTL_NOTIF_ADDFD), this kernel is "
              + kernel);
    }
    if (SupervisorBinary.class.getResource(resourceName(architecture())) == null) {
      return Optional.of(
          "this build has no nitro-emu-init for "
              + architecture()
              + " (it was built without gcc and libc6-dev, or on another architecture)");
    }
    return Optional.empty();
  }

  /**
   * Copies the binary into {@code directory} as an executable {@value #FILE_NAME}, replacing one
   * there.
   *
   * @throws IllegalStateException with {@link #unavailableReason()} when it cannot run here
   * @throws IOException if the file cannot be written
   */
  public static Path extractTo(Path directory) throws IOException {
    Optional<String> reason = unavailableReason();
    if (reason.isPresent()) {
      throw new IllegalStateException(reason.get());
    }
    Path target = directory.resolve(FILE_NAME);
    try (InputStream in =
        SupervisorBinary.class.getResourceAsStream(resourceName(architecture()))) {
      Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
    }
    if (!target.toFile().setExecutable(true, true)) {
      throw new IOException("cannot make " + target + " executable");
    }
    return target;
  }
}
