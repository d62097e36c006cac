package dev.nitroemu.stack;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Ports;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.KmsTlsCa;
import dev.nitroemu.kms.RequestLogEntry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What an emulated {@link EnclaveEnvironment} serves beyond its own JVM, as {@code nitro-emu start}
 * does: the NSM device protocol on a vsock port, the KMS mock on a fixed TCP port (optionally
 * HTTPS, optionally trusting real hardware), a vsock-proxy to it, more vsock-proxies, a mapping
 * file that other processes resolve vsock addresses from, and where KMS keeps its keys and audit
 * log.
 *
 * <p>The default, {@link #none()}, serves nothing outside the JVM: the KMS mock on a free loopback
 * port, keys in memory, no vsock services, no mapping file. Ignored in real mode. Immutable.
 */
public final class StackServices {

  /** One vsock-proxy: {@code vsock://3:vsockPort} forwarded to {@code host:port}. */
  public record ProxyRoute(long vsockPort, String host, int port) {
    /** Checks the ports (vsock 1..2^32-2, TCP 1..65535) and the host. */
    public ProxyRoute {
      Objects.requireNonNull(host, "host");
      if (host.isBlank()) {
        throw new IllegalArgumentException("proxy destination host is empty");
      }
      Ports.vsockService(vsockPort, "proxy vsock port");
      Ports.tcp(port, "proxy destination port");
    }
  }

  /**
   * Connections the KMS vsock-proxy forwards at once unless told otherwise: more than an AWS SDK
   * client pools (50), so one client's idle keep-alive connections cannot starve the others, as
   * AWS's default of 4 would.
   */
  public static final int DEFAULT_KMS_PROXY_WORKERS = 64;

  private static final StackServices NONE = builder().build();

  private final Long nsmPort;
  private final int kmsPort;
  private final Long kmsProxyPort;
  private final int kmsProxyWorkers;
  private final List<ProxyRoute> proxies;
  private final Path proxyAllowlistFile;
  private final List<String> kmsAllowedHosts;
  private final Path mappingFile;
  private final String kmsRegion;
  private final KmsTlsCa kmsTls;
  private final boolean kmsTrustAwsRoot;
  private final boolean kmsLocalStackTags;
  private final Path kmsStateDirectory;
  private final Path kmsAuditFile;
  private final AuditRotation kmsAuditRotation;
  private final Consumer<RequestLogEntry> kmsRequestListener;
  private final InetAddress kmsBindAddress;

  private StackServices(Builder b) {
    this.nsmPort = b.nsmPort;
    this.kmsPort = b.kmsPort;
    this.kmsProxyPort = b.kmsProxyPort;
    this.kmsProxyWorkers = b.kmsProxyWorkers;
    this.proxies = List.copyOf(b.proxies);
    this.proxyAllowlistFile = b.proxyAllowlistFile;
    this.kmsAllowedHosts = List.copyOf(b.kmsAllowedHosts);
    this.mappingFile = b.mappingFile;
    this.kmsRegion = b.kmsRegion;
    this.kmsTls = b.kmsTls;
    this.kmsTrustAwsRoot = b.kmsTrustAwsRoot;
    this.kmsLocalStackTags = b.kmsLocalStackTags;
    this.kmsStateDirectory = b.kmsStateDirectory;
    this.kmsAuditFile = b.kmsAuditFile;
    this.kmsAuditRotation = b.kmsAuditRotation;
    this.kmsRequestListener = b.kmsRequestListener;
    this.kmsBindAddress = b.kmsBindAddress;
  }

  /** Nothing served outside the JVM: the default of {@link EnclaveEnvironment.Builder}. */
  public static StackServices none() {
    return NONE;
  }

  /** A builder starting from {@link #none()}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The vsock port (CID 3) the NSM device protocol is served on, or null when it is not served. */
  public Long nsmPort() {
    return nsmPort;
  }

  /** The KMS mock's loopback TCP port; 0 picks a free one. */
  public int kmsPort() {
    return kmsPort;
  }

  /** The vsock port (CID 3) of the vsock-proxy to the KMS mock, or null for none. */
  public Long kmsProxyPort() {
    return kmsProxyPort;
  }

  /** How many connections the vsock-proxy to KMS forwards at once. */
  public int kmsProxyWorkers() {
    return kmsProxyWorkers;
  }

  /** Further vsock-proxies, in order. */
  public List<ProxyRoute> proxies() {
    return proxies;
  }

  /** The allowlist YAML for {@link #proxies()}, or null to allow exactly their destinations. */
  public Path proxyAllowlistFile() {
    return proxyAllowlistFile;
  }

  /**
   * Further {@code Host} names KMS serves besides loopback, localhost and {@code
   * kms.<region>.amazonaws.com}.
   */
  public List<String> kmsAllowedHosts() {
    return kmsAllowedHosts;
  }

  /** The vsock mapping file the network publishes its listeners to, or null. */
  public Path mappingFile() {
    return mappingFile;
  }

  /** The KMS region, or null for the profile's region. */
  public String kmsRegion() {
    return kmsRegion;
  }

  /** The CA whose certificate the KMS mock serves HTTPS with, or null for plain HTTP. */
  public KmsTlsCa kmsTls() {
    return kmsTls;
  }

  /** Whether KMS also accepts attestation documents from real Nitro hardware. */
  public boolean kmsTrustAwsRoot() {
    return kmsTrustAwsRoot;
  }

  /**
   * Whether KMS CreateKey honours LocalStack's {@code _custom_id_} and {@code
   * _custom_key_material_} tags.
   */
  public boolean kmsLocalStackTags() {
    return kmsLocalStackTags;
  }

  /** Where KMS keeps keys, aliases and policies across restarts, or null to keep them in memory. */
  public Path kmsStateDirectory() {
    return kmsStateDirectory;
  }

  /** The JSON-lines file KMS appends its audit events to, or null for memory only. */
  public Path kmsAuditFile() {
    return kmsAuditFile;
  }

  /** How the audit file is rotated by size (default {@link AuditRotation#DEFAULT}). */
  public AuditRotation kmsAuditRotation() {
    return kmsAuditRotation;
  }

  /** Told about every KMS call (time, operation, key, principal, decision, latency), or null. */
  public Consumer<RequestLogEntry> kmsRequestListener() {
    return kmsRequestListener;
  }

  /** The address the KMS mock listens on (default: loopback). */
  public InetAddress kmsBindAddress() {
    return kmsBindAddress;
  }

  /** A builder holding this configuration, to change some of it. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.nsmPort = nsmPort;
    b.kmsPort = kmsPort;
    b.kmsProxyPort = kmsProxyPort;
    b.kmsProxyWorkers = kmsProxyWorkers;
    b.proxies.addAll(proxies);
    b.proxyAllowlistFile = proxyAllowlistFile;
    b.kmsAllowedHosts.addAll(kmsAllowedHosts);
    b.mappingFile = mappingFile;
    b.kmsRegion = kmsRegion;
    b.kmsTls = kmsTls;
    b.kmsTrustAwsRoot = kmsTrustAwsRoot;
    b.kmsLocalStackTags = kmsLocalStackTags;
    b.kmsStateDirectory = kmsStateDirectory;
    b.kmsAuditFile = kmsAuditFile;
    b.kmsAuditRotation = kmsAuditRotation;
    b.kmsRequestListener = kmsRequestListener;
    b.kmsBindAddress = kmsBindAddress;
    return b;
  }

  @Override
  public String toString() {
    return "StackServices[nsmPort="
        + nsmPort
        + ", kmsPort="
        + kmsPort
        + ", kmsProxyPort="
        + kmsProxyPort
        + ", proxies="
        + proxies
        + ", mappingFile="
        + mappingFile
        + ", kmsState="
        + kmsStateDirectory
        + "]";
  }

  /** Configures {@link StackServices}; every setter returns this builder. */
  public static final class Builder {
    private Long nsmPort;
    private int kmsPort;
    private Long kmsProxyPort;
    private int kmsProxyWorkers = DEFAULT_KMS_PROXY_WORKERS;
    private final List<ProxyRoute> proxies = new ArrayList<>();
    private Path proxyAllowlistFile;
    private final List<String> kmsAllowedHosts = new ArrayList<>();
    private Path mappingFile;
    private String kmsRegion;
    private KmsTlsCa kmsTls;
    private boolean kmsTrustAwsRoot;
    private boolean kmsLocalStackTags = true;
    private Path kmsStateDirectory;
    private Path kmsAuditFile;
    private AuditRotation kmsAuditRotation = AuditRotation.DEFAULT;
    private Consumer<RequestLogEntry> kmsRequestListener;
    private InetAddress kmsBindAddress = InetAddress.getLoopbackAddress();

    private Builder() {}

    /**
     * The address the KMS mock listens on (default: loopback); e.g. {@code 0.0.0.0} inside a
     * container whose KMS port is published. Its endpoint stays loopback.
     */
    public Builder kmsBindAddress(InetAddress address) {
      this.kmsBindAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Serves the NSM device protocol on {@code vsock://3:port}; {@link VsockAddress#PORT_ANY} picks
     * a free port.
     */
    public Builder nsmPort(long port) {
      this.nsmPort = vsockPort(port, "NSM");
      return this;
    }

    /** The KMS mock's loopback TCP port (0, the default, picks a free one). */
    public Builder kmsPort(int port) {
      this.kmsPort = Ports.tcpOrAny(port, "KMS port");
      return this;
    }

    /**
     * Serves a vsock-proxy on {@code vsock://3:port} to the KMS mock, as AWS's vsock-proxy for KMS.
     */
    public Builder kmsProxyPort(long port) {
      this.kmsProxyPort = vsockPort(port, "KMS proxy");
      return this;
    }

    /**
     * How many connections the vsock-proxy to KMS forwards at once (default {@value
     * StackServices#DEFAULT_KMS_PROXY_WORKERS}); idle ones close after the proxy's idle timeout.
     */
    public Builder kmsProxyWorkers(int workers) {
      if (workers < 1 || workers > ConnectionLimits.MAX_CONNECTIONS_LIMIT) {
        throw new IllegalArgumentException(
            "KMS proxy workers must be 1.."
                + ConnectionLimits.MAX_CONNECTIONS_LIMIT
                + ", got "
                + workers);
      }
      this.kmsProxyWorkers = workers;
      return this;
    }

    /**
     * Adds a vsock-proxy from {@code vsock://3:route.vsockPort()} to {@code
     * route.host():route.port()}.
     */
    public Builder proxy(ProxyRoute route) {
      proxies.add(Objects.requireNonNull(route, "route"));
      return this;
    }

    /** The allowlist YAML (AWS's format) the proxies' destinations must be in. */
    public Builder proxyAllowlistFile(Path file) {
      this.proxyAllowlistFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * Also serves KMS requests whose {@code Host} is {@code name} (any port), e.g. {@code
     * host.docker.internal}; repeatable. Checked by the KMS mock at start.
     */
    public Builder kmsAllowedHost(String name) {
      kmsAllowedHosts.add(Objects.requireNonNull(name, "name"));
      return this;
    }

    /**
     * Publishes every vsock listener of the environment in this mapping file (see {@code
     * VsockNetwork}).
     */
    public Builder mappingFile(Path file) {
      this.mappingFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** The KMS region (default: the profile's region). */
    public Builder kmsRegion(String region) {
      this.kmsRegion = Objects.requireNonNull(region, "region");
      return this;
    }

    /**
     * Serves KMS over HTTPS with a certificate {@code ca} issues; the injected KMS client trusts
     * it.
     */
    public Builder kmsTls(KmsTlsCa ca) {
      this.kmsTls = Objects.requireNonNull(ca, "ca");
      return this;
    }

    /** Lets KMS also accept attestation documents from real Nitro hardware (the AWS root). */
    public Builder kmsTrustAwsRoot(boolean trust) {
      this.kmsTrustAwsRoot = trust;
      return this;
    }

    /**
     * Whether KMS CreateKey honours LocalStack's tags (default true); false treats them as ordinary
     * tags, as AWS does.
     */
    public Builder kmsLocalStackTags(boolean honour) {
      this.kmsLocalStackTags = honour;
      return this;
    }

    /** Keeps KMS keys, aliases and policies in {@code directory}, so they survive a restart. */
    public Builder kmsStateDirectory(Path directory) {
      this.kmsStateDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** Appends every KMS audit event as one JSON line to {@code file}. */
    public Builder kmsAuditFile(Path file) {
      this.kmsAuditFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** Rotates the audit file by size as {@code rotation} says (default 64 MiB, 8 kept). */
    public Builder kmsAuditRotation(AuditRotation rotation) {
      this.kmsAuditRotation = Objects.requireNonNull(rotation, "rotation");
      return this;
    }

    /**
     * Tells {@code listener} about every KMS call once it is audited; it runs on KMS threads, so
     * keep it quick.
     */
    public Builder kmsRequestListener(Consumer<RequestLogEntry> listener) {
      this.kmsRequestListener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** The configuration. */
    public StackServices build() {
      return new StackServices(this);
    }

    private static long vsockPort(long port, String what) {
      return port == VsockAddress.PORT_ANY ? port : Ports.vsockService(port, what + " vsock port");
    }
  }
}
