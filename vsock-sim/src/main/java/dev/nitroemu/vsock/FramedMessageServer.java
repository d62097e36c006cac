package dev.nitroemu.vsock;

import static dev.nitroemu.enclave.Closeables.closeQuietly;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.vsock.internal.ThreadFactories;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Serves a request/response handler on a vsock listener using length-prefixed frames: each request
 * is a 4-byte big-endian length and that many bytes, and so is each reply.
 *
 * <p>One connection carries any number of requests, one at a time; connections are served in
 * parallel, each on its own thread, up to {@code maxConnections}. Bounds: a frame declared larger
 * than {@value #MAX_FRAME_SIZE} bytes closes the connection without reading it; a frame over {@code
 * maxRequestSize} (but within 64 KiB) is read, discarded and answered with {@code oversizedReply}. A
 * handler that throws, or returns null or more than 64 KiB, gets {@code errorReply}'s answer; without
 * an {@code errorReply} (or {@code oversizedReply}) that connection is closed. Nothing a client sends
 * stops the server.
 */
public final class FramedMessageServer implements AutoCloseable {

  /** Largest frame, in either direction, that the protocol carries: 64 KiB. */
  public static final int MAX_FRAME_SIZE = Frames.MAX_FRAME_SIZE;

  /** Default limit on simultaneously served connections. */
  public static final int DEFAULT_MAX_CONNECTIONS = 256;

  /** Answers one request. */
  @FunctionalInterface
  public interface Handler {
    /** The reply to {@code request}; may throw, which the server turns into its error reply. */
    byte[] handle(byte[] request) throws Exception;
  }

  private final VsockTransport transport;
  private final VsockAddress requestedAddress;
  private final Handler handler;
  private final int maxRequestSize;
  private final IntFunction<byte[]> oversizedReply;
  private final Function<Exception, byte[]> errorReply;
  private final int maxConnections;
  private final Set<VsockConnection> active = ConcurrentHashMap.newKeySet();
  private final Object lifecycle = new Object();
  private volatile boolean closed;
  private boolean started;
  private VsockListener listener;
  private ExecutorService connectionPool;
  private Thread acceptThread;

  private FramedMessageServer(Builder builder) {
    this.transport = builder.transport;
    this.requestedAddress = builder.listenAddress;
    this.handler = builder.handler;
    this.maxRequestSize = builder.maxRequestSize;
    this.oversizedReply = builder.oversizedReply;
    this.errorReply = builder.errorReply;
    this.maxConnections = builder.maxConnections;
  }

  /** A builder for a server listening through {@code transport} and answering with {@code handler}. */
  public static Builder builder(VsockTransport transport, Handler handler) {
    return new Builder(transport, handler);
  }

