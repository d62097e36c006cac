package dev.nitroemu.enclave;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The one length-prefixed frame codec of every framed protocol here (the NSM service and other
 * framed-message servers, the test-result stream, the enclave bootstrap): a 4-byte big-endian
 * unsigned length, then that many bytes. {@code "hi"} is framed as {@code 00 00 00 02 68 69}.
 *
 * <p>Readers bound the length before allocating: {@link #read(InputStream, int)} refuses a declared
 * length above its caller's limit with {@link FrameTooLargeException} and reads nothing more.
 */
public final class Frames {

  /** Largest frame body the framed-message protocol (and so the NSM service) carries: 64 KiB. */
  public static final int MAX_FRAME_SIZE = 64 * 1024;

  /** Bytes of the length prefix. */
  public static final int HEADER_SIZE = 4;

  private Frames() {}

  /**
   * Reads one whole frame of at most {@code maxSize} bytes.
   *
   * @return the body, or null if the stream ended cleanly before the first byte of a frame
   * @throws FrameTooLargeException if the declared length is above {@code maxSize} (the body is not
   *     read)
   * @throws EOFException if the stream ends inside the frame
   */
  public static byte[] read(InputStream in, int maxSize) throws IOException {
    long length = readLength(in);
    if (length < 0) {
      return null;
    }
    if (length > maxSize) {
      throw new FrameTooLargeException(length, maxSize);
    }
    return readBody(in, (int) length);
  }

  /**
   * Reads a length prefix.
   *
   * @return the length (0..4294967295), or -1 if the stream ended cleanly before the first byte
   * @throws EOFException if the stream ends inside the prefix
   */
  public static long readLength(InputStream in) throws IOException {
    byte[] header = new byte[HEADER_SIZE];
    int first = in.read(header, 0, HEADER_SIZE);
    if (first < 0) {
      return -1;
    }
    readFully(in, header, first, HEADER_SIZE - first);
    return ((header[0] & 0xFFL) << 24)
        | ((header[1] & 0xFFL) << 16)
        | ((header[2] & 0xFFL) << 8)
        | (header[3] & 0xFFL);
  }

  /** Reads a frame body of {@code length} bytes; the caller has bounded {@code length}. */
  public static byte[] readBody(InputStream in, int length) throws IOException {
    byte[] body = new byte[length];
    readFully(in, body, 0, length);
    return body;
  }

  /** Reads and discards {@code length} bytes, a bounded chunk at a time. */
  public static void skip(InputStream in, long length) throws IOException {
    byte[] scratch = new byte[(int) Math.min(length, 8192)];
    long left = length;
    while (left > 0) {
      int n = in.read(scratch, 0, (int) Math.min(left, scratch.length));
      if (n < 0) {
        throw new EOFException("stream ended " + left + " bytes before the end of a frame");
      }
      left -= n;
    }
  }

  /** Writes one frame in a single write and flushes it. */
  public static void write(OutputStream out, byte[] payload) throws IOException {
    byte[] frame = new byte[HEADER_SIZE + payload.length];
    int length = payload.length;
    frame[0] = (byte) (length >>> 24);
    frame[1] = (byte) (length >>> 16);
    frame[2] = (byte) (length >>> 8);
    frame[3] = (byte) length;
    System.arraycopy(payload, 0, frame, HEADER_SIZE, length);
    out.write(frame);
    out.flush();
  }

  private static void readFully(InputStream in, byte[] target, int offset, int length)
      throws IOException {
    int done = 0;
    while (done < length) {
      int n = in.read(target, offset + done, length - done);
      if (n < 0) {
        throw new EOFException(
            "stream ended " + (length - done) + " bytes before the end of a frame");
      }
      done += n;
    }
  }

  /** A peer declared a frame larger than the reader accepts; nothing of its body was read. */
  public static final class FrameTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    private final long declaredLength;

    FrameTooLargeException(long declaredLength, int maxSize) {
      super("frame of " + declaredLength + " bytes exceeds the limit of " + maxSize + " bytes");
      this.declaredLength = declaredLength;
    }

    /** The length the peer declared. */
    public long declaredLength() {
      return declaredLength;
    }
  }
}
