package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.kms.AuditRotation;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;

/**
 * The audit log's file: appends whole lines, each flushed, and rotates the file by size as its
 * {@link AuditRotation} says. A rotation that fails (a rename or the new file) is logged at WARN,
 * without event contents, and the lines go on to the file open until then; it is tried again after
 * another {@code maxBytes} were written. Not thread-safe: the audit log calls it under its lock.
 */
public final class AuditFileWriter implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AuditFileWriter.class.getName());
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private final Path file;
  private OutputStream out;
  private long size;
  private long retryAt;
  private AuditRotation rotation;

  private AuditFileWriter(Path file, OutputStream out, long size, AuditRotation rotation) {
    this.file = file;
    this.out = out;
    this.size = size;
    this.rotation = rotation;
  }

  /**
   * Opens {@code file} for appending (created with its parent directories when missing, owner
   * read/write only; existing lines are kept), refusing a symbolic link in its place.
   */
  public static AuditFileWriter open(Path file, AuditRotation rotation) throws IOException {
    Objects.requireNonNull(rotation, "rotation");
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    OutputStream out = openForAppend(file);
    try {
      return new AuditFileWriter(file, out, Files.size(file), rotation);
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** From the next line on, rotates as {@code rotation} says. */
  public void rotation(AuditRotation rotation) {
    this.rotation = Objects.requireNonNull(rotation, "rotation");
    retryAt = 0;
  }

  /** Appends one whole line, after rotating when it would take the file past the maximum size. */
  public void append(byte[] line) throws IOException {
    if (size > 0 && size + line.length > rotation.maxBytes() && size >= retryAt) {
      rotate();
    }
    // One write per event on an unbuffered stream: the line is in the file when this returns.
    out.write(line);
    out.flush();
    size += line.length;
  }

  @Override
  public void close() throws IOException {
    out.close();
  }

  private void rotate() {
    int keep = rotation.keep();
    Path current = file.toAbsolutePath();
    try {
      for (int n = AuditRotation.MAX_KEEP; n >= Math.max(keep, 1); n--) {
        Files.deleteIfExists(AuditRotation.rotatedFile(current, n));
      }
      for (int n = keep - 1; n >= 1; n--) {
        Path older = AuditRotation.rotatedFile(current, n);
        if (Files.exists(older, LinkOption.NOFOLLOW_LINKS)) {
          Files.move(
              older, AuditRotation.rotatedFile(current, n + 1), StandardCopyOption.ATOMIC_MOVE);
        }
      }
      // The open stream follows the renamed file: a failure below leaves the lines in order.
      if (keep > 0) {
        Files.move(current, AuditRotation.rotatedFile(current, 1), StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.delete(current);
      }
      AtomicFiles.syncDirectory(current.getParent());
    } catch (IOException | RuntimeException e) {
      failed("cannot rotate", e);
      return;
    }
    OutputStream next;
    try {
      next = openForAppend(current);
    } catch (IOException | RuntimeException e) {
      failed("cannot start a new file after rotating", e);
      return;
    }
    try {
      out.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot close rotated audit log: {0}", e.getMessage());
    }
    out = next;
    size = 0;
    retryAt = 0;
  }

  private void failed(String what, Exception e) {
    retryAt = size + rotation.maxBytes();
    LOG.log(
        System.Logger.Level.WARNING,
        "{0} the audit log {1}: {2}; appending to the open file, retrying after {3} more bytes",
        what,
        file,
        e.toString(),
        rotation.maxBytes());
  }

  private static OutputStream openForAppend(Path file) throws IOException {
    if (Files.isSymbolicLink(file)) {
      throw new IOException("it is a symbolic link, which is never followed");
    }
    boolean created = !Files.exists(file, LinkOption.NOFOLLOW_LINKS);
    OutputStream out =
        Files.newOutputStream(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);
    if (created && POSIX) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }
    return out;
  }
}