  /**
   * Binds the listener and starts serving.
   *
   * @return this server
   * @throws IllegalStateException if already started or closed
   */
  public FramedMessageServer start() throws IOException {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("close() already called");
      }
      if (started) {
        throw new IllegalStateException("start() already called");
      }
      listener = transport.listen(requestedAddress);
      String name = "framed-server-" + listener.localAddress().toShortString();
      connectionPool = Executors.newCachedThreadPool(ThreadFactories.daemon(name + "-conn"));
      acceptThread = ThreadFactories.daemon(name + "-accept").newThread(this::acceptLoop);
      started = true;
      acceptThread.start();
      return this;
    }
  }

  /** The address the server listens on (with the concrete port). */
  public VsockAddress localAddress() {
    synchronized (lifecycle) {
      if (!started) {
        throw new IllegalStateException("call start() first");
      }
      return listener.localAddress();
    }
  }

  /** Connections open right now. */
  public int activeConnections() {
    return active.size();
  }

  /** Stops listening and closes every connection; idempotent. */
  @Override
  public void close() throws IOException {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      if (!started) {
        return;
      }
    }
    try {
      listener.close();
    } finally {
      for (VsockConnection connection : active) {
        closeQuietly(connection);
      }
      connectionPool.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "FramedMessageServer[" + (listener == null ? requestedAddress : listener.localAddress()) + "]";
  }

  private void acceptLoop() {
    Semaphore slots = new Semaphore(maxConnections);
    while (!closed) {
      VsockConnection connection;
      try {
        slots.acquire();
      } catch (InterruptedException e) {
        return;
      }
      try {
        connection = listener.accept();
      } catch (IOException e) {
        return; // Listener closed: stop serving.
      }
      active.add(connection);
      if (closed) {
        closeQuietly(connection); // close() may have missed it.
      }
      try {
        connectionPool.execute(() -> {
          try {
            serve(connection);
          } finally {
            active.remove(connection);
            closeQuietly(connection);
            slots.release();
          }
        });
      } catch (RuntimeException rejected) {
        active.remove(connection);
        closeQuietly(connection);
        return;
      }
    }
  }

  private void serve(VsockConnection connection) {
    try {
      InputStream in = connection.inputStream();
      OutputStream out = connection.outputStream();
      while (true) {
        long length = Frames.readLength(in);
        if (length < 0 || length > MAX_FRAME_SIZE) {
          return; // Clean end, or a frame too large to read: close the connection.
        }
        byte[] reply;
        if (length > maxRequestSize) {
          Frames.skip(in, length);
          reply = oversizedReply == null ? null : oversizedReply.apply((int) length);
        } else {
          reply = answer(Frames.readBody(in, (int) length));
        }
        if (reply == null || reply.length > MAX_FRAME_SIZE) {
          return; // No reply to give: closing is the answer.
        }
        Frames.write(out, reply);
      }
    } catch (IOException | RuntimeException e) {
      // The peer broke the connection (or a reply function failed): only this connection ends.
    }
  }

  private byte[] answer(byte[] request) {
    try {
      byte[] reply = handler.handle(request);
      if (reply == null) {
        throw new IllegalStateException("handler returned null");
      }
      if (reply.length > MAX_FRAME_SIZE) {
        throw new IllegalStateException("handler reply of " + reply.length + " bytes exceeds " + MAX_FRAME_SIZE);
      }
      return reply;
    } catch (Exception e) {
      return errorReply == null ? null : errorReply.apply(e);
    }
  }

  /** Configures a {@link FramedMessageServer}. */
  public static final class Builder {
    private final VsockTransport transport;
    private final Handler handler;
    private VsockAddress listenAddress;
    private int maxRequestSize = MAX_FRAME_SIZE;
    private IntFunction<byte[]> oversizedReply;
    private Function<Exception, byte[]> errorReply;
    private int maxConnections = DEFAULT_MAX_CONNECTIONS;

    private Builder(VsockTransport transport, Handler handler) {
      this.transport = Objects.requireNonNull(transport, "transport");
      this.handler = Objects.requireNonNull(handler, "handler");
    }

    /** Where to listen, e.g. {@code VsockAddress.anyCid(port)}; required. */
    public Builder listenAddress(VsockAddress address) {
      this.listenAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Largest request passed to the handler (default and maximum {@value #MAX_FRAME_SIZE}); larger
     * requests up to 64 KiB get {@code reply.apply(declaredLength)} instead, or a closed connection
     * if {@code reply} is null.
     */
    public Builder maxRequestSize(int bytes, IntFunction<byte[]> reply) {
      if (bytes < 0 || bytes > MAX_FRAME_SIZE) {
        throw new IllegalArgumentException("max request size must be in 0.." + MAX_FRAME_SIZE + ", was " + bytes);
      }
      this.maxRequestSize = bytes;
      this.oversizedReply = reply;
      return this;
    }

    /** Turns a handler failure into a reply (return null to close the connection); default: close it. */
    public Builder errorReply(Function<Exception, byte[]> reply) {
      this.errorReply = Objects.requireNonNull(reply, "reply");
      return this;
    }

    /** Most connections served at once (default {@value #DEFAULT_MAX_CONNECTIONS}); more wait to be accepted. */
    public Builder maxConnections(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("max connections must be >= 1, was " + count);
      }
      this.maxConnections = count;
      return this;
    }

    /** The server, not yet started. */
    public FramedMessageServer build() {
      if (listenAddress == null) {
        throw new IllegalStateException("call listenAddress(...) first");
      }
      return new FramedMessageServer(this);
    }
  }
}
