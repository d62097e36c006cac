package dev.nitroemu.container.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shared libraries (loader included) that ELF files of this machine load, found with {@code
 * ldd}: what a {@code FROM scratch} image must hold, at the same paths, to run them.
 */
public final class SharedLibraries {

  private static final Pattern LDD_LIBRARY =
      Pattern.compile("(?:=>\\s*)?(/\\S+)\\s+\\(0x[0-9a-f]+\\)");
  private static final long LDD_TIMEOUT_SECONDS = 30;
  private static final byte[] ELF_MAGIC = {0x7f, 'E', 'L', 'F'};

  private SharedLibraries() {}

  /**
   * Absolute paths of the libraries {@code files} load, leaving out those under {@code
   * excludedRoot} (null for none) and the files that are not ELF (scripts, data) or are static.
   */
  public static List<String> of(Collection<Path> files, Path excludedRoot) throws IOException {
    Set<String> libraries = new TreeSet<>();
    for (Path file : files) {
      if (!isElf(file)) {
        continue;
      }
      Matcher m = LDD_LIBRARY.matcher(ldd(file));
      while (m.find()) {
        String path = m.group(1);
        if (excludedRoot == null || !path.startsWith(excludedRoot.toString())) {
          libraries.add(path);
        }
      }
    }
    return List.copyOf(libraries);
  }

  /** Whether {@code file} is a regular file starting with the ELF magic. */
  public static boolean isElf(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      return java.util.Arrays.equals(in.readNBytes(ELF_MAGIC.length), ELF_MAGIC);
    }
  }

  private static String ldd(Path binary) throws IOException {
    Process process =
        new ProcessBuilder("ldd", binary.toString()).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = process.getInputStream()) {
      in.transferTo(out);
      if (!process.waitFor(LDD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("ldd " + binary + " took longer than " + LDD_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IOException("interrupted while running ldd " + binary, e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
