package dev.nitroemu.enclave;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;

/**
 * One connected vsock stream, shaped like {@link java.net.Socket}: blocking streams, half-close and
 * close, plus the vsock addresses of both ends.
 *
 * <p>Both streams may be used from different threads at once (one reader, one writer); {@link
 * #close()} from any thread wakes a blocked read, which then throws {@link java.net.SocketException}.
 */
public interface VsockConnection extends Closeable {

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
   * runs out of time throws {@link java.net.SocketTimeoutException} and the connection stays usable.
   */
  void readTimeout(Duration timeout) throws IOException;

  /** This end's address. */
  VsockAddress localAddress();

  /** The peer's address (see the transport for what it can know about the peer). */
  VsockAddress remoteAddress();

  /** Whether {@link #close()} has been called (or the transport reset the connection). */
  boolean isClosed();

  /** Closes both directions; idempotent. */
  @Override
  void close() throws IOException;
}
