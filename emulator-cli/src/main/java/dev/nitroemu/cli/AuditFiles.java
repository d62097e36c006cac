package dev.nitroemu.cli;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.kms.AuditRotation;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The audit log's files open for reading: the current {@code kms-audit.jsonl} and its rotated
 * {@code .1} (newest) to {@code .100}, each file once even when the stack rotates the log while
 * they are opened. They are opened newest first and told apart by their file key (device and
 * inode): a file renamed from the current to {@code .1} meanwhile is not read twice, and what the
 * rotation added after the snapshot is not read.
 */
final class AuditFiles implements AutoCloseable {
  /** What {@link #key} returns for a missing file. */
  static final Object NO_FILE = new Object();

  private static final int OPEN_ATTEMPTS = 5;

  /**
   * One open file of the log.
   *
   * @param path the name it had when opened
   * @param key its file key (null where the file system has none)
   * @param current whether it was the current file, not a rotated one
   */
  record Opened(Path path, FileChannel channel, Object key, boolean current) {}

  private final List<Opened> newestFirst;

  private AuditFiles(List<Opened> newestFirst) {
    this.newestFirst = newestFirst;
  }

  /** Opens the files of the log whose current file is {@code current} (none may exist). */
  static AuditFiles open(Path current) throws IOException {
    List<Opened> opened = new ArrayList<>();
    Set<Object> keys = new HashSet<>();
    try {
      add(openOne(current, true), opened, keys);
      for (int n = 1; n <= AuditRotation.MAX_KEEP; n++) {
        add(openOne(AuditRotation.rotatedFile(current, n), false), opened, keys);
      }
    } catch (IOException | RuntimeException e) {
      opened.forEach(o -> Closeables.closeQuietly(o.channel()));
      throw e;
    }
    return new AuditFiles(List.copyOf(opened));
  }

  /**
   * Opens {@code path} refusing a symbolic link, with the key it had just before and just after
   * opening (a rename in between is retried); null when there is no such file.
   */
  static Opened openOne(Path path, boolean current) throws IOException {
    for (int attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      Object before = key(path);
      if (before == NO_FILE) {
        return null;
      }
      FileChannel channel;
      try {
        channel = FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        continue;
      }
      if (Objects.equals(before, key(path))) {
        return new Opened(path, channel, before, current);
      }
      channel.close();
    }
    throw new IOException(path + " was renamed again and again while being opened");
  }

  /** The key {@code path} names now, null when it has none, {@link #NO_FILE} when missing. */
  static Object key(Path path) throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
          .fileKey();
    } catch (NoSuchFileException e) {
      return NO_FILE;
    }
  }

  private static void add(Opened file, List<Opened> opened, Set<Object> keys) throws IOException {
    if (file == null) {
      return;
    }
    if (file.key() != null && !keys.add(file.key())) {
      file.channel().close(); // renamed since an earlier name was opened: already in the list
      return;
    }
    opened.add(file);
  }

  /** The open files, the current one (when it existed) first, then {@code .1}, {@code .2}... */
  List<Opened> newestFirst() {
    return newestFirst;
  }

  /** The current file as opened, or null when there was none. */
  Opened current() {
    return newestFirst.isEmpty() || !newestFirst.get(0).current() ? null : newestFirst.get(0);
  }

  @Override
  public void close() {
    newestFirst.forEach(o -> Closeables.closeQuietly(o.channel()));
  }
}
