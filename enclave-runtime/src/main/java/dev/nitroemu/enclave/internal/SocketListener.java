package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.StreamConnection;
import dev.nitroemu.enclave.StreamListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;

/** A bound TCP server socket seen as a {@link StreamListener}. */
public final class SocketListener implements StreamListener<StreamConnection, InetSocketAddress> {

  private final ServerSocket serverSocket;

  public SocketListener(ServerSocket serverSocket) {
    this.serverSocket = Objects.requireNonNull(serverSocket, "serverSocket");
    if (!serverSocket.isBound()) {
      throw new IllegalArgumentException("the server socket is not bound");
    }
  }

  @Override
  public StreamConnection accept() throws IOException {
    Socket socket = ChannelSockets.accept(serverSocket);
    try {
      return new SocketConnection(socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return new InetSocketAddress(serverSocket.getInetAddress(), serverSocket.getLocalPort());
  }

  @Override
  public boolean isClosed() {
    return serverSocket.isClosed();
  }

  @Override
  public void close() throws IOException {
    serverSocket.close();
  }

  @Override
  public String toString() {
    return "StreamListener[tcp " + localAddress() + "]";
  }
}
