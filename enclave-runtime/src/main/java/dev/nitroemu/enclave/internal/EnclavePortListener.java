package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * An enclave-side hybrid vsock listener: a bounded queue of the connections the multiplexer has
 * answered with {@code OK} for its port, which {@link #accept()} hands out, as a kernel's listen
 * backlog would.
 */
public final class EnclavePortListener implements VsockListener {

  private final VsockAddress address;
  private final VsockAddress connectionAddress;
  private final int backlog;
  private final Consumer<EnclavePortListener> onClose;
  private final ArrayDeque<VsockConnection> queue = new ArrayDeque<>();
  private int reserved;
  private boolean closed;

  /**
   * A listener bound to {@code address}.
   *
   * @param connectionAddress the local address of the connections it accepts (the enclave's CID)
   * @param backlog connections answered but not yet accepted, at most
   * @param onClose runs once, when the listener is closed
   */
  public EnclavePortListener(
      VsockAddress address,
      VsockAddress connectionAddress,
      int backlog,
      Consumer<EnclavePortListener> onClose) {
    this.address = Objects.requireNonNull(address, "address");
    this.connectionAddress = Objects.requireNonNull(connectionAddress, "connectionAddress");
    this.backlog = backlog;
    this.onClose = Objects.requireNonNull(onClose, "onClose");
  }

  /** The local address of the connections this listener accepts. */
  public VsockAddress connectionAddress() {
    return connectionAddress;
  }

  /**
   * Takes a place in the backlog for a connection about to be answered; false if full or closed.
   */
  public synchronized boolean reserve() {
    if (closed || queue.size() + reserved >= backlog) {
      return false;
    }
    reserved++;
    return true;
  }

  /**
   * Gives back a place taken by {@link #reserve()} for a connection that was not answered after
   * all.
   */
  public synchronized void cancelReservation() {
    reserved--;
  }

  /**
   * Queues an answered connection in the place {@link #reserve()} took; false (and the connection
   * closed) if the listener was closed meanwhile.
   */
  public boolean deliver(VsockConnection connection) {
    synchronized (this) {
      reserved--;
      if (!closed) {
        queue.add(connection);
        notifyAll();
        return true;
      }
    }
    Closeables.closeQuietly(connection);
    return false;
  }

  @Override
  public VsockConnection accept() throws IOException {
    synchronized (this) {
      while (queue.isEmpty() && !closed) {
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while accepting on " + address);
        }
      }
      if (closed) {
        throw new SocketException("Socket closed");
      }
      return queue.poll();
    }
  }

  @Override
  public VsockAddress localAddress() {
    return address;
  }

  @Override
  public synchronized boolean isClosed() {
    return closed;
  }

  /**
   * Stops accepting and closes the connections still waiting to be accepted, as a kernel resets
   * them.
   */
  @Override
  public void close() {
    List<VsockConnection> pending;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      pending = List.copyOf(queue);
      queue.clear();
      notifyAll();
    }
    pending.forEach(Closeables::closeQuietly);
    onClose.accept(this);
  }

  @Override
  public String toString() {
    return "VsockListener[" + address + " via hybrid vsock]";
  }
}
