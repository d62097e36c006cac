package dev.nitroemu.enclave;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * Crash-safe file replacement and bounded reads that never follow a symbolic link at the file
 * itself.
 *
 * <p>{@link #write(Path, byte[])} writes a temporary file in the target's directory, fsyncs it,
 * renames it over the target atomically and fsyncs the directory: after a crash the target holds
 * either the old or the new content, and once the call returns the new content survives a power
 * loss. Files get mode {@code 0600} (owner read/write) unless the caller names other permissions;
 * the mode is set exactly, whatever the umask. A symbolic link (or anything but a regular file) at
 * the target is refused, never written through, and the temporary file is created with {@code
 * O_EXCL|O_NOFOLLOW} under a fresh random name, so a leftover from a crashed write or a planted
 * link never interferes. Symbolic links in the directory path (e.g. macOS's {@code /tmp}) are
 * resolved once, before writing, and the directory they lead to must exist. On file systems without
 * POSIX permissions (Windows) the permissions and the directory fsync are skipped.
 */
public final class AtomicFiles {

  /** {@code rw-------}: the default, for anything that may hold a secret. */
  public static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  /** {@code rw-r--r--}: for files other users and tools are meant to read, e.g. certificates. */
  public static final Set<PosixFilePermission> WORLD_READABLE =
      PosixFilePermissions.fromString("rw-r--r--");

  /**
   * {@code rwx------}: the mode {@link #createPrivateDirectories(Path)} gives the directories it
   * creates.
   */
  public static final Set<PosixFilePermission> PRIVATE_DIRECTORY =
      PosixFilePermissions.fromString("rwx------");

  /** Every temporary file this class creates ends with this; see {@link #isTemporaryFile(Path)}. */
  public static final String TEMPORARY_SUFFIX = ".atomic-tmp";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_NAME_IN_TEMPORARY = 100;

  private AtomicFiles() {}

  /**
   * Replaces {@code target} with {@code content}, owner-only ({@code 0600}).
   *
   * @throws FileSystemException if the target is a symbolic link or not a regular file
   * @throws NotDirectoryException if the target's directory does not exist or is not a directory
   * @throws IOException if writing, syncing or renaming fails; the target is then unchanged
   */
  public static void write(Path target, byte[] content) throws IOException {
    write(target, content, OWNER_ONLY);
  }

  /** As {@link #write(Path, byte[])}, the text encoded as UTF-8. */
  public static void write(Path target, String content) throws IOException {
    write(target, content.getBytes(StandardCharsets.UTF_8), OWNER_ONLY);
  }

  /**
   * As {@link #write(Path, byte[])}, with the given permissions instead of {@code 0600}.
   *
   * @param permissions the exact mode of the new file on POSIX file systems
   */
  public static void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
      throws IOException {
    Objects.requireNonNull(content, "content");
    write(
        target,
        permissions,
        channel -> {
          ByteBuffer buffer = ByteBuffer.wrap(content);
          while (buffer.hasRemaining()) {
            channel.write(buffer);
          }
        });
  }

  /**
   * As {@link #write(Path, byte[], Set)}, for content too large to hold in memory: {@code content}
   * writes the new file through the channel it is given (positioned writes are fine); the channel
   * is then fsynced and the file renamed over the target.
   */
  public static void write(Path target, Set<PosixFilePermission> permissions, ContentWriter content)
      throws IOException {
    Objects.requireNonNull(content, "content");
    Objects.requireNonNull(permissions, "permissions");
    Path file = inRealDirectory(target);
    refuseUnlessRegularOrAbsent(file);
    Path directory = file.getParent();
    Path temporary = directory.resolve(temporaryName(file));
    boolean posix = isPosix(directory);
    try {
      try (FileChannel channel =
          FileChannel.open(temporary, createOptions(), creationAttributes(posix))) {
        if (posix) {
          // Exact mode regardless of umask; the view opens the file O_NOFOLLOW.
          Files.getFileAttributeView(
                  temporary, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setPermissions(permissions);
        }
        content.writeTo(channel);
        channel.force(true);
      }
      // rename(2) replaces a link planted at the target since the check above; it never follows
      // one.
      Files.move(
          temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException | RuntimeException e) {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    syncDirectory(directory, posix);
  }

  /**
   * Deletes {@code file} (a link itself, never its target) and makes the deletion durable.
   *
   * @return whether there was a file to delete
   */
  public static boolean delete(Path file) throws IOException {
    Path inDirectory = inRealDirectory(file);
    if (!Files.deleteIfExists(inDirectory)) {
      return false;
    }
    Path directory = inDirectory.getParent();
    syncDirectory(directory, isPosix(directory));
    return true;
  }

  /**
   * Reads a whole regular file of at most {@code maxBytes} bytes, refusing a symbolic link.
   *
   * @throws NoSuchFileException if there is no file
   * @throws FileSystemException if it is a symbolic link, not a regular file, or larger than {@code
   *     maxBytes}
   */
  public static byte[] read(Path file, int maxBytes) throws IOException {
    if (maxBytes < 0 || maxBytes == Integer.MAX_VALUE) {
      throw new IllegalArgumentException("maxBytes must be in 0..2147483646, was " + maxBytes);
    }
    // Checked before opening: opening a FIFO would block. O_NOFOLLOW then refuses a link planted
    // since.
    refuseUnlessRegularOrAbsent(file);
    byte[] bytes;
    try (InputStream in =
        Files.newInputStream(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(maxBytes + 1);
    } catch (FileSystemException e) {
      if (e instanceof NoSuchFileException || !Files.isSymbolicLink(file)) {
        throw e;
      }
      throw new FileSystemException(
          file.toString(), null, "is a symbolic link; refusing to follow it");
    }
    if (bytes.length > maxBytes) {
      throw new FileSystemException(file.toString(), null, "is larger than " + maxBytes + " bytes");
    }
    return bytes;
  }

  /** As {@link #read(Path, int)}, decoded as UTF-8. */
  public static String readString(Path file, int maxBytes) throws IOException {
    return new String(read(file, maxBytes), StandardCharsets.UTF_8);
  }

  /**
   * Creates {@code directory} and any missing parents with mode {@code 0700}; an existing directory
   * is left as it is.
   *
   * @throws FileSystemException if something other than a directory is in the way
   */
  public static void createPrivateDirectories(Path directory) throws IOException {
    if (Files.isDirectory(directory)) {
      return;
    }
    if (isPosix(directory)) {
      Files.createDirectories(directory, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
    } else {
      Files.createDirectories(directory);
    }
  }

  /**
   * Whether {@code file} is a temporary file of this class, e.g. left over from a crashed write.
   */
  public static boolean isTemporaryFile(Path file) {
    Path name = file.getFileName();
    return name != null
        && name.toString().startsWith(".")
        && name.toString().endsWith(TEMPORARY_SUFFIX);
  }

  /** Writes a new file's content for {@link #write(Path, Set, ContentWriter)}. */
  @FunctionalInterface
  public interface ContentWriter {
    /** Writes the whole content to {@code channel}, a new empty file opened for writing. */
    void writeTo(FileChannel channel) throws IOException;
  }

  private static Path inRealDirectory(Path target) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path name = absolute.getFileName();
    Path parent = absolute.getParent();
    if (name == null || parent == null) {
      throw new FileSystemException(target.toString(), null, "names no file in a directory");
    }
    Path directory;
    try {
      directory = parent.toRealPath();
    } catch (NoSuchFileException e) {
      throw new NotDirectoryException(parent + " (does not exist)");
    }
    if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
      throw new NotDirectoryException(parent.toString());
    }
    return directory.resolve(name.toString());
  }

  private static void refuseUnlessRegularOrAbsent(Path file) throws IOException {
    BasicFileAttributes attributes;
    try {
      attributes = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return;
    }
    if (attributes.isSymbolicLink()) {
      throw new FileSystemException(
          file.toString(), null, "is a symbolic link; refusing to follow it");
    }
    if (!attributes.isRegularFile()) {
      throw new FileSystemException(file.toString(), null, "is not a regular file");
    }
  }

  private static String temporaryName(Path file) {
    String name = file.getFileName().toString();
    if (name.length() > MAX_NAME_IN_TEMPORARY) {
      name = name.substring(0, MAX_NAME_IN_TEMPORARY);
    }
    byte[] nonce = new byte[8];
    RANDOM.nextBytes(nonce);
    return "." + name + "." + HexFormat.of().formatHex(nonce) + TEMPORARY_SUFFIX;
  }

  private static Set<OpenOption> createOptions() {
    return Set.of(
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
  }

  private static FileAttribute<?>[] creationAttributes(boolean posix) {
    // Created owner-only, so the content is never readable by others before the mode is set.
    return posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
        : new FileAttribute<?>[0];
  }

  private static boolean isPosix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  /**
   * Makes renames and deletions in {@code directory} durable (fsyncs it), for callers that rename
   * several files and sync once; nothing on file systems without POSIX permissions (Windows).
   */
  public static void syncDirectory(Path directory) throws IOException {
    syncDirectory(directory, isPosix(directory));
  }

  /** Makes a rename or delete durable; directories cannot be opened for sync on Windows. */
  private static void syncDirectory(Path directory, boolean posix) throws IOException {
    if (!posix) {
      return;
    }
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    }
  }
}
