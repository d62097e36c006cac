package dev.nitroemu.container.internal;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The canonical description of an image's root filesystem plus its command and environment, the
 * bytes an image-derived PCR2 measures: one record per file, sorted by path, with the file's type,
 * permission bits, owner, link target, size and content SHA-384; timestamps are left out. Read from
 * a created (never started) container with the archive API, as {@code docker export} would give it.
 */
public final class ImageFilesystem {

  /** Largest canonical description accepted (about 200 bytes a file: some 300,000 files). */
  static final int MAX_DESCRIPTION_BYTES = 64 << 20;

  /**
   * Files Docker adds to every container and linuxkit drops or replaces when nitro-cli builds an
   * EIF; never measured (the first three are directories whose whole subtree is left out).
   */
  private static final Set<String> SKIPPED_TREES = Set.of("dev", "proc", "sys");

  private static final Set<String> SKIPPED_FILES =
      Set.of(".dockerenv", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab");

  private ImageFilesystem() {}

  /**
   * The canonical bytes of {@code image} with {@code command} and {@code environment} as the {@code
   * cmd} and {@code env} files nitro-cli adds to the customer ramdisk.
   *
   * @throws IllegalStateException if the image's filesystem is larger than can be described
   */
  public static byte[] describe(
      DockerClient docker, String image, List<String> command, List<String> environment) {
    CreateContainerResponse created =
        docker
            .createContainerCmd(image)
            .withEntrypoint("/nitro-emu-measure")
            .withCmd(List.of())
            .withNetworkDisabled(true)
            .exec();
    try (InputStream tar = docker.copyArchiveFromContainerCmd(created.getId(), "/").exec()) {
      TreeMap<String, byte[]> records = records(tar);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      write(out, "nitro-emu image filesystem v1\n");
      for (Map.Entry<String, byte[]> record : records.entrySet()) {
        out.writeBytes(record.getValue());
        if (out.size() > MAX_DESCRIPTION_BYTES) {
          throw new IllegalStateException(
              "image "
                  + image
                  + " has too many files to measure (description > "
                  + (MAX_DESCRIPTION_BYTES >> 20)
                  + " MiB)");
        }
      }
      write(out, "cmd\n");
      command.forEach(arg -> write(out, arg + "\n"));
      write(out, "env\n");
      environment.forEach(variable -> write(out, variable + "\n"));
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the filesystem of image " + image, e);
    } finally {
      docker.removeContainerCmd(created.getId()).withForce(true).withRemoveVolumes(true).exec();
    }
  }

  private static TreeMap<String, byte[]> records(InputStream tar) throws IOException {
    TreeMap<String, byte[]> records = new TreeMap<>();
    TarArchiveInputStream entries = new TarArchiveInputStream(tar);
    MessageDigest sha384 = sha384();
    byte[] buffer = new byte[64 * 1024];
    for (TarArchiveEntry entry = entries.getNextEntry();
        entry != null;
        entry = entries.getNextEntry()) {
      String path = normalize(entry.getName());
      if (path.isEmpty() || skipped(path)) {
        continue;
      }
      String content = "";
      if (entry.isFile()) {
        sha384.reset();
        for (int n = entries.read(buffer); n >= 0; n = entries.read(buffer)) {
          sha384.update(buffer, 0, n);
        }
        content = java.util.HexFormat.of().formatHex(sha384.digest());
      }
      String link = entry.isSymbolicLink() || entry.isLink() ? entry.getLinkName() : "";
      String record =
          path
              + "\0"
              + type(entry)
              + "\0"
              + Integer.toOctalString(entry.getMode() & 07777)
              + "\0"
              + entry.getLongUserId()
              + ":"
              + entry.getLongGroupId()
              + "\0"
              + link
              + "\0"
              + (entry.isFile() ? entry.getSize() : 0)
              + "\0"
              + content
              + "\n";
      records.put(path, record.getBytes(StandardCharsets.UTF_8));
    }
    return records;
  }

  private static String normalize(String name) {
    String path = name;
    while (path.startsWith("./") || path.startsWith("/")) {
      path = path.substring(path.startsWith("./") ? 2 : 1);
    }
    // The archive of "/" names everything below one top directory, e.g. "/" itself: drop it.
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return path.equals(".") ? "" : path;
  }

  private static boolean skipped(String path) {
    int slash = path.indexOf('/');
    String top = slash < 0 ? path : path.substring(0, slash);
    return SKIPPED_TREES.contains(top) && slash >= 0 || SKIPPED_FILES.contains(path);
  }

  private static char type(TarArchiveEntry entry) {
    if (entry.isDirectory()) {
      return 'd';
    } else if (entry.isSymbolicLink()) {
      return 'l';
    } else if (entry.isLink()) {
      return 'h';
    } else if (entry.isCharacterDevice()) {
      return 'c';
    } else if (entry.isBlockDevice()) {
      return 'b';
    } else if (entry.isFIFO()) {
      return 'p';
    }
    return 'f';
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is missing from this JDK", e);
    }
  }
}
