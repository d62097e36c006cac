package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Ports;
import dev.nitroemu.enclave.StreamConnection;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The one line each side of a hybrid vsock connection into the enclave sends before the byte
 * stream: {@code CONNECT <port>\n} from the parent, {@code OK <port>\n} from the enclave side, as
 * Firecracker's vsock muxer has them.
 *
 * <p>A line is printable ASCII (tabs and a {@code \r} before the newline allowed) ending in {@code
 * \n}, at most {@value #MAX_LINE_BYTES} bytes with the newline, made of exactly two words separated
 * by whitespace: the verb, compared ignoring case, and an unsigned decimal 32-bit port. Lines are
 * read one byte at a time, so no byte of the stream that follows is consumed.
 */
public final class HybridHandshake {

  /** Longest line either side accepts, newline included (Firecracker's limit). */
  public static final int MAX_LINE_BYTES = 32;

  /** The parent's verb. */
  public static final String CONNECT = "CONNECT";

  /** The enclave side's answer. */
  public static final String OK = "OK";

  private HybridHandshake() {}

  /** {@code CONNECT <port>\n}. */
  public static byte[] connectLine(long port) {
    return line(CONNECT, port);
  }

  /** {@code OK <port>\n}. */
  public static byte[] okLine(long port) {
    return line(OK, port);
  }

  /** The port of a {@code CONNECT} line (without its newline). */
  public static long parseConnect(String line) throws ProtocolException {
    return parse(CONNECT, line);
  }

  /** The port of an {@code OK} line (without its newline). */
  public static long parseOk(String line) throws ProtocolException {
    return parse(OK, line);
  }

  /**
   * Reads one line, without its newline, all of it within {@code timeout} (a peer trickling bytes
   * cannot stretch the wait), and leaves the connection's read timeout at zero.
   *
   * @throws EOFException if the stream ends first
   * @throws ProtocolException if the line is longer than {@value #MAX_LINE_BYTES} bytes or holds a
   *     byte that is not printable ASCII
   * @throws SocketTimeoutException if the line is not complete in time
   */
  public static String readLine(StreamConnection connection, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    InputStream in = connection.inputStream();
    byte[] line = new byte[MAX_LINE_BYTES];
    for (int length = 0; length < MAX_LINE_BYTES; length++) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException(
            "the handshake line did not arrive within " + timeout.toMillis() + " ms");
      }
      connection.readTimeout(Duration.ofNanos(left));
      int b = in.read();
      if (b < 0) {
        throw new EOFException(
            "the stream ended " + (length == 0 ? "before" : "inside") + " the handshake line");
      }
      if (b == '\n') {
        connection.readTimeout(Duration.ZERO);
        return new String(line, 0, length, StandardCharsets.US_ASCII);
      }
      if ((b < 0x20 || b > 0x7E) && b != '\t' && b != '\r') {
        throw new ProtocolException(
            "the handshake line holds the byte 0x" + Integer.toHexString(b));
      }
      line[length] = (byte) b;
    }
    throw new ProtocolException("the handshake line is longer than " + MAX_LINE_BYTES + " bytes");
  }

  private static byte[] line(String verb, long port) {
    return (verb + " " + port + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static long parse(String verb, String line) throws ProtocolException {
    String[] words = line.strip().split("[ \t\r]+");
    if (words.length != 2 || !words[0].equalsIgnoreCase(verb)) {
      throw new ProtocolException("expected '" + verb + " <port>', was '" + line.strip() + "'");
    }
    try {
      return Ports.vsock(Ports.parse(words[1], "handshake port"), "handshake port");
    } catch (IllegalArgumentException e) {
      throw new ProtocolException(e.getMessage());
    }
  }
}
