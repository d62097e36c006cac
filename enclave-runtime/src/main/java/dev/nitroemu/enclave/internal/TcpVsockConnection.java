package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockFault;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An emulated vsock connection: a loopback TCP socket plus its vsock addresses, with the stream
 * faults (read latency, stalled reads, reset after N bytes) of a {@link VsockFault} applied.
 */
public final class TcpVsockConnection implements VsockConnection {

  private final Socket socket;
  private final VsockAddress local;
  private final VsockAddress remote;
  private final VsockFault fault;
  private final long openedNanos = System.nanoTime();
  private final CountDownLatch closedLatch = new CountDownLatch(1);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ByteBudget budget;
  private final InputStream input;
  private final OutputStream output;
  private final Runnable onClose;
  private volatile long readTimeoutNanos;

  /**
   * Wraps a connected socket.
   *
   * @param onClose runs once when the connection is closed (or reset)
   */
  public TcpVsockConnection(
      Socket socket, VsockAddress local, VsockAddress remote, VsockFault fault, Runnable onClose)
      throws IOException {
    this.socket = Objects.requireNonNull(socket, "socket");
    this.onClose = Objects.requireNonNull(onClose, "onClose");
    this.local = Objects.requireNonNull(local, "local");
    this.remote = Objects.requireNonNull(remote, "remote");
    this.fault = Objects.requireNonNull(fault, "fault");
    socket.setTcpNoDelay(true);
    this.budget = fault.resetAfterBytes() >= 0 ? new ByteBudget(fault.resetAfterBytes()) : null;
    InputStream rawIn = ChannelSockets.input(socket);
    OutputStream rawOut = ChannelSockets.output(socket);
    // Always wrapped, so closing a stream closes the connection (and runs onClose) like Socket's
    // streams.
    this.input = new FaultyInput(rawIn);
    this.output = new BudgetedOutput(rawOut);
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
    long millis =
        timeout.isZero() ? 0 : Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    socket.setSoTimeout((int) millis);
    readTimeoutNanos = timeout.toNanos();
  }

  /**
   * The socket's channel, when a {@link java.nio.channels.SocketChannel} made it and no fault acts
   * on the bytes (read latency, read stall, reset after N bytes): those need the streams.
   */
  @Override
  public Optional<ByteChannel> channel() {
    boolean streamFaults =
        budget != null || !fault.readLatency().isZero() || !fault.readStall().isZero();
    return streamFaults ? Optional.empty() : Optional.ofNullable(socket.getChannel());
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
  public boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() throws IOException {
    if (closed.compareAndSet(false, true)) {
      closedLatch.countDown();
      try {
        ChannelSockets.close(socket);
      } finally {
        onClose.run();
      }
    }
  }

  @Override
  public String toString() {
    return "VsockConnection["
        + local
        + " -> "
        + remote
        + " via tcp "
        + socket.getLocalPort()
        + "->"
        + socket.getPort()
        + "]";
  }

  /** Sends a TCP reset to the peer and closes: what an injected reset looks like from both ends. */
  private SocketException injectReset() {
    try {
      socket.setSoLinger(true, 0);
    } catch (SocketException ignored) {
      // Already closed: nothing left to reset.
    }
    try {
      close();
    } catch (IOException ignored) {
      // Closing a socket we are abandoning; the reset is what matters.
    }
    return new SocketException(
        "Connection reset (injected fault after " + fault.resetAfterBytes() + " bytes)");
  }

  /**
   * Waits {@code nanos} unless the connection closes first or the read timeout ends the wait.
   * Waiting on the close latch (not sleeping) is what lets {@link #close()} wake a stalled read.
   */
  private void pause(long nanos) throws IOException {
    if (nanos <= 0) {
      return;
    }
    long timeout = readTimeoutNanos;
    boolean timesOut = timeout > 0 && timeout < nanos;
    try {
      if (closedLatch.await(timesOut ? timeout : nanos, TimeUnit.NANOSECONDS)) {
        throw new SocketException("Socket closed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while a fault delayed the read");
    }
    if (timesOut) {
      throw new SocketTimeoutException("Read timed out (injected read stall or latency)");
    }
  }

  /**
   * Input stream that applies read stalls, read latency and the reset budget (when set) before each
   * read.
   */
  private final class FaultyInput extends InputStream {
    private final InputStream in;

    FaultyInput(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (closed.get()) {
        throw new SocketException("Socket closed");
      }
      if (len == 0) {
        return 0;
      }
      if (!fault.readStall().isZero()) {
        pause(fault.readStall().toNanos() - (System.nanoTime() - openedNanos));
      }
      pause(fault.readLatency().toNanos());
      if (budget == null) {
        return in.read(b, off, len);
      }
      // Peek rather than reserve: a read blocked for a long time must not starve the writer's
      // budget.
      int limit = (int) Math.min(len, budget.remaining());
      if (limit == 0) {
        throw injectReset();
      }
      int n = in.read(b, off, limit);
      if (n > 0) {
        budget.take(n);
      }
      return n;
    }

    @Override
    public int available() throws IOException {
      return in.available();
    }

    @Override
    public void close() throws IOException {
      TcpVsockConnection.this.close();
    }
  }

  /**
   * Output stream that, under a reset fault, writes at most the remaining budget and then resets.
   */
  private final class BudgetedOutput extends OutputStream {
    private final OutputStream out;

    BudgetedOutput(OutputStream out) {
      this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (budget == null) {
        out.write(b, off, len);
        return;
      }
      if (len == 0) {
        return;
      }
      int granted = budget.take(len);
      if (granted > 0) {
        out.write(b, off, granted);
        out.flush();
      }
      if (granted < len) {
        throw injectReset();
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      TcpVsockConnection.this.close();
    }
  }

  /** The bytes a connection may still carry before an injected reset, shared by both directions. */
  private static final class ByteBudget {
    private long remaining;

    ByteBudget(long remaining) {
      this.remaining = remaining;
    }

    synchronized int take(int wanted) {
      int granted = (int) Math.min(wanted, remaining);
      remaining -= granted;
      return granted;
    }

    synchronized long remaining() {
      return remaining;
    }
  }
}
