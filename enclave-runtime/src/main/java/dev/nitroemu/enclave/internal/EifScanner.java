package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.EifException;
import dev.nitroemu.enclave.EifException.Reason;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

/**
 * One bounded, sequential pass over an EIF: checks the header and section table, computes the
 * CRC-32 and the SHA-384 digests behind PCR0/1/2, and keeps the (small) metadata and signature
 * sections.
 *
 * <p>Memory does not grow with the file: sections stream through one 1 MiB buffer, and only the
 * metadata (at most {@value #MAX_METADATA_SIZE} bytes) and signature (at most {@value
 * #MAX_SIGNATURE_SIZE}) are held. Every size comes from the table and is checked against the file
 * length before anything is read or allocated. Customer ramdisks feed two digests (PCR0 and PCR2);
 * for large ones the PCR2 digest runs on a second thread so the pass costs about one SHA-384.
 */
public final class EifScanner {
  /** Header bytes. */
  public static final int HEADER_SIZE = 548;

  /** Section header bytes: u16 type, u16 flags, u64 size. */
  public static final int SECTION_HEADER_SIZE = 12;

  /** Slots in the header's section table. */
  public static final int MAX_SECTIONS = 32;

  /** Offset of the stored CRC-32 in the header. */
  public static final int CRC_OFFSET = 544;

  /** Largest metadata section read. */
  public static final int MAX_METADATA_SIZE = 8 << 20;

  /** Largest signature section read. */
  public static final int MAX_SIGNATURE_SIZE = 1 << 20;

  static final int KERNEL = 1;
  static final int CMDLINE = 2;
  static final int RAMDISK = 3;
  static final int SIGNATURE = 4;
  static final int METADATA = 5;

  private static final int CHUNK = 1 << 20;
  private static final long PARALLEL_THRESHOLD = 4L << 20;
  private static final byte[] MAGIC = {'.', 'e', 'i', 'f'};

  /** What one pass found; digests are raw SHA-384 of the measured bytes, not yet extended. */
  public record Scan(
      int version,
      int flags,
      long defaultMemory,
      long defaultCpus,
      List<long[]> sections,
      long storedCrc,
      long computedCrc,
      byte[] pcr0Digest,
      byte[] pcr1Digest,
      byte[] pcr2Digest,
      byte[] metadata,
      byte[] signature) {}

  private EifScanner() {}

