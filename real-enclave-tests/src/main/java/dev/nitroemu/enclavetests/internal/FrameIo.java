package dev.nitroemu.enclavetests.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Length-prefixed frames: a 4-byte big-endian length, then that many bytes. {@code "hi"} travels as
 * {@code 00 00 00 02 68 69}; the reader refuses lengths above its caller's bound before allocating.
 */
public final class FrameIo {

  /** Bytes of the length prefix. */
  public static final int HEADER_SIZE = 4;

  private FrameIo() {}

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

  /**
   * Reads one frame of at most {@code maxSize} bytes.
   *
   * @return the payload, or null if the stream ended cleanly before a new frame
   * @throws FrameTooLargeException if the declared length is above {@code maxSize} (nothing more is read)
   * @throws EOFException if the stream ends inside a frame
   */
  public static byte[] read(InputStream in, int maxSize) throws IOException {
    byte[] header = new byte[HEADER_SIZE];
    int first = in.read(header, 0, HEADER_SIZE);
    if (first < 0) {
      return null;
    }
    readFully(in, header, first, HEADER_SIZE - first);
    long length = ((header[0] & 0xFFL) << 24) | ((header[1] & 0xFFL) << 16)
        | ((header[2] & 0xFFL) << 8) | (header[3] & 0xFFL);
    if (length > maxSize) {
      throw new FrameTooLargeException(length, maxSize);
    }
    byte[] body = new byte[(int) length];
    readFully(in, body, 0, body.length);
    return body;
  }

  private static void readFully(InputStream in, byte[] target, int offset, int length) throws IOException {
    int done = 0;
    while (done < length) {
      int n = in.read(target, offset + done, length - done);
      if (n < 0) {
        throw new EOFException("stream ended " + (length - done) + " bytes before the end of a frame");
      }
      done += n;
    }
  }

  /** A peer declared a frame larger than the reader accepts. */
  public static final class FrameTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    FrameTooLargeException(long length, int maxSize) {
      super("frame of " + length + " bytes exceeds the limit of " + maxSize + " bytes");
    }
  }
}
