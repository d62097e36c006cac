package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.InjectedFaults;
import dev.nitroemu.enclave.internal.MappingFile;
import dev.nitroemu.enclave.internal.TcpEndpoint;
import dev.nitroemu.enclave.internal.TcpVsockConnection;
import dev.nitroemu.enclave.internal.TcpVsockListener;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The emulated vsock transport: a registry that maps each listening (CID, port) to a TCP endpoint
 * on 127.0.0.1, so enclave code runs unchanged on any OS.
 *
 * <p><b>Addressing.</b> Every listener binds its own loopback TCP port (port 0), so several
 * simulated enclaves and the parent (CID 3) can listen on the same vsock port. A connect to {@code
 * CID:PORT} goes to the listener on exactly that address, else to one listening on {@link
 * VsockAddress#CID_ANY} with that port, else fails with {@link ConnectException} ("Connection
 * refused"). Unlike Linux, a {@code CID_ANY} listener and a specific-CID listener on the same port
 * coexist here (they stand for different machines); the specific one wins.
 *
 * <p><b>Other processes.</b> With a {@linkplain Builder#mappingFile(Path) mapping file}, the
 * network publishes its listeners there (see {@link #MAPPING_FILE_PROPERTY} for the format;
 * listening on an address the file maps to a TCP endpoint something still listens on fails with
 * {@link BindException}, as that address belongs to another process) and also resolves addresses it
 * does not host from it, so an enclave app in another JVM or a container connects by vsock address
 * alone. {@link #fromEnvironment()} takes the file from {@value #MAPPING_FILE_PROPERTY} or {@value
 * #MAPPING_FILE_ENVIRONMENT_VARIABLE}.
 *
 * <p><b>Peers.</b> A connection's local address is ({@linkplain Builder#localCid(long) local CID},
 * TCP source port). An accepted connection knows the client's vsock address when the client
 * connected through a network in the same JVM; a client from another process is reported as {@code
 * CID_ANY} with its TCP source port as the port.
 *
 * <p><b>Faults.</b> {@link #injectFault(VsockAddress, VsockFault)} makes connections to an address
 * slow, refused, reset or stalled; see {@link VsockFault}.
 */
public final class VsockNetwork implements VsockTransport, AutoCloseable {

  /**
   * System property naming the mapping file; it wins over {@value
   * #MAPPING_FILE_ENVIRONMENT_VARIABLE}. The file is JSON: {@code {"version": 1, "endpoints":
   * {"16:5000": "127.0.0.1:40117", ...}}}, keys {@code CID:PORT} in unsigned decimal ({@code
   * 4294967295} is CID_ANY), values {@code HOST:PORT} of the TCP endpoint ({@code [::1]:PORT} for
   * IPv6). Writers replace it atomically under a lock on {@code FILE.lock}; a missing file means no
   * endpoints.
   */
  public static final String MAPPING_FILE_PROPERTY = "nitro.vsock.map";

  /**
   * Environment variable naming the mapping file when {@value #MAPPING_FILE_PROPERTY} is not set.
   */
  public static final String MAPPING_FILE_ENVIRONMENT_VARIABLE = "NITRO_VSOCK_MAP";

  /** System property giving this process's own CID for {@link #fromEnvironment()}. */
  public static final String LOCAL_CID_PROPERTY = "nitro.vsock.cid";

  /**
   * Environment variable giving this process's own CID when {@value #LOCAL_CID_PROPERTY} is not
   * set.
   */
  public static final String LOCAL_CID_ENVIRONMENT_VARIABLE = "NITRO_VSOCK_CID";

  /** The lowest port handed out for {@link VsockAddress#PORT_ANY}, as Linux does (1024). */
  static final int FIRST_EPHEMERAL_PORT = 1024;

  /**
   * Who is connecting from which TCP source port, JVM-wide, so a listener in any network can tell.
   */
  private static final Map<Integer, TcpVsockListener.Peer> PENDING_PEERS =
      new ConcurrentHashMap<>();

  private static final int BACKLOG = 512;

  private final MappingFile mappingFile;
  private final long localCid;
  private final Map<VsockAddress, TcpVsockListener> listeners = new ConcurrentHashMap<>();
  private final InjectedFaults faults = new InjectedFaults();
  private final Object bindLock = new Object();
  private final AtomicBoolean closed = new AtomicBoolean();

  private VsockNetwork(Builder builder) {
    this.mappingFile = builder.mappingFile == null ? null : new MappingFile(builder.mappingFile);
    this.localCid = builder.localCid;
  }

  /** An in-process network with no mapping file and local CID {@link VsockAddress#CID_PARENT}. */
  public static VsockNetwork create() {
    return builder().build();
  }

  /** A builder with the defaults of {@link #create()}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A network configured from system properties, else environment variables: the mapping file from
   * {@value #MAPPING_FILE_PROPERTY} / {@value #MAPPING_FILE_ENVIRONMENT_VARIABLE} (none if unset)
   * and the local CID from {@value #LOCAL_CID_PROPERTY} / {@value #LOCAL_CID_ENVIRONMENT_VARIABLE}.
   */
  public static VsockNetwork fromEnvironment() {
    return fromSettings(NitroSettings.system());
  }

  /** A network configured as {@link #fromEnvironment()} does, from the given settings. */
  public static VsockNetwork fromSettings(NitroSettings settings) {
    Builder builder = builder();
    settings.get(MAPPING_FILE_PROPERTY).ifPresent(map -> builder.mappingFile(Path.of(map)));
    settings
        .get(LOCAL_CID_PROPERTY)
        .ifPresent(cid -> builder.localCid(VsockAddress.parseCid(cid, LOCAL_CID_PROPERTY)));
    return builder.build();
  }

  /** The mapping file this network publishes to and resolves from, if any. */
  public Optional<Path> mappingFile() {
    return mappingFile == null ? Optional.empty() : Optional.of(mappingFile.path());
  }

  /** The CID this network's outgoing connections report as their local CID. */
  public long localCid() {
    return localCid;
  }

  @Override
  public VsockListener listen(VsockAddress address) throws IOException {
    Objects.requireNonNull(address, "address");
    synchronized (bindLock) {
      checkOpen();
      VsockAddress bound = address.isAnyPort() ? freePort(address.cid()) : address;
      if (listeners.containsKey(bound)) {
        throw new BindException("Address already in use: " + bound);
      }
      // Made by channels, so connections offer them to StreamPump's copy without user-space copies.
      ServerSocket serverSocket = ServerSocketChannel.open().socket();
      try {
        serverSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), BACKLOG);
      } catch (IOException | RuntimeException e) {
        serverSocket.close();
        throw e;
      }
      TcpVsockListener listener;
      try {
        listener =
            new TcpVsockListener(serverSocket, bound, PENDING_PEERS::remove, this::unregister);
        if (mappingFile != null) {
          mappingFile.claim(bound, TcpEndpoint.of(listener.tcpEndpoint()));
        }
      } catch (IOException | RuntimeException e) {
        serverSocket.close();
        throw e;
      }
      listeners.put(bound, listener);
      return listener;
    }
  }

  @Override
  public VsockConnection connect(VsockAddress address, Duration timeout) throws IOException {
    Objects.requireNonNull(address, "address");
    if (address.isAnyCid() || address.isAnyPort()) {
      throw new IllegalArgumentException("cannot connect to the wildcard address " + address);
    }
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("connect timeout must be >= 0, was " + timeout);
    }
    checkOpen();
    VsockFault fault = faultFor(address);
    long timeoutNanos =
        InjectedFaults.delayConnect(address, fault.connectLatency(), timeout.toNanos());
    if (fault.refusesConnections()) {
      throw new ConnectException("Connection refused: " + address + " (injected fault)");
    }
    TcpEndpoint endpoint =
        resolve(address)
            .orElseThrow(
                () ->
                    new ConnectException(
                        "Connection refused: nothing listens at " + address + where()));
    // A plain socket, as AF_VSOCK's: interrupting a thread blocked on it does not close it (a
    // channel-made one would). Accepted connections are channel-made, so a server-side pump (the
    // vsock-proxy) still copies channel to channel.
    Socket socket = new Socket();
    int sourcePort = -1;
    try {
      socket.bind(null);
      sourcePort = socket.getLocalPort();
      VsockAddress local = VsockAddress.of(localCid, sourcePort);
      TcpVsockListener.Peer peer = new TcpVsockListener.Peer(local, address);
      PENDING_PEERS.put(sourcePort, peer);
      int timeoutMillis =
          timeout.isZero()
              ? 0
              : (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeoutNanos / 1_000_000));
      try {
        socket.connect(endpoint.toSocketAddress(), timeoutMillis);
      } catch (ConnectException e) {
        ConnectException refused =
            new ConnectException(
                "Connection refused: nothing listens at "
                    + address
                    + " (stale mapping to "
                    + endpoint
                    + (mappingFile == null ? "" : " in mapping file " + mappingFile.path())
                    + ")");
        refused.initCause(e);
        throw refused;
      }
      int port = sourcePort;
      // Remove only our own entry: once closed, the TCP port may already belong to a newer client.
      return new TcpVsockConnection(
          socket, local, address, fault, () -> PENDING_PEERS.remove(port, peer));
    } catch (IOException | RuntimeException e) {
      PENDING_PEERS.remove(sourcePort);
      socket.close();
      throw e;
    }
  }

  /**
   * Makes new connections to {@code address} misbehave as {@code fault} says; replaces any earlier
   * fault.
   */
  public void injectFault(VsockAddress address, VsockFault fault) {
    faults.put(address, fault);
  }

  /** Removes the fault on {@code address}; existing connections keep theirs. */
  public void clearFault(VsockAddress address) {
    faults.remove(address);
  }

  /** Removes every fault. */
  public void clearFaults() {
    faults.clear();
  }

  /**
   * The fault new connections to {@code address} get: the one installed for it, else one installed
   * for {@code CID_ANY} on that port, else {@link VsockFault#none()}.
   */
  public VsockFault faultFor(VsockAddress address) {
    return faults.faultFor(address);
  }

  /**
   * The TCP endpoint a connect to {@code address} would use right now, if anything listens there.
   */
  public Optional<InetSocketAddress> tcpEndpoint(VsockAddress address) throws IOException {
    return resolve(address).map(TcpEndpoint::toSocketAddress);
  }

  /**
   * The listeners this network hosts, by vsock address, with the loopback TCP endpoint behind each.
   */
  public Map<VsockAddress, InetSocketAddress> endpoints() {
    Map<VsockAddress, InetSocketAddress> result = new TreeMap<>();
    listeners.forEach((address, listener) -> result.put(address, listener.tcpEndpoint()));
    return result;
  }

  /** Closes every listener this network hosts (removing them from the mapping file); idempotent. */
  @Override
  public void close() throws IOException {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    IOException first = null;
    for (TcpVsockListener listener : List.copyOf(listeners.values())) {
      try {
        listener.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    faults.clear();
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return "VsockNetwork[localCid="
        + localCid
        + ", listeners="
        + listeners.keySet()
        + (mappingFile == null ? "" : ", mappingFile=" + mappingFile.path())
        + "]";
  }

  /**
   * Exact address before CID_ANY; this network's listeners before the mapping file (read only if
   * needed).
   */
  private Optional<TcpEndpoint> resolve(VsockAddress address) throws IOException {
    Map<VsockAddress, TcpEndpoint> published = null;
    for (VsockAddress candidate : List.of(address, address.withCid(VsockAddress.CID_ANY))) {
      TcpVsockListener local = listeners.get(candidate);
      if (local != null) {
        return Optional.of(TcpEndpoint.of(local.tcpEndpoint()));
      }
      if (mappingFile != null) {
        published = published != null ? published : mappingFile.read();
        TcpEndpoint remote = published.get(candidate);
        if (remote != null) {
          return Optional.of(remote);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Where this network looked, for "nothing listens" errors: the mapping file, or that there is
   * none.
   */
  private String where() {
    return mappingFile != null
        ? " (mapping file " + mappingFile.path() + ")"
        : " (in-process network without a mapping file; set "
            + MAPPING_FILE_ENVIRONMENT_VARIABLE
            + " to reach listeners of other processes)";
  }

  private VsockAddress freePort(long cid) throws IOException {
    Map<VsockAddress, TcpEndpoint> published = mappingFile == null ? Map.of() : mappingFile.read();
    for (long port = FIRST_EPHEMERAL_PORT; port < VsockAddress.PORT_ANY; port++) {
      VsockAddress candidate = VsockAddress.of(cid, port);
      if (!listeners.containsKey(candidate) && !published.containsKey(candidate)) {
        return candidate;
      }
    }
    throw new BindException("no free vsock port on CID " + cid);
  }

  private void unregister(TcpVsockListener listener) {
    VsockAddress address = listener.localAddress();
    listeners.remove(address, listener);
    if (mappingFile != null) {
      try {
        mappingFile.update(Map.of(address, TcpEndpoint.of(listener.tcpEndpoint())), Map.of());
      } catch (IOException ignored) {
        // Best effort: a stale entry points at a closed TCP port, so connects to it are refused
        // anyway.
      }
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("this VsockNetwork is closed");
    }
  }

  /** Configures a {@link VsockNetwork}. */
  public static final class Builder {
    private Path mappingFile;
    private long localCid = VsockAddress.CID_PARENT;

    private Builder() {}

    /**
     * Publishes listeners to, and resolves unknown addresses from, this file (created if absent).
     */
    public Builder mappingFile(Path file) {
      this.mappingFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * The CID outgoing connections report as local (default {@link VsockAddress#CID_PARENT}).
     *
     * @throws IllegalArgumentException if the CID is {@link VsockAddress#CID_ANY} or outside {@code
     *     0..4294967295}
     */
    public Builder localCid(long cid) {
      if (VsockAddress.of(cid, 0).isAnyCid()) {
        throw new IllegalArgumentException("the local CID cannot be CID_ANY");
      }
      this.localCid = cid;
      return this;
    }

    public VsockNetwork build() {
      return new VsockNetwork(this);
    }
  }
}
