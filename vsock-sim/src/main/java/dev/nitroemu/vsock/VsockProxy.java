package dev.nitroemu.vsock;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Ports;
import dev.nitroemu.enclave.StreamConnection;
import dev.nitroemu.enclave.StreamPump;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.vsock.ProxyAllowlist.HostResolver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A parent-side proxy equivalent to AWS's {@code vsock-proxy}: listens on a vsock port and forwards
 * each connection's bytes, unchanged and in both directions, to one TCP host and port.
 *
 * <p>Like AWS's tool it refuses to start unless the destination is in the allowlist ({@link
 * ProxyAllowlist}; by default read from {@value #DEFAULT_CONFIG_FILE}), listens on CID 3 by
 * default, and serves at most {@code workers} connections at a time (default {@value
 * #DEFAULT_WORKERS}, AWS's {@code --num_workers}); further ones wait, accepted, for a free worker.
 * Unlike it, the wait is bounded: beyond {@code maxWaiting} waiting connections (default {@value
 * #DEFAULT_MAX_WAITING}) a new connection is closed at once; and a forwarded connection on which no
 * byte moves either way for the idle timeout (default 60 s) is closed, so idle pooled keep-alive
 * connections cannot hold every worker for ever. End-of-stream is propagated as a half-close, so
 * request/response protocols that shut down their sending side work through the proxy. Each
 * connection uses two buffers of {@code bufferSize} bytes. The accepting and copying is {@link
 * StreamServer}'s and {@link StreamPump}'s.
 */
public final class VsockProxy implements AutoCloseable {

  /** AWS vsock-proxy's default config file. */
  public static final String DEFAULT_CONFIG_FILE = "/etc/nitro_enclaves/vsock-proxy.yaml";

  /** AWS vsock-proxy's default {@code --num_workers}: simultaneous connections served. */
  public static final int DEFAULT_WORKERS = 4;

  /**
   * Default number of accepted connections that may wait for a free worker; more are closed at
   * once.
   */
  public static final int DEFAULT_MAX_WAITING = 256;

  /** Default idle timeout of a forwarded connection: 60 seconds without a byte either way. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = ConnectionLimits.DEFAULT_IDLE_TIMEOUT;

  /** Default size of each of the two per-connection copy buffers. */
  public static final int DEFAULT_BUFFER_SIZE = StreamPump.DEFAULT_BUFFER_SIZE;

  private final VsockTransport transport;
  private final VsockAddress requestedAddress;
  private final String destinationHost;
  private final int destinationPort;
  private final ProxyAllowlist allowlist;
  private final Path allowlistFile;
  private final Duration connectTimeout;
  private final HostResolver resolver;
  private final AtomicLong served = new AtomicLong();
  private final StreamPump pump;
  private final StreamServer<VsockConnection, VsockAddress> server;

  private VsockProxy(Builder builder) {
    this.transport = builder.transport;
    this.requestedAddress = builder.listenAddress;
    this.destinationHost = builder.destinationHost;
    this.destinationPort = builder.destinationPort;
    this.allowlist = builder.allowlist;
    this.allowlistFile = builder.allowlistFile;
    this.connectTimeout = builder.connectTimeout;
    this.resolver = builder.resolver;
    this.pump =
        new StreamPump("vsock-proxy", builder.workers, builder.bufferSize, builder.idleTimeout);
    this.server =
        StreamServer.builder("vsock-proxy", this::checkAndListen, this::forward)
            .limits(new ConnectionLimits(builder.workers, builder.idleTimeout))
            .maxWaiting(builder.maxWaiting)
            .build();
  }

  /** A builder for a proxy listening through {@code transport}. */
  public static Builder builder(VsockTransport transport) {
    return new Builder(transport);
  }

  /**
   * Checks the allowlist, then binds the vsock listener and starts accepting.
   *
   * @return this proxy
   * @throws ProxyAllowlistException if the destination is not allowed (nothing is bound then)
   * @throws IllegalStateException if already started or closed
   */
  public VsockProxy start() throws IOException {
    server.start();
    return this;
  }

  /** The vsock address the proxy listens on (with the concrete port). */
  public VsockAddress localAddress() {
    return server.localAddress();
  }

  /** The TCP destination, as given. */
  public InetSocketAddress destination() {
    return InetSocketAddress.createUnresolved(destinationHost, destinationPort);
  }

  /** Connections open right now: being forwarded, or waiting for a worker. */
  public int activeConnections() {
    return server.activeConnections();
  }

  /** Connections forwarded (or attempted) since start. */
  public long connectionsServed() {
    return served.get();
  }

  /** Connections closed at once because every worker was busy and the waiting places were taken. */
  public long connectionsRefused() {
    return server.refusedConnections();
  }

  /** Stops listening and closes every forwarded connection; idempotent. */
  @Override
  public void close() {
    try {
      server.close();
    } finally {
      pump.close();
    }
  }

  @Override
  public String toString() {
    return "VsockProxy[" + server + " -> " + destinationHost + ":" + destinationPort + "]";
  }

  private VsockListener checkAndListen() throws IOException {
    ProxyAllowlist rules = allowlist != null ? allowlist : ProxyAllowlist.load(allowlistFile);
    rules.check(destinationHost, destinationPort, resolver);
    return transport.listen(requestedAddress);
  }

  /** Runs on a worker for the connection's whole life, as AWS's thread pool does. */
  private void forward(VsockConnection client, StreamServer.Slot slot) throws IOException {
    served.incrementAndGet();
    // Made by a channel, so StreamPump copies channel to channel when the vsock side has one too.
    Socket upstream = SocketChannel.open().socket();
    try {
      // Resolve per connection: the JVM's DNS cache plays the role of AWS's TTL-based
      // re-resolution.
      List<InetAddress> ips = ProxyAllowlist.preferred(destinationHost, resolver);
      if (ips.isEmpty()) {
        throw new UnknownHostException(destinationHost);
      }
      upstream.connect(
          new InetSocketAddress(ips.get(0), destinationPort),
          (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
    } catch (IOException | RuntimeException e) {
      upstream
          .close(); // The server closes the enclave's side: it sees its connection closed, as with
      // AWS's proxy.
      throw e;
    }
    pump.join(client, StreamConnection.of(upstream));
  }

  /** Configures a {@link VsockProxy}. */
  public static final class Builder {
    private final VsockTransport transport;
    private VsockAddress listenAddress;
    private String destinationHost;
    private int destinationPort = -1;
    private ProxyAllowlist allowlist;
    private Path allowlistFile = Path.of(DEFAULT_CONFIG_FILE);
    private int workers = DEFAULT_WORKERS;
    private int maxWaiting = DEFAULT_MAX_WAITING;
    private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
    private int bufferSize = DEFAULT_BUFFER_SIZE;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private HostResolver resolver = HostResolver.system();

    private Builder(VsockTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /**
     * Listens on {@code vsock://3:PORT}, as AWS's vsock-proxy does ({@code PORT_ANY} for a free
     * one).
     */
    public Builder listenPort(long port) {
      this.listenAddress = VsockAddress.of(VsockAddress.CID_PARENT, port);
      return this;
    }

    /** Listens on any address, e.g. {@link VsockAddress#anyCid(long)}. */
    public Builder listenAddress(VsockAddress address) {
      this.listenAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /** Where every connection is forwarded; the host may be a name or an IP literal. */
    public Builder destination(String host, int port) {
      this.destinationHost = Objects.requireNonNull(host, "host");
      this.destinationPort = Ports.tcp(port, "destination port");
      return this;
    }

    /**
     * Reads the allowlist from this vsock-proxy YAML file at start (default {@value
     * #DEFAULT_CONFIG_FILE}).
     */
    public Builder allowlistFile(Path file) {
      this.allowlistFile = Objects.requireNonNull(file, "file");
      this.allowlist = null;
      return this;
    }

    /** Uses this allowlist instead of a file. */
    public Builder allowlist(ProxyAllowlist rules) {
      this.allowlist = Objects.requireNonNull(rules, "rules");
      return this;
    }

    /** Maximum simultaneous connections (AWS {@code --num_workers}, default 4; at most 8192). */
    public Builder workers(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("Number of workers must not be 0");
      }
      if (count > ConnectionLimits.MAX_CONNECTIONS_LIMIT) {
        throw new IllegalArgumentException(
            "number of workers must be at most "
                + ConnectionLimits.MAX_CONNECTIONS_LIMIT
                + ", was "
                + count);
      }
      this.workers = count;
      return this;
    }

    /**
     * Accepted connections that may wait for a free worker (default {@value #DEFAULT_MAX_WAITING});
     * beyond that a new connection is closed at once.
     */
    public Builder maxWaiting(int count) {
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
     * How long a forwarded connection may move no byte in either direction before the proxy closes
     * both sides (default 60 s); positive.
     */
    public Builder idleTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("idle timeout must be positive, was " + timeout);
      }
      this.idleTimeout = timeout;
      return this;
    }

    /** Size of each per-connection, per-direction copy buffer (default 64 KiB). */
    public Builder bufferSize(int bytes) {
      if (bytes < 1 || bytes > StreamPump.MAX_BUFFER_SIZE) {
        throw new IllegalArgumentException("buffer size must be in 1..16 MiB, was " + bytes);
      }
      this.bufferSize = bytes;
      return this;
    }

    /** How long to wait for the TCP destination to accept (default 10 s). */
    public Builder connectTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("connect timeout must be >= 0, was " + timeout);
      }
      this.connectTimeout = timeout;
      return this;
    }

    /**
     * Resolves host names for the allowlist check and for connecting (default: the JVM's resolver).
     */
    public Builder hostResolver(HostResolver hostResolver) {
      this.resolver = Objects.requireNonNull(hostResolver, "hostResolver");
      return this;
    }

    /** The proxy, not yet started. */
    public VsockProxy build() {
      if (listenAddress == null) {
        throw new IllegalStateException("call listenPort(...) or listenAddress(...) first");
      }
      if (destinationHost == null) {
        throw new IllegalStateException("call destination(host, port) first");
      }
      return new VsockProxy(this);
    }
  }
}
