package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.EnclaveMultiplexer;
import dev.nitroemu.enclave.internal.HybridConnector;
import dev.nitroemu.enclave.internal.HybridPaths;
import dev.nitroemu.enclave.internal.HybridSettings;
import dev.nitroemu.enclave.internal.ParentPortListener;
import dev.nitroemu.enclave.internal.UnixSocketConnection;
import dev.nitroemu.enclave.internal.UnixSocketListener;
import dev.nitroemu.enclave.internal.UnixVsockConnection;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * vsock between an enclave and its parent over a directory of Unix sockets ("hybrid vsock", the
 * convention of Firecracker, cloud-hypervisor and rust-vmm's vhost-device-vsock), for an enclave in
 * a container with that directory mounted. The protocol is documented in the module README.
 *
 * <p><b>Files.</b> For a directory {@code <dir>} and base name {@code <base>}: the parent listens
 * on vsock port {@code P} at {@code <dir>/<base>_<P>} (decimal), and the enclave side listens at
 * {@code <dir>/<base>} for connections into the enclave. Closing a listener or the transport
 * removes its socket file.
 *
 * <p><b>Roles.</b> {@link #parent} is the host side: {@code listen(P)} binds {@code <base>_<P>};
 * {@code connect(cid:P)} goes to {@code <base>}, sends {@code CONNECT <P>\n} and expects {@code OK
 * <host port>\n} before the byte stream. {@link #enclave} is the container side: {@code listen(P)}
 * registers {@code P} with the multiplexer on {@code <base>}; {@code connect(3:P)} opens {@code
 * <base>_<P>} with no handshake.
 *
 * <p><b>Addresses.</b> The enclave sees the parent as CID 3: a connection it opens has remote
 * {@code 3:P}; one it accepts has remote {@code 3:<host port>}, the port of the {@code OK} line
 * (numbered from 2^30 as Firecracker does), which is also the parent end's local port. The parent
 * sees the enclave's CID: a connection it opens has remote {@code cid:P}; one it accepts has remote
 * {@code cid:<n>}, where {@code n} is numbered by the parent side from 1024 (a Unix socket carries
 * no port, so it is not the enclave end's local port).
 *
 * <p><b>Errors.</b> {@link ConnectException} when no socket file or no listener is there, when the
 * enclave side closes instead of answering (unknown port, full backlog or full multiplexer), and
 * for a CID this transport cannot reach; {@link java.net.SocketTimeoutException} when the answer or
 * a busy listener takes longer than the connect timeout; {@link ProtocolException} for a malformed
 * answer; {@link BindException} for a taken port or socket file.
 */
public final class HybridVsockTransport implements VsockTransport, AutoCloseable {

  /** Setting naming the directory of Unix sockets; inside a container it selects this transport. */
  public static final String DIRECTORY_PROPERTY = "nitro.vsock.dir";

  /** Environment variable read when {@value #DIRECTORY_PROPERTY} is not set. */
  public static final String DIRECTORY_ENVIRONMENT_VARIABLE = "NITRO_VSOCK_DIR";

  /** Base name {@link #fromSettings} uses: {@code <dir>/vsock} and {@code <dir>/vsock_<port>}. */
  public static final String DEFAULT_BASE_NAME = "vsock";

  /**
   * The enclave's CID {@link #fromSettings} uses when {@value VsockNetwork#LOCAL_CID_PROPERTY} is
   * not set.
   */
  public static final long DEFAULT_ENCLAVE_CID = 16;

  /**
   * Default bound on the whole {@code CONNECT} line, and on the parent's wait for {@code OK} when
   * the connect timeout is zero.
   */
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(5);

  /** Default listen backlog: connections answered or queued but not yet accepted, per port. */
  public static final int DEFAULT_BACKLOG = 128;

  /** Which end of the channel a transport is. */
  public enum Role {
    /**
     * The host side: listens on {@code <base>_<port>}, connects into the enclave through {@code
     * <base>}.
     */
    PARENT,
    /**
     * The container side: listens through the multiplexer on {@code <base>}, connects to {@code
     * <base>_<port>}.
     */
    ENCLAVE
  }

  private static final long FIRST_PEER_PORT = 1024;
  private static final long PEER_PORTS = 0xFFFF_FFFFL - FIRST_PEER_PORT;

  private final Role role;
  private final HybridPaths paths;
  private final long enclaveCid;
  private final ConnectionLimits limits;
  private final int backlog;
  private final Set<VsockListener> listeners = ConcurrentHashMap.newKeySet();
  private final AtomicLong localPorts = new AtomicLong();
  private final Object lifecycle = new Object();
  private EnclaveMultiplexer multiplexer;
  private volatile boolean closed;

  private HybridVsockTransport(Builder builder) {
    this.role = builder.role;
    this.paths = builder.paths;
    this.enclaveCid = builder.enclaveCid;
    this.limits = new ConnectionLimits(builder.maxConnections, builder.handshakeTimeout);
    this.backlog = builder.backlog;
  }

  /**
   * The parent (host) side of the channel in {@code directory} to the enclave with CID {@code
   * enclaveCid}.
   */
  public static HybridVsockTransport parent(Path directory, String baseName, long enclaveCid) {
    return builder(Role.PARENT, directory, baseName, enclaveCid).build();
  }

  /**
   * The enclave (container) side of the channel in {@code directory}, for the enclave with CID
   * {@code cid}.
   */
  public static HybridVsockTransport enclave(Path directory, String baseName, long cid) {
    return builder(Role.ENCLAVE, directory, baseName, cid).build();
  }

  /**
   * A builder for either role.
   *
   * @param enclaveCid the enclave's CID, 4..4294967294
   * @throws IllegalArgumentException if the base name is not a plain file name, the socket paths
   *     would be too long for a Unix socket, or the CID is out of range
   */
  public static Builder builder(Role role, Path directory, String baseName, long enclaveCid) {
    return new Builder(role, directory, baseName, enclaveCid);
  }

  /**
   * The enclave side configured by {@code settings}, if {@value #DIRECTORY_PROPERTY} (or {@value
   * #DIRECTORY_ENVIRONMENT_VARIABLE}) names the directory: base name {@value #DEFAULT_BASE_NAME},
   * CID from {@value VsockNetwork#LOCAL_CID_PROPERTY} / {@value
   * VsockNetwork#LOCAL_CID_ENVIRONMENT_VARIABLE} (default {@value #DEFAULT_ENCLAVE_CID}).
   *
   * @throws IllegalArgumentException naming the setting if a value is malformed, or if the mapping
   *     file of the TCP emulation ({@value VsockNetwork#MAPPING_FILE_PROPERTY}) is set as well
   */
  public static Optional<HybridVsockTransport> fromSettings(NitroSettings settings) {
    Optional<String> directory = settings.get(DIRECTORY_PROPERTY);
    if (directory.isEmpty()) {
      return Optional.empty();
    }
    long cid = HybridSettings.enclaveCid(settings, DEFAULT_ENCLAVE_CID);
    return Optional.of(enclave(Path.of(directory.get()), DEFAULT_BASE_NAME, cid));
  }

  /** Which end this transport is. */
  public Role role() {
    return role;
  }

  /** The directory of Unix sockets. */
  public Path directory() {
    return paths.directory();
  }

  /** The enclave's CID: the peer's on the parent side, this side's own on the enclave side. */
  public long enclaveCid() {
    return enclaveCid;
  }

  /** {@code <dir>/<base>}, where the enclave side takes connections into the enclave. */
  public Path multiplexerSocket() {
    return paths.multiplexerSocket();
  }

  /**
   * {@code <dir>/<base>_<port>}, where the parent takes the enclave's connections to {@code port}.
   */
  public Path portSocket(long port) {
    return paths.portSocket(port);
  }

  /**
   * Enclave side: connections into the enclave closed unanswered since its multiplexer started
   * (bad, oversized or late {@code CONNECT} lines, unknown ports, full backlogs, a full
   * multiplexer), counted for every transport of this JVM sharing the socket; 0 on the parent side
   * or before the first {@code listen}.
   */
  public long refusedConnections() {
    EnclaveMultiplexer current;
    synchronized (lifecycle) {
      current = multiplexer;
    }
    return current == null ? 0 : current.refusals();
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
    Duration bound = timeout.isZero() ? limits.idleTimeout() : timeout;
    return role == Role.PARENT
        ? connectIntoEnclave(address, bound)
        : connectToParent(address, bound);
  }

  @Override
  public VsockListener listen(VsockAddress address) throws IOException {
    Objects.requireNonNull(address, "address");
    long ownCid = role == Role.PARENT ? VsockAddress.CID_PARENT : enclaveCid;
    if (!address.isAnyCid() && address.cid() != ownCid) {
      throw new BindException(
          "Cannot assign requested address: "
              + address
              + " (this side of hybrid vsock is CID "
              + ownCid
              + ")");
    }
    VsockListener listener;
    synchronized (lifecycle) {
      checkOpen();
      listener = role == Role.PARENT ? listenOnParent(address) : listenInEnclave(address);
      listeners.add(listener);
    }
    return listener;
  }

  /**
   * Closes every listener this transport opened, removing their socket files; idempotent. On the
   * enclave side, once no transport of this JVM uses the multiplexer any more, it stops too: its
   * socket file is removed and the connections that came in through it are closed.
   */
  @Override
  public void close() {
    EnclaveMultiplexer stopping;
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      stopping = multiplexer;
    }
    List.copyOf(listeners).forEach(Closeables::closeQuietly);
    if (stopping != null) {
      stopping.release();
    }
  }

  @Override
  public String toString() {
    return "HybridVsockTransport["
        + role.name().toLowerCase(java.util.Locale.ROOT)
        + ", enclave CID "
        + enclaveCid
        + ", "
        + paths.multiplexerSocket()
        + "]";
  }

  private VsockConnection connectIntoEnclave(VsockAddress address, Duration timeout)
      throws IOException {
    if (address.cid() != enclaveCid) {
      throw new ConnectException(
          "Connection refused: "
              + address
              + " is not the enclave of this channel (CID "
              + enclaveCid
              + ")");
    }
    return HybridConnector.connectIntoEnclave(paths.multiplexerSocket(), address, timeout);
  }

  private VsockConnection connectToParent(VsockAddress address, Duration timeout)
      throws IOException {
    if (address.cid() != VsockAddress.CID_PARENT) {
      throw new ConnectException(
          "Connection refused: " + address + " (an enclave reaches only its parent, CID 3)");
    }
    UnixSocketConnection socket =
        HybridConnector.connectSocket(paths.portSocket(address.port()), address, timeout);
    return new UnixVsockConnection(socket, VsockAddress.of(enclaveCid, nextLocalPort()), address);
  }

  private VsockListener listenOnParent(VsockAddress address) throws IOException {
    VsockAddress bound =
        address.isAnyPort() ? VsockAddress.of(address.cid(), freeParentPort()) : address;
    createDirectory();
    UnixSocketListener socket = UnixSocketListener.bind(paths.portSocket(bound.port()), backlog);
    return new ParentPortListener(
        socket, bound, enclaveCid, this::nextLocalPort, listeners::remove);
  }

  private VsockListener listenInEnclave(VsockAddress address) throws IOException {
    if (multiplexer == null) {
      createDirectory();
      multiplexer = EnclaveMultiplexer.acquire(paths.multiplexerSocket(), limits, backlog);
    }
    return multiplexer.listen(address, enclaveCid, backlog, listeners::remove);
  }

  private void createDirectory() throws IOException {
    if (!Files.isDirectory(paths.directory())) {
      Files.createDirectories(paths.directory());
    }
  }

  private long freeParentPort() throws BindException {
    for (long port = FIRST_PEER_PORT; port < VsockAddress.PORT_ANY; port++) {
      if (!Files.exists(paths.portSocket(port))) {
        return port;
      }
    }
    throw new BindException("no free vsock port in " + paths.directory());
  }

  /**
   * Ports numbered from 1024 for ends whose real port nobody can know; wraps before {@code
   * PORT_ANY}.
   */
  private long nextLocalPort() {
    return FIRST_PEER_PORT + Math.floorMod(localPorts.getAndIncrement(), PEER_PORTS);
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("this HybridVsockTransport is closed");
    }
  }

  /** Configures a {@link HybridVsockTransport}. */
  public static final class Builder {
    private final Role role;
    private final HybridPaths paths;
    private final long enclaveCid;
    private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
    private int maxConnections = ConnectionLimits.DEFAULT_MAX_CONNECTIONS;
    private int backlog = DEFAULT_BACKLOG;

    private Builder(Role role, Path directory, String baseName, long enclaveCid) {
      this.role = Objects.requireNonNull(role, "role");
      this.paths = new HybridPaths(directory, baseName);
      this.enclaveCid = HybridSettings.checkEnclaveCid(enclaveCid);
    }

    /**
     * Enclave side: how long a {@code CONNECT} line may take to arrive, whole (default 5 s); parent
     * side: the wait for {@code OK} when the connect timeout is zero.
     */
    public Builder handshakeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("handshake timeout must be positive, was " + timeout);
      }
      this.handshakeTimeout = timeout;
      return this;
    }

    /**
     * Enclave side: connections into the enclave open at once, handshakes included (default {@value
     * ConnectionLimits#DEFAULT_MAX_CONNECTIONS}); more are closed unanswered.
     */
    public Builder maxConnections(int count) {
      new ConnectionLimits(count, handshakeTimeout); // the one check of a connection cap
      this.maxConnections = count;
      return this;
    }

    /**
     * Connections per listening port queued but not yet accepted (default {@value
     * #DEFAULT_BACKLOG}), 1..4096.
     */
    public Builder backlog(int count) {
      if (count < 1 || count > 4096) {
        throw new IllegalArgumentException("backlog must be in 1..4096, was " + count);
      }
      this.backlog = count;
      return this;
    }

    /** The transport; nothing is bound until the first {@code listen}. */
    public HybridVsockTransport build() {
      return new HybridVsockTransport(this);
    }
  }
}
