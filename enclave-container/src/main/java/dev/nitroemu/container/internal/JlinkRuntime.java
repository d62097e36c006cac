package dev.nitroemu.container.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

/**
 * A root filesystem holding a jlink'd Java runtime of this JVM's JDK at {@value #JAVA_HOME} plus
 * the loader and shared libraries it links against (found with {@code ldd}, copied from this
 * machine to the same paths), so that a {@code FROM scratch} image runs {@code /opt/java/bin/java}.
 * Built once per JDK and module set into {@code <cache>/jre-<key>/rootfs} (atomically: a half-built
 * tree is never reused).
 */
public final class JlinkRuntime {

  /** Where the runtime lives inside the image. */
  public static final String JAVA_HOME = "/opt/java";

  private static final String COMPLETE_MARKER = ".complete";

  private JlinkRuntime() {}

  /**
   * A short key naming this JDK, architecture and module set: the same key means the same runtime.
   */
  public static String key(Set<String> modules) {
    String identity =
        System.getProperty("java.home")
            + "|"
            + System.getProperty("java.vm.version")
            + "|"
            + System.getProperty("os.arch")
            + "|"
            + new TreeSet<>(modules);
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JDK", e);
    }
  }

  /**
   * The root filesystem for {@code modules} under {@code cacheDirectory}, built on first use.
   *
   * @throws IllegalStateException if this JDK has no jlink or no jmods, or ldd fails
   */
  public static synchronized Path rootFilesystem(Set<String> modules, Path cacheDirectory) {
    Path root = cacheDirectory.resolve("jre-" + key(modules));
    if (Files.exists(root.resolve(COMPLETE_MARKER))) {
      return root.resolve("rootfs");
    }
    try {
      Files.createDirectories(cacheDirectory);
      Path stagingDirectory = Files.createTempDirectory(cacheDirectory, "staging-");
      Path staging = Files.createDirectories(stagingDirectory.resolve("rootfs"));
      Path javaHome = staging.resolve(JAVA_HOME.substring(1));
      Files.createDirectories(javaHome.getParent());
      jlink(modules, javaHome);
      for (String library : sharedLibraries(javaHome)) {
        Path target = staging.resolve(library.substring(1));
        Files.createDirectories(target.getParent());
        Files.copy(
            Path.of(library), target, StandardCopyOption.REPLACE_EXISTING); // follows symlinks
      }
      Path tmp = Files.createDirectories(staging.resolve("tmp"));
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      Files.writeString(stagingDirectory.resolve(COMPLETE_MARKER), key(modules));
      if (Files.exists(root)) {
        deleteTree(root); // an earlier, unfinished attempt
      }
      Files.move(stagingDirectory, root, StandardCopyOption.ATOMIC_MOVE);
      return root.resolve("rootfs");
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot build the Java runtime for enclave images in " + cacheDirectory, e);
    }
  }

  private static void jlink(Set<String> modules, Path output) {
    ToolProvider jlink =
        ToolProvider.findFirst("jlink")
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "this JVM ("
                            + System.getProperty("java.home")
                            + ") has no jlink: run the tests on a JDK, not a JRE"));
    StringWriter log = new StringWriter();
    PrintWriter out = new PrintWriter(log);
    int status =
        jlink.run(
            out,
            out,
            "--add-modules",
            String.join(",", new TreeSet<>(modules)),
            "--strip-debug",
            "--no-man-pages",
            "--no-header-files",
            "--output",
            output.toString());
    if (status != 0) {
      throw new IllegalStateException("jlink failed (" + status + "): " + log.toString().strip());
    }
  }

  /**
   * Absolute paths of every shared library the runtime's executables and libraries load, loader
   * included.
   */
  static List<String> sharedLibraries(Path javaHome) throws IOException {
    List<Path> binaries = new ArrayList<>();
    binaries.add(javaHome.resolve("bin/java"));
    try (Stream<Path> files = Files.walk(javaHome.resolve("lib"))) {
      files.filter(p -> p.getFileName().toString().endsWith(".so")).forEach(binaries::add);
    }
    return SharedLibraries.of(binaries, javaHome);
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p :
          (Iterable<Path>) paths.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
