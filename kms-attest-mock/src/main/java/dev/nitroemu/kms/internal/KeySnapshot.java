package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Every key of a {@link KeyStore} in one file, {@value #FILE_NAME} in its state directory, so that
 * an open after a clean close reads one file instead of one per key ({@link StateFiles}).
 *
 * <p>The per-key files stay the durable truth, written on every change; the snapshot is a cache of
 * them. It is written (through {@link AtomicFiles}) when the store closes, and deleted, durably, as
 * soon as the next open has read it, before any change can be made: after a crash there is no
 * snapshot and the key files are read. It records each key file's size and modification time, and
 * is used only when the directory holds exactly those files, unchanged; it is also discarded, with
 * a warning, when its magic, version, key count, length or CRC-32C does not match. Layout: the
 * magic, then the version, key count, body length and CRC-32C of the body (big-endian ints and a
 * long), then the body ({@link SnapshotCodec}).
 */
final class KeySnapshot {
  /** The snapshot's name in the state directory. */
  static final String FILE_NAME = "kms-snapshot.bin";

  static final int VERSION = 1;
  private static final byte[] MAGIC =
      "nitro-emu KMS snapshot\n".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = MAGIC.length + 4 + 4 + 8 + 4;

  /** Bounds what is read into memory: far above 100,000 keys (about 30 MiB). */
  static final int MAX_SIZE = 1 << 30;

  private static final System.Logger LOG = System.getLogger(KeySnapshot.class.getName());

  /**
   * What identifies a version of a key file: its size and modification time in nanoseconds.
   *
   * @param size the size in bytes, -1 for something that is not a regular file
   * @param modified the modification time, nanoseconds since the epoch
   */
  record FileStamp(long size, long modified) {}

  /** Finds the stamp of a key's file. */
  @FunctionalInterface
  interface Stamps {
    FileStamp of(String keyId) throws IOException;
  }

  private KeySnapshot() {}

  /** Writes the snapshot of {@code keys} to {@code file}, replacing any previous one. */
  static void write(Path file, Collection<KmsKey> keys, Stamps stamps) throws IOException {
    SnapshotCodec.Writer writer = new SnapshotCodec.Writer();
    int count = 0;
    for (KmsKey key : keys) {
      FileStamp stamp = stamps.of(key.keyId());
      writer.key(key, stamp.size(), stamp.modified());
      count++;
    }
    byte[] body = writer.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(body);
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    header.put(MAGIC).putInt(VERSION).putInt(count).putLong(body.length);
    header.putInt((int) crc.getValue()).flip();
    ByteBuffer[] content = {header, ByteBuffer.wrap(body)};
    AtomicFiles.write(
        file,
        AtomicFiles.OWNER_ONLY,
        channel -> {
          while (content[1].hasRemaining()) {
            channel.write(content);
          }
        });
  }

  /**
   * The keys of the snapshot in {@code file}, each with the stamp its file had, or null (with a
   * warning naming the reason) when the file is unreadable, damaged or of another version.
   */
  static List<SnapshotCodec.Entry> read(Path file) {
    try {
      ByteBuffer in = ByteBuffer.wrap(AtomicFiles.read(file, MAX_SIZE));
      if (in.remaining() < HEADER) {
        throw new IllegalArgumentException("shorter than its header");
      }
      byte[] magic = new byte[MAGIC.length];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IllegalArgumentException("not a snapshot");
      }
      int version = in.getInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(
            "version " + version + ", this version reads " + VERSION);
      }
      int count = in.getInt();
      long length = in.getLong();
      int checksum = in.getInt();
      if (count < 0 || length != in.remaining()) {
        throw new IllegalArgumentException("truncated or of the wrong length");
      }
      CRC32C crc = new CRC32C();
      crc.update(in.duplicate());
      if ((int) crc.getValue() != checksum) {
        throw new IllegalArgumentException("CRC-32C mismatch");
      }
      SnapshotCodec.Reader reader = new SnapshotCodec.Reader(in);
      List<SnapshotCodec.Entry> entries = new ArrayList<>(Math.min(count, in.remaining()));
      for (int i = 0; i < count; i++) {
        entries.add(reader.key());
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException("bytes after the last key");
      }
      return entries;
    } catch (IOException | RuntimeException e) {
      warn(file, "it is unreadable or damaged (" + e.getMessage() + ")");
      return null;
    }
  }

  /**
   * The snapshot's keys when {@code onDisk} (key id to the stamp of its file) names exactly the
   * files it was written with, else null, with a warning.
   */
  static List<KmsKey> ifCurrent(
      Path file, List<SnapshotCodec.Entry> entries, Map<String, FileStamp> onDisk) {
    boolean current = entries.size() == onDisk.size();
    List<KmsKey> keys = new ArrayList<>(entries.size());
    for (int i = 0; current && i < entries.size(); i++) {
      SnapshotCodec.Entry entry = entries.get(i);
      current = entry.stamp().equals(onDisk.get(entry.key().keyId()));
      keys.add(entry.key());
    }
    if (!current) {
      warn(file, "the key files changed since it was written");
      return null;
    }
    return keys;
  }

  private static void warn(Path file, String reason) {
    LOG.log(
        System.Logger.Level.WARNING,
        "KMS state: ignoring the snapshot " + file + ": " + reason + "; reading the key files");
  }
}
