package dev.nitroemu.vsock;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * Serves a request/response handler on a vsock listener using length-prefixed frames: each request
 * is a 4-byte big-endian length and that many bytes, and so is each reply.
 *
 * <p>One connection carries any number of requests, one at a time; connections are served in
 * parallel, each on its own thread. Bounds: a frame declared larger than {@value #MAX_FRAME_SIZE}
 * bytes closes the connection without reading it; a frame over {@code maxRequestSize} (but within
 * 64 KiB) is read, discarded and answered with {@code oversizedReply}. A handler that throws, or
 * returns null or more than 64 KiB, gets {@code errorReply}'s answer; without an {@code errorReply}
 * (or {@code oversizedReply}) that connection is closed. Nothing a client sends stops the server.
 *
 * <p><b>Connection limits</b> ({@link ConnectionLimits}, default {@value
 * ConnectionLimits#DEFAULT_MAX_CONNECTIONS} connections and a 60 s idle timeout): a client that
 * sends nothing for the idle timeout, between requests or inside one (a slowloris client), is
 * disconnected. When every connection is taken, a new connection takes the place of the one that
 * has waited longest for its client's bytes (closing it before any request of it is acted on); if
 * every connection has a request being handled, the new connection is closed at once. Idle or
 * half-sent connections therefore never keep a new client from its answer. The accept loop is
 * {@link StreamServer}'s.
 */
public final class FramedMessageServer implements AutoCloseable {

  /** Largest frame, in either direction, that the protocol carries: 64 KiB. */
  public static final int MAX_FRAME_SIZE = Frames.MAX_FRAME_SIZE;

  /** Default limit on simultaneously served connections. */
  public static final int DEFAULT_MAX_CONNECTIONS = ConnectionLimits.DEFAULT_MAX_CONNECTIONS;

  /** Answers one request. */
  @FunctionalInterface
  public interface Handler {
    /** The reply to {@code request}; may throw, which the server turns into its error reply. */
    byte[] handle(byte[] request) throws Exception;
  }

  private final Handler handler;
  private final int maxRequestSize;
  private final IntFunction<byte[]> oversizedReply;
  private final Function<Exception, byte[]> errorReply;
  private final StreamServer<VsockConnection, VsockAddress> server;

  private FramedMessageServer(Builder builder) {
    this.handler = builder.handler;
    this.maxRequestSize = builder.maxRequestSize;
    this.oversizedReply = builder.oversizedReply;
    this.errorReply = builder.errorReply;
    VsockTransport transport = builder.transport;
    VsockAddress address = builder.listenAddress;
    this.server =
        StreamServer.builder("framed-server", () -> transport.listen(address), this::serve)
            .limits(builder.limits)
            .build();
  }

  /**
   * A builder for a server listening through {@code transport} and answering with {@code handler}.
   */
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
    server.start();
    return this;
  }

  /** The address the server listens on (with the concrete port). */
  public VsockAddress localAddress() {
    return server.localAddress();
  }

  /** The connection cap and idle timeout in force. */
  public ConnectionLimits limits() {
    return server.limits();
  }

  /** Connections open right now. */
  public int activeConnections() {
    return server.activeConnections();
  }

  /**
   * Connections closed at once since start because every connection had a request being handled.
   */
  public long refusedConnections() {
    return server.refusedConnections();
  }

  /** Stops listening and closes every connection; idempotent. */
  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return "FramedMessageServer[" + server + "]";
  }

  private void serve(VsockConnection connection, StreamServer.Slot slot) throws IOException {
    InputStream in = connection.inputStream();
    OutputStream out = connection.outputStream();
    while (true) {
      slot.idle(); // Waiting for the client: a full server may close this connection for a new one.
      long length = Frames.readLength(in);
      if (length < 0 || length > MAX_FRAME_SIZE) {
        return; // Clean end, or a frame too large to read: close the connection.
      }
      byte[] request = null;
      if (length > maxRequestSize) {
        Frames.skip(in, length);
      } else {
        request = Frames.readBody(in, (int) length);
      }
      if (!slot.busy()) {
        return; // Closed for a new connection while the request arrived: it is not acted on.
      }
      byte[] reply;
      if (request == null) {
        reply = oversizedReply == null ? null : oversizedReply.apply((int) length);
      } else {
        reply = answer(request);
      }
      if (reply == null || reply.length > MAX_FRAME_SIZE) {
        return; // No reply to give: closing is the answer.
      }
      Frames.write(out, reply);
    }
  }

  private byte[] answer(byte[] request) {
    try {
      byte[] reply = handler.handle(request);
      if (reply == null) {
        throw new IllegalStateException("handler returned null");
      }
      if (reply.length > MAX_FRAME_SIZE) {
        throw new IllegalStateException(
            "handler reply of " + reply.length + " bytes exceeds " + MAX_FRAME_SIZE);
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
    private ConnectionLimits limits = ConnectionLimits.DEFAULT;

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
        throw new IllegalArgumentException(
            "max request size must be in 0.." + MAX_FRAME_SIZE + ", was " + bytes);
      }
      this.maxRequestSize = bytes;
      this.oversizedReply = reply;
      return this;
    }

    /**
     * Turns a handler failure into a reply (return null to close the connection); default: close
     * it.
     */
    public Builder errorReply(Function<Exception, byte[]> reply) {
      this.errorReply = Objects.requireNonNull(reply, "reply");
      return this;
    }

    /**
     * Connection cap and idle timeout (default {@link ConnectionLimits#DEFAULT}: {@value
     * ConnectionLimits#DEFAULT_MAX_CONNECTIONS} connections, 60 s).
     */
    public Builder limits(ConnectionLimits connectionLimits) {
      this.limits = Objects.requireNonNull(connectionLimits, "connectionLimits");
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
