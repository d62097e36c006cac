package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.IOException;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A parent-side hybrid vsock listener: the Unix socket {@code <dir>/<base>_<port>} that the
 * enclave's connections to that port arrive on, with no handshake.
 *
 * <p>A Unix socket carries no vsock address, so each accepted connection's peer is the enclave's
 * CID with a port this side numbers ({@code peerPorts}); it is not the enclave's own local port.
 */
public final class ParentPortListener implements VsockListener {

  private final UnixSocketListener socket;
  private final VsockAddress address;
  private final long enclaveCid;
  private final LongSupplier peerPorts;
  private final Consumer<ParentPortListener> onClose;

  /**
   * Listens on {@code socket} for {@code address}.
   *
   * @param peerPorts numbers the peer port of each accepted connection
   * @param onClose runs after the listener is closed
   */
  public ParentPortListener(
      UnixSocketListener socket,
      VsockAddress address,
      long enclaveCid,
      LongSupplier peerPorts,
      Consumer<ParentPortListener> onClose) {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.address = Objects.requireNonNull(address, "address");
    this.enclaveCid = enclaveCid;
    this.peerPorts = Objects.requireNonNull(peerPorts, "peerPorts");
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  @Override
  public VsockConnection accept() throws IOException {
    UnixSocketConnection connection = socket.accept();
    VsockAddress local = VsockAddress.of(VsockAddress.CID_PARENT, address.port());
    return new UnixVsockConnection(
        connection, local, VsockAddress.of(enclaveCid, peerPorts.getAsLong()));
  }

  @Override
  public VsockAddress localAddress() {
    return address;
  }

  @Override
  public boolean isClosed() {
    return socket.isClosed();
  }

  /** Stops listening and removes the socket file; idempotent. Accepted connections stay open. */
  @Override
  public void close() throws IOException {
    if (socket.isClosed()) {
      return;
    }
    try {
      socket.close();
    } finally {
      onClose.accept(this);
    }
  }

  @Override
  public String toString() {
    return "VsockListener[" + address + " via " + socket.localAddress() + "]";
  }
}
