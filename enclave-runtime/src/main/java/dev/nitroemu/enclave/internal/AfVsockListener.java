package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.IOException;
import java.net.SocketException;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A listening AF_VSOCK socket. {@link #accept()} polls in short slices so {@link #close()} can end
 * it: Linux does not wake an {@code accept} blocked on an AF_VSOCK socket when it is shut down.
 */
public final class AfVsockListener implements VsockListener {

  /** How long one poll slice waits before checking whether the listener was closed. */
  static final int POLL_SLICE_MILLIS = 100;

  private final AfVsockSocket socket;
  private final VsockAddress address;

  public AfVsockListener(AfVsockSocket socket, VsockAddress address) {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.address = Objects.requireNonNull(address, "address");
  }

  @Override
  public VsockConnection accept() throws IOException {
    VsockSyscalls sys = socket.sys();
    while (true) {
      int fd = socket.acquire();
      try {
        byte[] pollfd = LinuxStructs.pollfd(fd, VsockSyscalls.POLLIN, ByteOrder.nativeOrder());
        int ready = sys.poll(pollfd, POLL_SLICE_MILLIS);
        if (ready < 0 && ready != -VsockSyscalls.EINTR) {
          throw AfVsockSocket.error("poll", -ready, address);
        }
        if (ready > 0 && !socket.isClosed()) {
          byte[] peer = new byte[LinuxStructs.SOCKADDR_VM_SIZE];
          int accepted = sys.accept(fd, peer);
          if (accepted >= 0) {
            return connection(sys, accepted, peer);
          }
          if (accepted != -VsockSyscalls.EAGAIN && accepted != -VsockSyscalls.EINTR) {
            throw AfVsockSocket.error("accept", -accepted, address);
          }
        }
      } finally {
        socket.release();
      }
      if (socket.isClosed()) {
        throw new SocketException("Socket closed");
      }
    }
  }

  private static VsockConnection connection(VsockSyscalls sys, int fd, byte[] peer)
      throws IOException {
    AfVsockSocket accepted = new AfVsockSocket(sys, fd);
    try {
      VsockAddress remote = LinuxStructs.parseSockaddrVm(peer, peer.length);
      return new AfVsockConnection(accepted, accepted.localAddress(), remote);
    } catch (IOException | RuntimeException e) {
      accepted.close();
      throw e;
    }
  }

  @Override
  public VsockAddress localAddress() {
    return address;
  }

  @Override
  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() {
    socket.close();
  }

  @Override
  public String toString() {
    return "AfVsockListener[" + address + "]";
  }
}
