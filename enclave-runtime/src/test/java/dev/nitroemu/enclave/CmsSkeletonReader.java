package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * Walks a byte array front to back for tests: fixed byte runs must match exactly, variable fields
 * are captured, and DER/BER length heads are decoded independently of any ASN.1 library.
 */
final class CmsSkeletonReader {
  private final byte[] data;
  private int position;

  CmsSkeletonReader(byte[] data) {
    this.data = data.clone();
  }

  /** Asserts that the next bytes are exactly {@code hex} (spaces ignored). */
  CmsSkeletonReader expect(String hex) {
    byte[] expected = HexFormat.of().parseHex(hex.replace(" ", ""));
    byte[] actual = take(expected.length);
    assertThat(HexFormat.of().formatHex(actual))
        .as("bytes at offset %d", position - expected.length)
        .isEqualTo(HexFormat.of().formatHex(expected));
    return this;
  }

  /**
   * Reads an identifier byte that must be {@code tag} and a definite length head; returns the
   * length.
   */
  int definite(int tag) {
    int start = position;
    assertThat(take(1)[0] & 0xff).as("tag at offset %d", start).isEqualTo(tag);
    int first = take(1)[0] & 0xff;
    assertThat(first).as("length at offset %d must be definite", start).isNotEqualTo(0x80);
    if (first < 0x80) {
      return first;
    }
    int count = first & 0x7f;
    assertThat(count).isBetween(1, 3);
    int length = 0;
    for (byte b : take(count)) {
      length = (length << 8) | (b & 0xff);
    }
    return length;
  }

  /** The next {@code n} bytes. */
  byte[] take(int n) {
    assertThat(position + n)
        .as("read of %d bytes at offset %d", n, position)
        .isLessThanOrEqualTo(data.length);
    byte[] out = Arrays.copyOfRange(data, position, position + n);
    position += n;
    return out;
  }

  /** The next byte without consuming it, or -1 at the end. */
  int peek() {
    return position < data.length ? data[position] & 0xff : -1;
  }

  /** Asserts that every byte was consumed. */
  void expectEnd() {
    assertThat(position).as("trailing bytes").isEqualTo(data.length);
  }
}
