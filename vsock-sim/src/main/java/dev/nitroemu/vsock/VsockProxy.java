package dev.nitroemu.vsock;

import static dev.nitroemu.enclave.Closeables.closeQuietly;

import dev.nitroemu.enclave.Ports;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.vsock.ProxyAllowlist.HostResolver;
import dev.nitroemu.vsock.internal.ProxiedConnection;
import dev.nitroemu.vsock.internal.ThreadFactories;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A parent-side proxy equivalent to AWS's {@code vsock-proxy}: listens on a vsock port and forwards
 * each connection's bytes, unchanged and in both directions, to one TCP host and port.
 *
 * <p>Like AWS's tool it refuses to start unless the destination is in the allowlist ({@link
 * ProxyAllowlist}; by default read from {@value #DEFAULT_CONFIG_FILE}), listens on CID 3 by default,
 * and serves at most {@code workers} connections at a time (further ones wait, accepted, for a free
 * worker). Unlike it, end-of-stream is propagated as a half-close, so request/response protocols that
 * shut down their sending side work through the proxy. Each connection uses two buffers of {@code
 * bufferSize} bytes.
 */
public final class VsockProxy implements AutoCloseable {

  /** AWS vsock-proxy's default config file. */
  public static final String DEFAULT_CONFIG_FILE = "/etc/nitro_enclaves/vsock-proxy.yaml";

  /** AWS vsock-proxy's default {@code --num_workers}: simultaneous connections served. */
  public static final int DEFAULT_WORKERS = 4;

  /** Default size of each of the two per-connection copy buffers. */
  public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

  private final VsockTransport transport;
  private final VsockAddress requestedAddress;
  private final String destinationHost;
  private final int destinationPort;
  private final ProxyAllowlist allowlist;
  private final Path allowlistFile;
  private final int workers;
  private final int bufferSize;
  private final Duration connectTimeout;
  private final HostResolver resolver;
  private final Set<ProxiedConnection> active = ConcurrentHashMap.newKeySet();
  private final AtomicLong served = new AtomicLong();
  private final Object lifecycle = new Object();
  private boolean started;
  private volatile boolean closed;
  private VsockListener listener;
  private ExecutorService workerPool;
  private ExecutorService pumpPool;
  private Thread acceptThread;

  private VsockProxy(Builder builder) {
    this.transport = builder.transport;
    this.requestedAddress = builder.listenAddress;
    this.destinationHost = builder.destinationHost;
    this.destinationPort = builder.destinationPort;
    this.allowlist = builder.allowlist;
    this.allowlistFile = builder.allowlistFile;
    this.workers = builder.workers;
    this.bufferSize = builder.bufferSize;
    this.connectTimeout = builder.connectTimeout;
    this.resolver = builder.resolver;
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
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("close() already called");
      }
      if (started) {
        throw new IllegalStateException("start() already called");
      }
      ProxyAllowlist rules = allowlist != null ? allowlist : ProxyAllowlist.load(allowlistFile);
      rules.check(destinationHost, destinationPort, resolver);
      listener = transport.listen(requestedAddress);
      String name = "vsock-proxy-" + listener.localAddress().toShortString();
      workerPool = Executors.newFixedThreadPool(workers, ThreadFactories.daemon(name + "-worker"));
      pumpPool = Executors.newCachedThreadPool(ThreadFactories.daemon(name + "-pump"));
      acceptThread = ThreadFactories.daemon(name + "-accept").newThread(this::acceptLoop);
      started = true;
      acceptThread.start();
      return this;
    }
  }

  /** The vsock address the proxy listens on (with the concrete port). */
  public VsockAddress localAddress() {
    synchronized (lifecycle) {
      if (!started) {
        throw new IllegalStateException("call start() first");
      }
      return listener.localAddress();
    }
  }

  /** The TCP destination, as given. */
  public InetSocketAddress destination() {
    return InetSocketAddress.createUnresolved(destinationHost, destinationPort);
  }

  /** Connections being forwarded right now. */
  public int activeConnections() {
    return active.size();
  }

  /** Connections forwarded (or attempted) since start. */
  public long connectionsServed() {
    return served.get();
  }

  /** Stops listening and closes every forwarded connection; idempotent. */
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
      for (ProxiedConnection connection : active) {
        connection.abort();
      }
      workerPool.shutdownNow();
      pumpPool.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "VsockProxy[" + (listener == null ? requestedAddress : listener.localAddress()) + " -> "
        + destinationHost + ":" + destinationPort + "]";
  }

  private void acceptLoop() {
    while (true) {
      VsockConnection client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // Listener closed (or broken): the proxy stops accepting.
      }
      try {
        workerPool.execute(() -> forward(client));
      } catch (RuntimeException rejected) {
        closeQuietly(client); // Proxy closing.
        return;
      }
    }
  }

  /** Runs on a worker for the connection's whole life, as AWS's thread pool does. */
  private void forward(VsockConnection client) {
    served.incrementAndGet();
    Socket upstream = new Socket();
    ProxiedConnection connection = new ProxiedConnection(client, upstream, bufferSize);
    active.add(connection);
    try {
      // Resolve per connection: the JVM's DNS cache plays the role of AWS's TTL-based re-resolution.
      List<InetAddress> ips = ProxyAllowlist.preferred(destinationHost, resolver);
      if (ips.isEmpty()) {
        throw new UnknownHostException(destinationHost);
      }
      InetAddress ip = ips.get(0);
      upstream.connect(new InetSocketAddress(ip, destinationPort), 
          (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()));
      if (closed) {
        throw new SocketException("proxy closed");
      }
      connection.run(pumpPool);
    } catch (IOException | RuntimeException e) {
      connection.abort(); // The enclave sees its connection closed, as with AWS's proxy.
    } finally {
      active.remove(connection);
    }
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
    private int bufferSize = DEFAULT_BUFFER_SIZE;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private HostResolver resolver = HostResolver.system();

    private Builder(VsockTransport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
    }

    /** Listens on {@code vsock://3:PORT}, as AWS's vsock-proxy does ({@code PORT_ANY} for a free one). */
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

    /** Reads the allowlist from this vsock-proxy YAML file at start (default {@value #DEFAULT_CONFIG_FILE}). */
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

    /** Maximum simultaneous connections (AWS {@code --num_workers}, default 4). */
    public Builder workers(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("Number of workers must not be 0");
      }
      this.workers = count;
      return this;
    }

    /** Size of each per-connection, per-direction copy buffer (default 64 KiB). */
    public Builder bufferSize(int bytes) {
      if (bytes < 1 || bytes > 16 << 20) {
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

    /** Resolves host names for the allowlist check and for connecting (default: the JVM's resolver). */
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
