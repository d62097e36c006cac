package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.SocketConnection;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;

/**
 * One connected byte stream, vsock or TCP, shaped like {@link java.net.Socket}: blocking streams,
 * half-close, a read timeout and close; what {@link StreamServer} serves and {@link StreamPump}
 * joins.
 *
 * <p>Both streams may be used from different threads at once (one reader, one writer); {@link
 * #close()} from any thread wakes a blocked read, which then throws {@link
 * java.net.SocketException}.
 */
public interface StreamConnection extends Closeable {

  /** The stream of bytes the peer sends; the same instance on every call. */
  InputStream inputStream() throws IOException;

  /** The stream of bytes to the peer; the same instance on every call. */
  OutputStream outputStream() throws IOException;

  /** Half-closes the sending side: the peer reads end-of-stream, and this side can still read. */
  void shutdownOutput() throws IOException;

  /** Stops receiving: later reads on this side return end-of-stream. */
  void shutdownInput() throws IOException;

  /**
   * Bounds how long one read may block ({@link Duration#ZERO} = forever, the default); a read that
   * runs out of time throws {@link java.net.SocketTimeoutException} and the connection stays
   * usable.
   */
  void readTimeout(Duration timeout) throws IOException;

  /** Whether {@link #close()} has been called (or the transport reset the connection). */
  boolean isClosed();

  /** Closes both directions; idempotent. */
  @Override
  void close() throws IOException;

  /** A connected TCP socket as a stream connection; closing either closes the socket. */
  static StreamConnection of(Socket socket) throws IOException {
    return new SocketConnection(socket);
  }
}
