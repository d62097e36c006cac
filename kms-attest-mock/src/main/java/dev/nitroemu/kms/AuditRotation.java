package dev.nitroemu.kms;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a file audit log ({@link AuditLog#toFile(Path, AuditRotation)}) bounds its size on disk: when
 * appending an event would take the file past {@code maxBytes}, the file becomes {@code <file>.1}
 * (older ones move up to {@code .keep}, the oldest beyond is deleted) and a new file is started; an
 * event is never split across files. So the log holds at most about {@code (keep + 1) * maxBytes}.
 *
 * @param maxBytes the size a file may reach, {@value #MIN_MAX_BYTES} bytes (1 MiB) to {@value
 *     #MAX_MAX_BYTES} (1 TiB); default {@value #DEFAULT_MAX_BYTES} (64 MiB)
 * @param keep how many rotated files are kept, 0 to {@value #MAX_KEEP} (0: the log is started
 *     afresh when full); default {@value #DEFAULT_KEEP}
 */
public record AuditRotation(long maxBytes, int keep) {
  /** The default size a file may reach: 64 MiB. */
  public static final long DEFAULT_MAX_BYTES = 64L << 20;

  /** The default number of rotated files kept. */
  public static final int DEFAULT_KEEP = 8;

  /** The smallest maximum size accepted: 1 MiB. */
  public static final long MIN_MAX_BYTES = 1L << 20;

  /** The largest maximum size accepted: 1 TiB. */
  public static final long MAX_MAX_BYTES = 1L << 40;

  /** The most rotated files kept ({@code <file>.1} to {@code <file>.100}). */
  public static final int MAX_KEEP = 100;

  /** 64 MiB files, 8 of them kept besides the current one. */
  public static final AuditRotation DEFAULT = new AuditRotation(DEFAULT_MAX_BYTES, DEFAULT_KEEP);

  /**
   * Checks the bounds.
   *
   * @throws IllegalArgumentException naming {@code maxBytes} or {@code keep} if out of range
   */
  public AuditRotation {
    requireValidMaxBytes(maxBytes, "maxBytes");
    requireValidKeep(keep, "keep");
  }

  /**
   * Checks a maximum file size, {@code setting} naming it in the error (e.g. a command-line
   * option).
   *
   * @throws IllegalArgumentException if outside {@value #MIN_MAX_BYTES}..{@value #MAX_MAX_BYTES}
   */
  public static long requireValidMaxBytes(long maxBytes, String setting) {
    if (maxBytes < MIN_MAX_BYTES || maxBytes > MAX_MAX_BYTES) {
      throw new IllegalArgumentException(
          setting
              + " must be 1 MiB ("
              + MIN_MAX_BYTES
              + " bytes) to 1 TiB ("
              + MAX_MAX_BYTES
              + " bytes), was "
              + maxBytes
              + " bytes");
    }
    return maxBytes;
  }

  /**
   * Checks a count of kept files, {@code setting} naming it in the error.
   *
   * @throws IllegalArgumentException if outside 0..{@value #MAX_KEEP}
   */
  public static int requireValidKeep(int keep, String setting) {
    if (keep < 0 || keep > MAX_KEEP) {
      throw new IllegalArgumentException(
          setting + " must be 0 to " + MAX_KEEP + " rotated files, was " + keep);
    }
    return keep;
  }

  /**
   * The {@code n}th rotated file of {@code current}: {@code kms-audit.jsonl.1} is the newest.
   *
   * @throws IllegalArgumentException if {@code n} is not in 1..{@value #MAX_KEEP}
   */
  public static Path rotatedFile(Path current, int n) {
    Objects.requireNonNull(current, "current");
    if (n < 1 || n > MAX_KEEP) {
      throw new IllegalArgumentException("rotated file number must be 1 to " + MAX_KEEP);
    }
    return current.resolveSibling(current.getFileName() + "." + n);
  }
}
