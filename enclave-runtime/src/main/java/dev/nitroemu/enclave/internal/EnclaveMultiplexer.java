package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The enclave side of hybrid vsock: listens on {@code <dir>/<base>}, reads each connection's {@code
 * CONNECT <port>} line, and hands the connection to the listener registered for that port after
 * answering {@code OK <host port>}; an unknown port, a malformed, oversized or late line, or a full
 * backlog closes the connection without an answer, as Firecracker's muxer does.
 *
 * <p>It runs on {@link StreamServer}: at most {@code limits.maxConnections()} connections at once,
 * handshakes included, and the limits' idle timeout bounds the whole {@code CONNECT} line. A
 * handed-on connection keeps its place (and a parked server thread) until it is closed. One
 * multiplexer serves every transport of this JVM that shares the socket path ({@link #acquire}); it
 * stops when the last one {@linkplain #release() releases} it.
 */
public final class EnclaveMultiplexer {

  /**
   * First host-side port handed out, as Firecracker does: ports run round-robin in {@code [2^30,
   * 2^31)}.
   */
  public static final int FIRST_HOST_PORT = 1 << 30;

  private static final Map<Path, EnclaveMultiplexer> SHARED = new HashMap<>();

  private final Path key;
  private final StreamServer<UnixSocketConnection, Path> server;
  private final Duration handshakeTimeout;
  private final Map<Long, EnclavePortListener> ports = new ConcurrentHashMap<>();
  private final Set<Integer> hostPortsInUse = new HashSet<>();
  private final AtomicLong refusals = new AtomicLong();
  private int lastHostPort = FIRST_HOST_PORT - 1;
  private int users;

  private EnclaveMultiplexer(Path key, Path socket, ConnectionLimits limits, int backlog) {
    this.key = key;
    this.handshakeTimeout = limits.idleTimeout();
    this.server =
        StreamServer.builder(
                "hybrid-vsock", () -> UnixSocketListener.bind(socket, backlog), this::serve)
            .limits(limits)
            .build();
  }

  /**
   * The multiplexer on {@code socket}, started if this JVM has none there yet (then with these
   * limits and backlog); each call must be matched by one {@link #release()}.
   *
   * @throws BindException if another process listens on {@code socket}
   */
  public static EnclaveMultiplexer acquire(Path socket, ConnectionLimits limits, int backlog)
      throws IOException {
    Path key = socket.toAbsolutePath().normalize();
    synchronized (SHARED) {
      EnclaveMultiplexer multiplexer = SHARED.get(key);
      if (multiplexer == null) {
        multiplexer = new EnclaveMultiplexer(key, socket, limits, backlog);
        multiplexer.server.start();
        SHARED.put(key, multiplexer);
      }
      multiplexer.users++;
      return multiplexer;
    }
  }

  /**
   * Gives up one {@link #acquire}; the last release stops listening, removes the socket file and
   * closes every connection.
   */
  public void release() {
    synchronized (SHARED) {
      if (--users > 0) {
        return;
      }
      SHARED.remove(key, this);
    }
    server.close();
  }

  /**
   * Registers a listener for {@code port} ({@link VsockAddress#PORT_ANY}: the lowest free port from
   * 1024 up) on behalf of an enclave with CID {@code cid}; {@code onClosed} runs when it is closed.
   *
   * @throws BindException if the port is taken
   */
  public EnclavePortListener listen(
      VsockAddress requested, long cid, int backlog, Consumer<? super EnclavePortListener> onClosed)
      throws BindException {
    synchronized (ports) {
      long port = requested.isAnyPort() ? freePort() : requested.port();
      if (ports.containsKey(port)) {
        throw new BindException("Address already in use: vsock port " + port);
      }
      EnclavePortListener listener =
          new EnclavePortListener(
              VsockAddress.of(requested.cid(), port),
              VsockAddress.of(cid, port),
              backlog,
              closing -> {
                unregister(closing);
                onClosed.accept(closing);
              });
      ports.put(port, listener);
      return listener;
    }
  }

  /**
   * Connections refused since start: bad or late {@code CONNECT} lines, unknown ports, full
   * backlogs, a full server.
   */
  public long refusals() {
    return refusals.get() + server.refusedConnections();
  }

  /** Connections open now, handshakes included. */
  public int activeConnections() {
    return server.activeConnections();
  }

  private long freePort() throws BindException {
    for (long port = 1024; port < VsockAddress.PORT_ANY; port++) {
      if (!ports.containsKey(port)) {
        return port;
      }
    }
    throw new BindException("no free vsock port");
  }

  private void unregister(EnclavePortListener listener) {
    ports.remove(listener.localAddress().port(), listener);
  }

  private void serve(UnixSocketConnection connection, StreamServer.Slot slot) throws IOException {
    long port;
    try {
      port = HybridHandshake.parseConnect(HybridHandshake.readLine(connection, handshakeTimeout));
    } catch (EOFException | ProtocolException | SocketTimeoutException e) {
      refusals.incrementAndGet();
      return; // The server closes the connection: the parent reads end of stream, no answer.
    }
    EnclavePortListener listener = ports.get(port);
    if (listener == null || !listener.reserve()) {
      refusals.incrementAndGet();
      return;
    }
    int hostPort = allocateHostPort();
    boolean delivered = false;
    try {
      connection.outputStream().write(HybridHandshake.okLine(hostPort));
      VsockAddress parent = VsockAddress.of(VsockAddress.CID_PARENT, hostPort);
      delivered = true;
      if (listener.deliver(
          new UnixVsockConnection(connection, listener.connectionAddress(), parent))) {
        connection.awaitClose(); // The connection keeps its place in the server until it is closed.
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // The server is closing.
    } finally {
      if (!delivered) {
        listener.cancelReservation();
      }
      freeHostPort(hostPort);
    }
  }

  private int allocateHostPort() {
    synchronized (hostPortsInUse) {
      do {
        lastHostPort = ((lastHostPort + 1) & ~(1 << 31)) | FIRST_HOST_PORT;
      } while (!hostPortsInUse.add(lastHostPort));
      return lastHostPort;
    }
  }

  private void freeHostPort(int port) {
    synchronized (hostPortsInUse) {
      hostPortsInUse.remove(port);
    }
  }
}
