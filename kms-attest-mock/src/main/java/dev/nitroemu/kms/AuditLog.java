package dev.nitroemu.kms;

import dev.nitroemu.kms.internal.AuditFileWriter;
import dev.nitroemu.kms.internal.StringPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;

/**
 * The KMS mock's audit trail: every call as an {@link AuditEvent}, the newest {@value #MAX_EVENTS}
 * kept in memory for tests and, when made with {@link #toFile}, each appended as one line of JSON
 * to a file and flushed before {@link #record} returns, the file rotated by size ({@link
 * AuditRotation}). The events in memory share the strings that repeat from call to call (ARNs, user
 * agents, parameter sets) through a pool of this log's own, bounded to {@value #MAX_POOLED_STRINGS}
 * entries. Thread-safe.
 */
public final class AuditLog implements AutoCloseable {
  /**
   * How many events the log keeps in memory; older ones are dropped (the files keep what their
   * rotation keeps).
   */
  public static final int MAX_EVENTS = 100_000;

  /** How many distinct strings the log's pool keeps for its events to share. */
  public static final int MAX_POOLED_STRINGS = 4096;

  private final Object lock = new Object();
  private final ArrayDeque<AuditEvent> events = new ArrayDeque<>();
  private final StringPool strings = new StringPool(MAX_POOLED_STRINGS);
  private final Path file;
  private final AuditFileWriter out;
  private long recorded;
  private boolean closed;

  private AuditLog(Path file, AuditFileWriter out) {
    this.file = file;
    this.out = out;
  }

  /** A log kept in memory only. */
  public static AuditLog inMemory() {
    return new AuditLog(null, null);
  }

  /**
   * A log that also appends JSON lines to {@code jsonLines} (created with its parent directories
   * when missing, readable by its owner only; existing lines are kept), rotated as {@link
   * AuditRotation#DEFAULT} says (64 MiB files, 8 kept). A symbolic link in its place is refused,
   * never followed.
   *
   * @throws UncheckedIOException if the file cannot be opened for appending or is a symbolic link
   */
  public static AuditLog toFile(Path jsonLines) {
    return toFile(jsonLines, AuditRotation.DEFAULT);
  }

  /**
   * As {@link #toFile(Path)}, rotating the file as {@code rotation} says: {@code <file>.1} is the
   * newest rotated file, {@link AuditRotation#rotatedFile} names them.
   *
   * @throws UncheckedIOException if the file cannot be opened for appending or is a symbolic link
   */
  public static AuditLog toFile(Path jsonLines, AuditRotation rotation) {
    Objects.requireNonNull(jsonLines, "jsonLines");
    Objects.requireNonNull(rotation, "rotation");
    try {
      return new AuditLog(jsonLines, AuditFileWriter.open(jsonLines, rotation));
    } catch (IOException e) {
      IOException described =
          new IOException("cannot open audit log " + jsonLines + ": " + e.getMessage(), e);
      throw new UncheckedIOException(described.getMessage(), described);
    }
  }

  /**
   * Rotates the file as {@code rotation} says from the next event on (a log kept in memory only
   * ignores it), e.g. when the log's owner made it with the default.
   */
  public void rotation(AuditRotation rotation) {
    Objects.requireNonNull(rotation, "rotation");
    synchronized (lock) {
      if (out != null) {
        out.rotation(rotation);
      }
    }
  }

  /**
   * Records an event: kept in memory and, for a file log, written as one line and flushed.
   *
   * @throws UncheckedIOException if the line could not be written (the event is still kept in
   *     memory)
   */
  public void record(AuditEvent event) {
    Objects.requireNonNull(event, "event");
    byte[] line = out == null ? null : (event.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
    AuditEvent kept = strings.shareRepeatedParts(event);
    synchronized (lock) {
      if (events.size() == MAX_EVENTS) {
        events.removeFirst();
      }
      events.addLast(kept);
      recorded++;
      if (line != null && !closed) {
        try {
          out.append(line);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot append to audit log " + file, e);
        }
      }
    }
  }

  /** The events held in memory, oldest first: an immutable snapshot. */
  public List<AuditEvent> events() {
    synchronized (lock) {
      return List.copyOf(events);
    }
  }

  /** How many events are held in memory (at most {@value #MAX_EVENTS}). */
  public int size() {
    synchronized (lock) {
      return events.size();
    }
  }

  /** How many events were recorded since this log was made, including those no longer in memory. */
  public long recordedCount() {
    synchronized (lock) {
      return recorded;
    }
  }

  /** Forgets the events held in memory; the file, if any, is left as it is. */
  public void clear() {
    synchronized (lock) {
      events.clear();
    }
  }

  /** The JSON-lines file, or null for an in-memory log. */
  public Path file() {
    return file;
  }

  /** Closes the file; later events are kept in memory only. Idempotent. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed || out == null) {
        closed = true;
        return;
      }
      closed = true;
      try {
        out.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close audit log " + file, e);
      }
    }
  }
}
