package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.SocketListener;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;

/**
 * A bound listening socket that {@link StreamServer} accepts connections from: a {@link
 * VsockListener}, or a TCP {@link ServerSocket} through {@link #of(ServerSocket)}.
 *
 * @param <C> the connections it accepts
 * @param <A> the kind of address it is bound to
 */
public interface StreamListener<C extends StreamConnection, A> extends Closeable {

  /**
   * Blocks until a peer connects and returns the connection.
   *
   * @throws java.net.SocketException if the listener is or gets closed while waiting
   */
  C accept() throws IOException;

  /** The bound address, with a concrete port even if any port was asked for. */
  A localAddress();

  /** Whether {@link #close()} has been called. */
  boolean isClosed();

  /**
   * Stops listening and wakes a blocked {@link #accept()}; idempotent. Accepted connections stay
   * open.
   */
  @Override
  void close() throws IOException;

  /**
   * A bound TCP server socket as a listener of {@link StreamConnection}s; closing it closes the
   * socket.
   */
  static StreamListener<StreamConnection, InetSocketAddress> of(ServerSocket serverSocket) {
    return new SocketListener(serverSocket);
  }

  /**
   * A listener on a free port of the loopback address (backlog 50), for forwarders that only local
   * clients may reach.
   *
   * @throws IOException if no port can be bound
   */
  static StreamListener<StreamConnection, InetSocketAddress> loopback() throws IOException {
    // Made by a channel, so accepted connections offer theirs to StreamPump.
    ServerSocket serverSocket = ServerSocketChannel.open().socket();
    try {
      serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    } catch (IOException | RuntimeException e) {
      serverSocket.close();
      throw e;
    }
    return of(serverSocket);
  }
}
