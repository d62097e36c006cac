package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A hybrid vsock connection: a connected Unix socket plus the vsock addresses its two ends stand
 * for.
 */
public final class UnixVsockConnection implements VsockConnection {

  private final UnixSocketConnection socket;
  private final VsockAddress local;
  private final VsockAddress remote;

  public UnixVsockConnection(UnixSocketConnection socket, VsockAddress local, VsockAddress remote) {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.local = Objects.requireNonNull(local, "local");
    this.remote = Objects.requireNonNull(remote, "remote");
  }

  @Override
  public VsockAddress localAddress() {
    return local;
  }

  @Override
  public VsockAddress remoteAddress() {
    return remote;
  }

  @Override
  public InputStream inputStream() {
    return socket.inputStream();
  }

  @Override
  public OutputStream outputStream() {
    return socket.outputStream();
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
  public void readTimeout(Duration timeout) {
    socket.readTimeout(timeout);
  }

  @Override
  public Optional<ByteChannel> channel() {
    return socket.channel();
  }

  @Override
  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  @Override
  public String toString() {
    return "VsockConnection[" + local + " -> " + remote + " via unix socket]";
  }
}
