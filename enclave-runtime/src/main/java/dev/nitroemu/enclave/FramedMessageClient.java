package dev.nitroemu.enclave;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;

/**
 * Calls a framed-message server (vsock-sim's {@code FramedMessageServer}): sends one
 * length-prefixed request frame and reads one reply frame per {@link #call(byte[])}, over one
 * connection; thread-safe (calls are serialised).
 *
 * <p>After any I/O error, a reply larger than the limit, or the server closing the connection, the
 * client is broken: the connection is closed and later calls throw {@link SocketException}. Open a
 * new client to retry.
 */
public final class FramedMessageClient implements AutoCloseable {

  private final VsockConnection connection;
  private final int maxResponseSize;
  private boolean broken;

  private FramedMessageClient(VsockConnection connection, int maxResponseSize) {
    this.connection = Objects.requireNonNull(connection, "connection");
    if (maxResponseSize < 0 || maxResponseSize > Frames.MAX_FRAME_SIZE) {
      throw new IllegalArgumentException(
          "max response size must be in 0.." + Frames.MAX_FRAME_SIZE + ", was " + maxResponseSize);
    }
    this.maxResponseSize = maxResponseSize;
  }

  /** Connects to a server and accepts replies up to 64 KiB. */
  public static FramedMessageClient connect(
      VsockTransport transport, VsockAddress server, Duration timeout) throws IOException {
    return over(transport.connect(server, timeout), Frames.MAX_FRAME_SIZE);
  }

  /**
   * Uses an open connection, accepting replies up to {@code maxResponseSize} bytes; the client owns
   * the connection from now on and closes it.
   */
  public static FramedMessageClient over(VsockConnection connection, int maxResponseSize) {
    return new FramedMessageClient(connection, maxResponseSize);
  }

  /**
   * Sends {@code request} and waits for the reply.
   *
   * @throws IllegalArgumentException if the request is larger than 64 KiB (nothing is sent)
   * @throws EOFException if the server closed the connection instead of replying
   * @throws IOException on a transport error or a reply over the limit
   */
  public synchronized byte[] call(byte[] request) throws IOException {
    Objects.requireNonNull(request, "request");
    if (request.length > Frames.MAX_FRAME_SIZE) {
      throw new IllegalArgumentException(
          "request of "
              + request.length
              + " bytes exceeds the "
              + Frames.MAX_FRAME_SIZE
              + "-byte frame limit");
    }
    if (broken) {
      throw new SocketException("connection to " + connection.remoteAddress() + " is closed");
    }
    try {
      Frames.write(connection.outputStream(), request);
      long length = Frames.readLength(connection.inputStream());
      if (length < 0) {
        throw new EOFException(
            "server " + connection.remoteAddress() + " closed the connection without replying");
      }
      if (length > maxResponseSize) {
        throw new IOException(
            "reply of " + length + " bytes exceeds the limit of " + maxResponseSize);
      }
      return Frames.readBody(connection.inputStream(), (int) length);
    } catch (IOException | RuntimeException e) {
      broken = true;
      Closeables.closeQuietly(
          connection); // Already broken; the original error is what the caller needs.
      throw e;
    }
  }

  /** The connection's remote address. */
  public VsockAddress serverAddress() {
    return connection.remoteAddress();
  }

  /** Bounds how long a call waits for its reply ({@link Duration#ZERO} = forever). */
  public void readTimeout(Duration timeout) throws IOException {
    connection.readTimeout(timeout);
  }

  /** Closes the connection; idempotent. */
  @Override
  public void close() throws IOException {
    connection.close();
  }
}