  /**
   * Scans {@code channel} (of {@code size} bytes) from its start.
   *
   * @throws EifException if the file is not a well-formed EIF (the CRC is reported, not checked)
   */
  public static Scan scan(FileChannel channel, long size) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
    int headerBytes = readAt(channel, header, 0);
    byte[] h = header.array();
    if (headerBytes < MAGIC.length
        || h[0] != MAGIC[0]
        || h[1] != MAGIC[1]
        || h[2] != MAGIC[2]
        || h[3] != MAGIC[3]) {
      throw new EifException(
          Reason.NOT_AN_EIF, "not an EIF: the file does not start with the .eif magic");
    }
    if (headerBytes < HEADER_SIZE) {
      throw new EifException(
          Reason.TRUNCATED,
          "truncated: the file ends at byte " + headerBytes + ", inside the 548-byte header");
    }
    header.flip();
    int version = Short.toUnsignedInt(header.getShort(4));
    int flags = Short.toUnsignedInt(header.getShort(6));
    if (version < 2 || version > 4) {
      throw new EifException(
          Reason.UNSUPPORTED_VERSION,
          "unsupported EIF version " + version + " (this reader knows 2 to 4)");
    }
    if ((flags & ~1) != 0) {
      throw new EifException(
          Reason.UNSUPPORTED_VERSION, String.format("unknown header flags 0x%04x", flags));
    }
    int count = Short.toUnsignedInt(header.getShort(26));
    if (count == 0 || count > MAX_SECTIONS) {
      throw new EifException(
          Reason.BAD_SECTION_TABLE,
          "the header declares " + count + " sections; an EIF has 1 to 32");
    }
    List<long[]> table = sectionTable(header, count, size);
    CRC32 crc = new CRC32();
    crc.update(h, 0, CRC_OFFSET);
    Digests digests = new Digests();
    byte[] metadata = null;
    byte[] signature = null;
    Layout layout = new Layout();
    ByteBuffer sectionHeader = ByteBuffer.allocate(SECTION_HEADER_SIZE);
    byte[] chunk = new byte[(int) Math.min(CHUNK, Math.max(size, 1))];
    try {
      for (int i = 0; i < count; i++) {
        long offset = table.get(i)[0];
        long length = table.get(i)[1];
        sectionHeader.clear();
        if (readAt(channel, sectionHeader, offset) < SECTION_HEADER_SIZE) {
          throw truncated(offset, i);
        }
        crc.update(sectionHeader.array(), 0, SECTION_HEADER_SIZE);
        sectionHeader.flip();
        int type = Short.toUnsignedInt(sectionHeader.getShort(0));
        int sectionFlags = Short.toUnsignedInt(sectionHeader.getShort(2));
        long declared = sectionHeader.getLong(4);
        if (declared != length) {
          throw new EifException(
              Reason.BAD_SECTION,
              "section "
                  + i
                  + " says "
                  + Long.toUnsignedString(declared)
                  + " bytes but the header table says "
                  + length);
        }
        if (type < KERNEL || type > METADATA || sectionFlags != 0) {
          throw new EifException(
              Reason.BAD_SECTION,
              "section " + i + " has unknown type " + type + " or flags " + sectionFlags);
        }
        layout.accept(type, i, count);
        long dataStart = offset + SECTION_HEADER_SIZE;
        if (type == METADATA || type == SIGNATURE) {
          int limit = type == METADATA ? MAX_METADATA_SIZE : MAX_SIGNATURE_SIZE;
          if (length > limit) {
            throw new EifException(
                type == METADATA ? Reason.BAD_METADATA : Reason.BAD_SIGNATURE,
                (type == METADATA ? "metadata" : "signature")
                    + " section of "
                    + length
                    + " bytes exceeds "
                    + limit);
          }
          byte[] body = new byte[(int) length];
          if (readAt(channel, ByteBuffer.wrap(body), dataStart) < length) {
            throw truncated(dataStart, i);
          }
          crc.update(body);
          if (type == METADATA) {
            metadata = body;
          } else {
            signature = body;
          }
          continue;
        }
        boolean customerRamdisk = type == RAMDISK && layout.ramdisks > 1;
        digests.streaming(customerRamdisk, length >= PARALLEL_THRESHOLD);
        for (long done = 0; done < length; ) {
          int want = (int) Math.min(chunk.length, length - done);
          int got = readAt(channel, ByteBuffer.wrap(chunk, 0, want), dataStart + done);
          if (got < want) {
            throw truncated(dataStart + done + got, i);
          }
          crc.update(chunk, 0, want);
          digests.update(chunk, want, customerRamdisk);
          done += want;
        }
        if (type == RAMDISK && layout.ramdisks == 1) {
          digests.markBootstrapEnd();
        }
      }
      layout.finish();
      return new Scan(
          version,
          flags,
          header.getLong(8),
          header.getLong(16),
          table,
          Integer.toUnsignedLong(header.getInt(CRC_OFFSET)),
          crc.getValue(),
          digests.pcr0.digest(),
          digests.pcr1,
          digests.pcr2.digest(),
          metadata,
          signature);
    } finally {
      digests.close();
    }
  }

  private static List<long[]> sectionTable(ByteBuffer header, int count, long size)
      throws EifException {
    List<long[]> table = new ArrayList<>(count);
    long expected = HEADER_SIZE;
    for (int i = 0; i < MAX_SECTIONS; i++) {
      long offset = header.getLong(28 + 8 * i);
      long length = header.getLong(284 + 8 * i);
      if (i >= count) {
        if (offset != 0 || length != 0) {
          throw new EifException(
              Reason.BAD_SECTION_TABLE, "unused section slot " + i + " is not zero");
        }
        continue;
      }
      if (offset != expected) {
        throw new EifException(
            Reason.BAD_SECTION_TABLE,
            "section "
                + i
                + " starts at "
                + Long.toUnsignedString(offset)
                + ", expected "
                + expected
                + " (sections are contiguous)");
      }
      // No real file comes near 2^62 bytes: a larger size is a corrupt table, not a short file.
      if (length < 0 || length > (1L << 62) - expected) {
        throw new EifException(
            Reason.BAD_SECTION_TABLE,
            "section "
                + i
                + " declares an impossible size of "
                + Long.toUnsignedString(length)
                + " bytes");
      }
      if (expected + SECTION_HEADER_SIZE + length > size) {
        throw new EifException(
            Reason.TRUNCATED,
            "truncated: the file ends at byte "
                + size
                + ", inside section "
                + i
                + " ("
                + length
                + " bytes at "
                + offset
                + ")");
      }
      expected = offset + SECTION_HEADER_SIZE + length;
      table.add(new long[] {offset, length});
    }
    if (expected != size) {
      throw new EifException(
          Reason.BAD_SECTION_TABLE, (size - expected) + " bytes follow the last section");
    }
    return table;
  }

  private static EifException truncated(long at, int section) {
    return new EifException(
        Reason.TRUNCATED, "truncated: the file ends at byte " + at + ", inside section " + section);
  }

  private static int readAt(FileChannel channel, ByteBuffer target, long position)
      throws IOException {
    int total = 0;
    while (target.hasRemaining()) {
      int n = channel.read(target, position + total);
      if (n < 0) {
        break;
      }
      total += n;
    }
    return total;
  }

  /** The order AWS's EifBuilder writes: kernel, cmdline, [metadata], ramdisk..., [signature]. */
  private static final class Layout {
    private int next;
    private int ramdisks;
    private boolean signed;

    void accept(int type, int index, int count) throws EifException {
      boolean ok;
      switch (type) {
        case KERNEL -> ok = index == 0;
        case CMDLINE -> ok = index == 1;
        case METADATA -> ok = index == 2;
        case RAMDISK -> ok = index >= 2 && !signed;
        case SIGNATURE -> ok = index == count - 1 && ramdisks > 0;
        default -> ok = false;
      }
      if (!ok) {
        throw new EifException(
            Reason.BAD_LAYOUT,
            "section "
                + index
                + " (type "
                + type
                + ") is out of place: an EIF holds kernel, cmdline, [metadata], ramdisks, [signature]");
      }
      if (type == RAMDISK) {
        ramdisks++;
      }
      signed |= type == SIGNATURE;
      next = index + 1;
    }

    void finish() throws EifException {
      if (next < 3 || ramdisks == 0) {
        throw new EifException(
            Reason.BAD_LAYOUT, "an EIF needs a kernel, a cmdline and at least one ramdisk");
      }
    }
  }

  /** PCR0 over everything measured, PCR1 forked after the first ramdisk, PCR2 over the rest. */
  private static final class Digests implements AutoCloseable {
    final MessageDigest pcr0 = sha384();
    final MessageDigest pcr2 = sha384();
    byte[] pcr1;
    private ExecutorService second;
    private boolean parallel;

    void streaming(boolean customer, boolean large) {
      parallel = customer && large;
      if (parallel && second == null) {
        second =
            Executors.newSingleThreadExecutor(
                r -> {
                  Thread t = new Thread(r, "nitro-emu-eif-pcr2");
                  t.setDaemon(true);
                  return t;
                });
      }
    }

    void update(byte[] chunk, int length, boolean customer) throws IOException {
      if (!customer) {
        pcr0.update(chunk, 0, length);
        return;
      }
      if (!parallel) {
        pcr0.update(chunk, 0, length);
        pcr2.update(chunk, 0, length);
        return;
      }
      Future<?> other = second.submit(() -> pcr2.update(chunk, 0, length));
      pcr0.update(chunk, 0, length);
      try {
        other.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while hashing");
      } catch (ExecutionException e) {
        throw new IllegalStateException("PCR2 digest failed", e.getCause());
      }
    }

    void markBootstrapEnd() {
      try {
        pcr1 = ((MessageDigest) pcr0.clone()).digest();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException("SHA-384 digests are cloneable in every JRE", e);
      }
    }

    @Override
    public void close() {
      if (second != null) {
        second.shutdownNow();
      }
    }
  }

  static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is required of every JRE", e);
    }
  }
}
