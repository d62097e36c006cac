package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.SocketConnection;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Optional;

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

  /**
   * This connection's socket as a blocking channel, when bytes may go straight to and from it;
   * empty (the default) when they must pass through the streams, e.g. under fault injection. {@link
   * StreamPump} copies between two such channels through a direct buffer, with no copy in user
   * space.
   *
   * <p>A read waits for at least one byte or end of stream, and may or may not honour {@link
   * #readTimeout(Duration)}; a write waits until it has written everything. Nothing buffers between
   * the channel and the streams, so one may follow the other. {@link #close()} from any thread
   * wakes a blocked read or write with an {@link IOException}; close the connection, not the
   * channel.
   */
  default Optional<ByteChannel> channel() {
    return Optional.empty();
  }

  /** Whether {@link #close()} has been called (or the transport reset the connection). */
  boolean isClosed();

  /** Closes both directions; idempotent. */
  @Override
  void close() throws IOException;

  /**
   * A connected TCP socket as a stream connection; closing either closes the socket. A socket made
   * by a {@link java.nio.channels.SocketChannel} also offers its {@link #channel()}.
   */
  static StreamConnection of(Socket socket) throws IOException {
    return new SocketConnection(socket);
  }
}
