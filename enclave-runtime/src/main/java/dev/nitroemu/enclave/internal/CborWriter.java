package dev.nitroemu.enclave.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal CBOR (RFC 8949) writer that always emits the shortest head, as serde_cbor and the real
 * NSM do, and lets the caller choose definite or indefinite maps.
 *
 * <p>We write our own instead of Jackson's generator because every byte here is signed or compared
 * against vectors, so the exact head width of every string, map and integer must be ours to decide.
 */
public final class CborWriter {
  private static final int MAJOR_UINT = 0;
  private static final int MAJOR_NINT = 1;
  private static final int MAJOR_BYTES = 2;
  private static final int MAJOR_TEXT = 3;
  private static final int MAJOR_ARRAY = 4;
  private static final int MAJOR_MAP = 5;

  private final ByteArrayOutputStream out;

  public CborWriter() {
    this(256);
  }

  public CborWriter(int initialCapacity) {
    out = new ByteArrayOutputStream(initialCapacity);
  }

  /** Writes an integer (major type 0 or 1) in its shortest form. */
  public CborWriter integer(long value) {
    if (value >= 0) {
      head(MAJOR_UINT, value);
    } else {
      head(MAJOR_NINT, -1 - value);
    }
    return this;
  }

  /** Writes a definite byte string; null writes CBOR null. */
  public CborWriter bytes(byte[] value) {
    if (value == null) {
      return nul();
    }
    head(MAJOR_BYTES, value.length);
    out.writeBytes(value);
    return this;
  }

  /** Writes a definite UTF-8 text string. */
  public CborWriter text(String value) {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    head(MAJOR_TEXT, utf8.length);
    out.writeBytes(utf8);
    return this;
  }

  /** Writes {@code true} ({@code F5}) or {@code false} ({@code F4}). */
  public CborWriter bool(boolean value) {
    out.write(value ? 0xF5 : 0xF4);
    return this;
  }

  /** Writes null ({@code F6}). */
  public CborWriter nul() {
    out.write(0xF6);
    return this;
  }

  /** Starts a definite array of {@code size} items. */
  public CborWriter array(int size) {
    head(MAJOR_ARRAY, size);
    return this;
  }

  /** Starts a definite map of {@code size} pairs. */
  public CborWriter map(int size) {
    head(MAJOR_MAP, size);
    return this;
  }

  /** Starts an indefinite-length map ({@code BF}); close it with {@link #endIndefinite()}. */
  public CborWriter indefiniteMap() {
    out.write(0xBF);
    return this;
  }

  /** Writes the break byte ({@code FF}) that ends an indefinite container. */
  public CborWriter endIndefinite() {
    out.write(0xFF);
    return this;
  }

  /** Appends already-encoded CBOR. */
  public CborWriter raw(byte[] encoded) {
    out.writeBytes(encoded);
    return this;
  }

  /** The bytes written so far. */
  public byte[] toByteArray() {
    return out.toByteArray();
  }

  private void head(int major, long value) {
    int mt = major << 5;
    if (value < 24) {
      out.write(mt | (int) value);
    } else if (value <= 0xFF) {
      out.write(mt | 24);
      out.write((int) value);
    } else if (value <= 0xFFFF) {
      out.write(mt | 25);
      out.write((int) (value >>> 8));
      out.write((int) value);
    } else if (value <= 0xFFFF_FFFFL) {
      out.write(mt | 26);
      for (int shift = 24; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
    } else {
      out.write(mt | 27);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) (value >>> shift));
      }
    }
  }
}
