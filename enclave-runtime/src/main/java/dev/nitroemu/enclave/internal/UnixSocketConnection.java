package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.StreamConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A connected Unix domain stream socket as a {@link StreamConnection}, with the read timeout that
 * {@code SocketChannel} lacks for Unix sockets.
 *
 * <p>The channel is non-blocking; a read or write that cannot proceed waits on a selector of its
 * own direction (opened on first need), up to the read timeout for reads, so one reader and one
 * writer can work at once and {@link #close()} wakes both. Writes go out in slices of at most
 * {@value #WRITE_SLICE} bytes, so a partial write never makes the JDK copy a large array again.
 */
public final class UnixSocketConnection implements StreamConnection {

  /** Largest slice handed to one {@code write(2)}. */
  static final int WRITE_SLICE = 64 * 1024;

  /** Pause between connect attempts while a listener's backlog is full. */
  static final int BUSY_RETRY_MILLIS = 10;

  private final SocketChannel channel;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch closedLatch = new CountDownLatch(1);
  private final Object selectorLock = new Object();
  private final InputStream input = new Input();
  private final OutputStream output = new Output();
  private final ByteChannel channelView = new BlockingView();
  private Selector readSelector;
  private Selector writeSelector;
  private volatile long readTimeoutNanos;

  /** Takes over a connected channel (made non-blocking here); closing this closes it. */
  public UnixSocketConnection(SocketChannel channel) throws IOException {
    this.channel = Objects.requireNonNull(channel, "channel");
    if (!channel.isConnected()) {
      throw new IllegalArgumentException("the channel is not connected");
    }
    channel.configureBlocking(false);
  }

  /**
   * Connects to the Unix socket at {@code path}. A listener whose backlog is full is retried every
   * {@value #BUSY_RETRY_MILLIS} ms until {@code timeout} has passed.
   *
   * @throws ConnectException if there is no socket file at {@code path} or nothing listens on it
   * @throws SocketTimeoutException if the listener stays busy for the whole timeout
   */
  public static UnixSocketConnection connect(Path path, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(path);
    while (true) {
      SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
      try {
        channel.configureBlocking(
            false); // A blocking connect would wait for ever on a full backlog.
        if (channel.connect(address)) {
          return new UnixSocketConnection(channel);
        }
        channel.close();
      } catch (ConnectException refused) {
        channel.close();
        throw refused;
      } catch (SocketException e) {
        channel.close();
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
          ConnectException missing =
              new ConnectException("Connection refused: no socket file at " + path);
          missing.initCause(e);
          throw missing;
        }
        if (!Files.isWritable(path)) {
          throw e; // e.g. permission denied: waiting will not help.
        }
        // Otherwise the listener's backlog is full (EAGAIN): retry below.
      } catch (IOException | RuntimeException e) {
        Closeables.closeAfter(channel, e);
        throw e;
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new SocketTimeoutException(
            "Connect timed out: " + path + " stayed busy for " + timeout.toMillis() + " ms");
      }
      try {
        Thread.sleep(BUSY_RETRY_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while connecting to " + path);
      }
    }
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
    try {
      channel.shutdownOutput();
    } catch (ClosedChannelException e) {
      throw closedError();
    }
  }

  @Override
  public void shutdownInput() throws IOException {
    try {
      channel.shutdownInput();
    } catch (ClosedChannelException e) {
      throw closedError();
    }
  }

  @Override
  public void readTimeout(Duration timeout) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("read timeout must be >= 0, was " + timeout);
    }
    readTimeoutNanos = timeout.toNanos();
  }

  /**
   * A blocking view of the socket: reads and writes go straight between the caller's buffer and the
   * socket, waiting (reads up to the read timeout) as the streams do.
   */
  @Override
  public Optional<ByteChannel> channel() {
    return Optional.of(channelView);
  }

  @Override
  public boolean isClosed() {
    return closed.get();
  }

  /** Blocks until this connection is closed, from any thread. */
  public void awaitClose() throws InterruptedException {
    closedLatch.await();
  }

  @Override
  public void close() throws IOException {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      channel.close();
    } finally {
      synchronized (selectorLock) {
        // Closing a selector wakes a thread waiting in it and deregisters the channel, which lets
        // the JDK release the file descriptor at once.
        Closeables.closeQuietly(readSelector);
        Closeables.closeQuietly(writeSelector);
      }
      closedLatch.countDown();
    }
  }

  @Override
  public String toString() {
    return "UnixSocketConnection[" + (closed.get() ? "closed" : channel) + "]";
  }

  private int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    return len == 0 ? 0 : read(ByteBuffer.wrap(b, off, len));
  }

  /**
   * Reads at least one byte into {@code buffer} (which has room), or returns -1 at end of stream.
   */
  private int read(ByteBuffer buffer) throws IOException {
    long timeout = readTimeoutNanos;
    long deadline = timeout == 0 ? 0 : System.nanoTime() + timeout;
    while (true) {
      int n;
      try {
        n = channel.read(buffer);
      } catch (ClosedChannelException e) {
        throw closedError();
      }
      if (n != 0) {
        return n;
      }
      await(SelectionKey.OP_READ, deadline);
    }
  }

  private void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    int end = off + len;
    for (int start = off; start < end; start += WRITE_SLICE) {
      write(ByteBuffer.wrap(b, start, Math.min(WRITE_SLICE, end - start)));
    }
  }

  /** Writes all of {@code buffer}. */
  private void write(ByteBuffer buffer) throws IOException {
    while (buffer.hasRemaining()) {
      int n;
      try {
        n = channel.write(buffer);
      } catch (ClosedChannelException e) {
        throw closedError();
      }
      if (n == 0) {
        await(SelectionKey.OP_WRITE, 0);
      }
    }
  }

  /**
   * Waits until the channel is ready for {@code operation}, the deadline passes (0 = none) or it is
   * closed.
   */
  private void await(int operation, long deadline) throws IOException {
    long waitMillis = 0;
    if (deadline != 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("Read timed out");
      }
      waitMillis = Math.max(1, (left + 999_999) / 1_000_000);
    }
    Selector selector = selector(operation);
    try {
      selector.select(waitMillis);
      selector.selectedKeys().clear();
    } catch (ClosedSelectorException e) {
      throw closedError();
    }
    if (closed.get()) {
      throw closedError();
    }
    if (Thread.currentThread().isInterrupted()) {
      throw new InterruptedIOException("interrupted while waiting on a Unix socket");
    }
  }

  private Selector selector(int operation) throws IOException {
    synchronized (selectorLock) {
      if (closed.get()) {
        throw closedError();
      }
      boolean reading = operation == SelectionKey.OP_READ;
      Selector selector = reading ? readSelector : writeSelector;
      if (selector == null) {
        selector = Selector.open();
        try {
          channel.register(selector, operation);
        } catch (ClosedChannelException e) {
          Closeables.closeQuietly(selector);
          throw closedError();
        }
        if (reading) {
          readSelector = selector;
        } else {
          writeSelector = selector;
        }
      }
      return selector;
    }
  }

  private static SocketException closedError() {
    return new SocketException("Socket closed");
  }

  /** The bytes from the peer; closing it closes the connection, as with {@link java.net.Socket}. */
  private final class Input extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = UnixSocketConnection.this.read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      return UnixSocketConnection.this.read(b, off, len);
    }

    @Override
    public void close() throws IOException {
      UnixSocketConnection.this.close();
    }
  }

  /** The bytes to the peer, unbuffered; closing it closes the connection. */
  private final class Output extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      UnixSocketConnection.this.write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      UnixSocketConnection.this.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      UnixSocketConnection.this.close();
    }
  }

  /** The socket as a blocking channel; closing it closes the connection. */
  private final class BlockingView implements ByteChannel {
    @Override
    public int read(ByteBuffer dst) throws IOException {
      return dst.hasRemaining() ? UnixSocketConnection.this.read(dst) : 0;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      int n = src.remaining();
      UnixSocketConnection.this.write(src);
      return n;
    }

    @Override
    public boolean isOpen() {
      return !closed.get();
    }

    @Override
    public void close() throws IOException {
      UnixSocketConnection.this.close();
    }
  }
}
