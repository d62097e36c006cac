package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.DaemonThreads;
import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one accept loop and server lifecycle of every server here: accepts connections from a {@link
 * StreamListener} (vsock or TCP) on a daemon thread and serves each on a thread of a bounded pool,
 * within {@link ConnectionLimits}.
 *
 * <p><b>Bounds.</b> At most {@code maxConnections} connections are served at once (default {@value
 * ConnectionLimits#DEFAULT_MAX_CONNECTIONS}), plus up to {@code maxWaiting} accepted ones waiting
 * for a free thread (default 0). Every connection gets the idle timeout (default 60 s) as its read
 * timeout before its handler runs, so a peer that goes silent, before or inside a message, is
 * closed. Accepting never waits for a free slot. When the server is full, a new connection takes
 * the place of the connection whose handler has marked it {@linkplain Slot#idle() idle} the
 * longest, closing that one (as nginx drops idle keep-alive connections when it runs out); if none
 * is idle and no waiting place is free, the new connection is refused: given the refusal answer, if
 * the server has one (e.g. an HTTP 503), and closed at once.
 *
 * <p><b>Lifecycle.</b> {@link #start()} binds (through the binder given to the builder) and starts
 * accepting; {@link #close()} stops listening and closes every live connection, and is idempotent.
 * A handler's exception ends only its own connection; nothing a client sends stops the server.
 *
 * @param <C> the connections served
 * @param <A> the kind of address the listener is bound to
 */
public final class StreamServer<C extends StreamConnection, A> implements AutoCloseable {

  /** Opens the listener; called once, by {@link #start()}. */
  @FunctionalInterface
  public interface Binder<L> {
    /** The bound listener. */
    L bind() throws IOException;
  }

  /** Serves one connection; the server closes it when this returns or throws. */
  @FunctionalInterface
  public interface Handler<C> {
    /** Serves {@code connection}, whose place in the server is {@code slot}. */
    void serve(C connection, Slot slot) throws IOException;
  }

  /**
   * Answers a connection the full server refuses, before it is closed; must not block (a few bytes
   * at most).
   */
  @FunctionalInterface
  public interface Refusal<C> {
    /** Writes the refusal to {@code connection}. */
    void refuse(C connection) throws IOException;
  }

  private static final long ACCEPT_RETRY_MILLIS = 50;

  /** How long {@link #close()} waits for handlers to return once their connections are closed. */
  private static final long CLOSE_WAIT_MILLIS = 5_000;

  private final String name;
  private final Binder<? extends StreamListener<C, A>> binder;
  private final Handler<C> handler;
  private final ConnectionLimits limits;
  private final int maxWaiting;
  private final Refusal<C> refusal;
  private final Set<Slot> live = ConcurrentHashMap.newKeySet();
  private final Object admission = new Object();
  private final Object lifecycle = new Object();
  private final AtomicLong refused = new AtomicLong();
  private final Set<Thread> servingThreads = ConcurrentHashMap.newKeySet();
  private final CountDownLatch shutDown = new CountDownLatch(1);
  private volatile boolean closed;
  private boolean started;
  private StreamListener<C, A> listener;
  private ThreadPoolExecutor workers;

  private StreamServer(Builder<C, A> builder) {
    this.name = builder.name;
    this.binder = builder.binder;
    this.handler = builder.handler;
    this.limits = builder.limits;
    this.maxWaiting = builder.maxWaiting;
    this.refusal = builder.refusal;
  }

  /**
   * A builder for a server named {@code name} (in its thread names) that listens on what {@code
   * binder} opens and serves each connection with {@code handler}.
   */
  public static <C extends StreamConnection, A> Builder<C, A> builder(
      String name, Binder<? extends StreamListener<C, A>> binder, Handler<C> handler) {
    return new Builder<>(name, binder, handler);
  }

  /**
   * Binds and starts accepting.
   *
   * @return this server
   * @throws IOException if the binder fails (nothing is left open then)
   * @throws IllegalStateException if already started or closed
   */
  public StreamServer<C, A> start() throws IOException {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("close() already called");
      }
      if (started) {
        throw new IllegalStateException("start() already called");
      }
      listener = Objects.requireNonNull(binder.bind(), "the binder returned no listener");
      String prefix = name + "-" + DaemonThreads.shortName(listener.localAddress());
      workers = DaemonThreads.pool(prefix, limits.maxConnections());
      Thread acceptThread = DaemonThreads.named(prefix + "-accept").newThread(this::acceptLoop);
      started = true;
      acceptThread.start();
      return this;
    }
  }

  /**
   * The bound address, with the concrete port.
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public A localAddress() {
    synchronized (lifecycle) {
      if (!started) {
        throw new IllegalStateException("call start() first");
      }
      return listener.localAddress();
    }
  }

  /** The limits the server applies. */
  public ConnectionLimits limits() {
    return limits;
  }

  /** Connections open right now: being served, or accepted and waiting for a thread. */
  public int activeConnections() {
    return live.size();
  }

  /** Connections refused because the server was full, since start. */
  public long refusedConnections() {
    return refused.get();
  }

  /**
   * Stops listening, closes every live connection and waits (a few seconds at most) for the
   * handlers to return; idempotent. A second caller returns once the first caller's close has
   * finished; a handler that closes its own server does not wait for itself.
   */
  @Override
  public void close() {
    boolean first;
    synchronized (lifecycle) {
      first = !closed;
      closed = true;
      if (first && !started) {
        shutDown.countDown();
        return;
      }
    }
    if (!first) {
      if (!servingThreads.contains(Thread.currentThread())) {
        DaemonThreads.awaitQuietly(() -> shutDown.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS));
      }
      return;
    }
    try {
      Closeables.closeQuietly(listener);
      for (Slot slot : live) {
        Closeables.closeQuietly(slot.connection);
      }
      workers.shutdownNow();
      if (!servingThreads.contains(Thread.currentThread())) {
        DaemonThreads.awaitQuietly(
            () -> workers.awaitTermination(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS));
      }
    } finally {
      shutDown.countDown();
    }
  }

  @Override
  public String toString() {
    synchronized (lifecycle) {
      return "StreamServer["
          + name
          + (started ? " " + listener.localAddress() : "")
          + (closed ? ", closed" : "")
          + "]";
    }
  }

  private void acceptLoop() {
    while (!closed) {
      C connection;
      try {
        connection = listener.accept();
      } catch (IOException e) {
        if (closed || listener.isClosed() || !DaemonThreads.pause(ACCEPT_RETRY_MILLIS)) {
          return;
        }
        continue; // e.g. out of file descriptors for a moment: the server keeps listening.
      }
      admit(connection);
    }
  }

  private void admit(C connection) {
    Slot slot = new Slot(connection);
    boolean admitted;
    synchronized (admission) {
      admitted =
          live.size() < limits.maxConnections()
              || evictIdlest()
              || live.size() < limits.maxConnections() + maxWaiting;
      if (admitted) {
        live.add(slot);
      }
    }
    if (!admitted) {
      refuse(connection);
      return;
    }
    if (closed) { // close() may have missed it.
      live.remove(slot);
      Closeables.closeQuietly(connection);
      return;
    }
    try {
      workers.execute(() -> serve(connection, slot));
    } catch (RejectedExecutionException stopping) {
      live.remove(slot);
      Closeables.closeQuietly(connection);
    }
  }

  /**
   * Closes the connection idle the longest to make room; false if no connection is idle. Holds
   * {@code admission}.
   */
  private boolean evictIdlest() {
    List<Slot> idle =
        live.stream()
            .filter(Slot::isIdle)
            .sorted(Comparator.comparingLong(slot -> slot.idleSince))
            .toList();
    for (Slot victim : idle) {
      if (victim.evict()) {
        live.remove(victim);
        Closeables.closeQuietly(victim.connection);
        return true;
      }
    }
    return false;
  }

  private void refuse(C connection) {
    refused.incrementAndGet();
    try {
      if (refusal != null) {
        refusal.refuse(connection);
      }
    } catch (IOException | RuntimeException e) {
      // The peer is turned away either way.
    } finally {
      Closeables.closeQuietly(connection);
    }
  }

  private void serve(C connection, Slot slot) {
    servingThreads.add(Thread.currentThread());
    try {
      if (!closed) {
        connection.readTimeout(limits.idleTimeout());
        handler.serve(connection, slot);
      }
    } catch (IOException | RuntimeException e) {
      // The peer broke the connection, went silent, or the handler failed: only this connection
      // ends.
    } finally {
      live.remove(slot);
      Closeables.closeQuietly(connection);
      servingThreads.remove(Thread.currentThread());
    }
  }

  /**
   * A connection's place in the server, through which its handler says when the connection only
   * waits for its peer, so that a full server may close it to admit a new connection.
   */
  public static final class Slot {
    private static final int BUSY = 0;
    private static final int IDLE = 1;
    private static final int EVICTED = 2;

    private final StreamConnection connection;
    private final AtomicInteger state = new AtomicInteger(BUSY);
    private volatile long idleSince;

    private Slot(StreamConnection connection) {
      this.connection = connection;
    }

    /**
     * The connection now waits for its peer with nothing of it being worked on (e.g. between
     * requests, or while a request arrives): a full server may close it for a new connection.
     */
    public void idle() {
      idleSince = System.nanoTime();
      state.compareAndSet(BUSY, IDLE);
    }

    /**
     * Work on what the peer sent starts. Returns false if the server has already closed the
     * connection for a new one; the handler must then stop without acting on what it read.
     */
    public boolean busy() {
      return state.compareAndExchange(IDLE, BUSY) != EVICTED;
    }

    private boolean isIdle() {
      return state.get() == IDLE;
    }

    private boolean evict() {
      return state.compareAndSet(IDLE, EVICTED);
    }
  }

  /** Configures a {@link StreamServer}. */
  public static final class Builder<C extends StreamConnection, A> {
    private final String name;
    private final Binder<? extends StreamListener<C, A>> binder;
    private final Handler<C> handler;
    private ConnectionLimits limits = ConnectionLimits.DEFAULT;
    private int maxWaiting;
    private Refusal<C> refusal;

    private Builder(
        String name, Binder<? extends StreamListener<C, A>> binder, Handler<C> handler) {
      this.name = Objects.requireNonNull(name, "name");
      this.binder = Objects.requireNonNull(binder, "binder");
      this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** Connection cap and idle timeout (default {@link ConnectionLimits#DEFAULT}). */
    public Builder<C, A> limits(ConnectionLimits connectionLimits) {
      this.limits = Objects.requireNonNull(connectionLimits, "connectionLimits");
      return this;
    }

    /**
     * Accepted connections that may wait for a free thread when all {@code maxConnections} are
     * served (default 0: a full server refuses at once); more are refused.
     */
    public Builder<C, A> maxWaiting(int count) {
      if (count < 0 || count > ConnectionLimits.MAX_CONNECTIONS_LIMIT) {
        throw new IllegalArgumentException(
            "max waiting must be in 0.."
                + ConnectionLimits.MAX_CONNECTIONS_LIMIT
                + ", was "
                + count);
      }
      this.maxWaiting = count;
      return this;
    }

    /**
     * What a refused connection is told before it is closed (default: nothing, it is just closed).
     */
    public Builder<C, A> refusal(Refusal<C> answer) {
      this.refusal = Objects.requireNonNull(answer, "answer");
      return this;
    }

    /** The server, not yet started. */
    public StreamServer<C, A> build() {
      return new StreamServer<>(this);
    }
  }
}
