package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockFault;
import dev.nitroemu.enclave.VsockListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** An emulated vsock listener: a TCP server socket on loopback standing for one vsock address. */
public final class TcpVsockListener implements VsockListener {

  /**
   * Who connected, as far as the network hosting both ends knows: the client's and the target's
   * address.
   */
  public record Peer(VsockAddress client, VsockAddress target) {}

  /**
   * Looks up the vsock identity of an in-process client by its TCP source port; null if unknown.
   */
  @FunctionalInterface
  public interface PeerLookup {
    Peer lookup(int clientTcpPort);
  }

  private final ServerSocket serverSocket;
  private final VsockAddress address;
  private final PeerLookup peers;
  private final Consumer<TcpVsockListener> onClose;
  private final AtomicBoolean closed = new AtomicBoolean();

  public TcpVsockListener(
      ServerSocket serverSocket,
      VsockAddress address,
      PeerLookup peers,
      Consumer<TcpVsockListener> onClose) {
    this.serverSocket = Objects.requireNonNull(serverSocket, "serverSocket");
    this.address = Objects.requireNonNull(address, "address");
    this.peers = Objects.requireNonNull(peers, "peers");
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  /** The loopback TCP endpoint that carries this vsock address. */
  public InetSocketAddress tcpEndpoint() {
    return (InetSocketAddress) serverSocket.getLocalSocketAddress();
  }

  @Override
  public VsockConnection accept() throws IOException {
    Socket socket = ChannelSockets.accept(serverSocket);
    try {
      Peer peer = peers.lookup(socket.getPort());
      // A client in another process is unknown here: report CID_ANY and its TCP source port.
      VsockAddress client = peer != null ? peer.client() : VsockAddress.anyCid(socket.getPort());
      VsockAddress local = peer != null ? peer.target() : address;
      return new TcpVsockConnection(socket, local, client, VsockFault.none(), () -> {});
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  @Override
  public VsockAddress localAddress() {
    return address;
  }

  @Override
  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() throws IOException {
    if (closed.compareAndSet(false, true)) {
      try {
        serverSocket.close();
      } finally {
        onClose.accept(this);
      }
    }
  }

  @Override
  public String toString() {
    return "VsockListener[" + address + " via tcp " + tcpEndpoint() + "]";
  }
}
