package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.StreamConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A connected TCP socket seen as a {@link StreamConnection}; with its {@link #channel()} when a
 * {@link java.nio.channels.SocketChannel} made it.
 */
public final class SocketConnection implements StreamConnection {

  private final Socket socket;
  private final InputStream input;
  private final OutputStream output;

  public SocketConnection(Socket socket) throws IOException {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.input = ChannelSockets.input(socket);
    this.output = ChannelSockets.output(socket);
  }

  @Override
  public InputStream inputStream() {
    return input;
  }

  @Override
  public OutputStream outputStream() {
    return output;
  }

  @Override
  public void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  @Override
  public void shutdownInput() throws IOException {
    socket.shutdownInput();
  }

  @Override
  public void readTimeout(Duration timeout) throws IOException {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("read timeout must be >= 0, was " + timeout);
    }
    long millis = timeout.toMillis();
    socket.setSoTimeout(
        timeout.isZero() ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis)));
  }

  @Override
  public Optional<ByteChannel> channel() {
    return Optional.ofNullable(socket.getChannel());
  }

  @Override
  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() throws IOException {
    ChannelSockets.close(socket);
  }

  @Override
  public String toString() {
    return "StreamConnection["
        + socket.getLocalSocketAddress()
        + " <- "
        + socket.getRemoteSocketAddress()
        + "]";
  }
}
