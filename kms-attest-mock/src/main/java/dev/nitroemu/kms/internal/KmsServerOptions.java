package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AwsRegion;
import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Ports;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.KmsCredentials;
import dev.nitroemu.kms.RequestLogEntry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The settings a {@code KmsMockServer.Builder} collects, with their defaults, each checked when it
 * is set (a bad value is an {@link IllegalArgumentException} or {@link NullPointerException}),
 * until {@link #toConfig()} fixes them for one server.
 */
public final class KmsServerOptions {
  private int port;
  private InetAddress bindAddress = InetAddress.getLoopbackAddress();
  private String region = "us-east-1";
  private final List<String> additionalRegions = new ArrayList<>();
  private String accountId = KmsCredentials.DEFAULT_ACCOUNT_ID;
  private final Map<String, KmsCredentials> credentials = new LinkedHashMap<>();
  private Path stateDirectory;
  private final List<X509Certificate> trustAnchors = new ArrayList<>();
  private boolean trustAwsRoot;
  private Duration maxAttestationAge = Duration.ofMinutes(5);
  private Clock clock = Clock.systemUTC();
  private SecureRandom random;
  private Path auditFile;
  private AuditRotation auditRotation = AuditRotation.DEFAULT;
  private KmsServerConfig.TlsIssuer tls;
  private ConnectionLimits connectionLimits = ConnectionLimits.DEFAULT;
  private final List<String> allowedHosts = new ArrayList<>();
  private Supplier<Map<String, Map<String, String>>> healthServices = Map::of;
  private Consumer<RequestLogEntry> requestListener = KmsProtocol.NO_REQUEST_LOG;
  private boolean localStackTags = true;

  /** The defaults: {@link KmsCredentials#defaults()} as the only credentials. */
  public KmsServerOptions() {
    KmsCredentials defaults = KmsCredentials.defaults();
    credentials.put(defaults.accessKeyId(), defaults);
  }

  /** Sets the TCP port, 0 for a free one. */
  public void port(int port) {
    this.port = Ports.tcpOrAny(port, "port");
  }

  /** Sets the address to listen on. */
  public void bindAddress(InetAddress bindAddress) {
    this.bindAddress = Objects.requireNonNull(bindAddress, "bindAddress");
  }

  /** Sets the home region. */
  public void region(String region) {
    this.region = AwsRegion.of(region).name();
  }

  /** Adds regions served beside the home region. */
  public void additionalRegions(String... regions) {
    for (String r : regions) {
      additionalRegions.add(AwsRegion.of(r).name());
    }
  }

  /** Sets the 12-digit account that owns the keys. */
  public void accountId(String accountId) {
    if (!KmsSettings.isAccountId(accountId)) {
      throw new IllegalArgumentException("account id must be 12 digits, got " + accountId);
    }
    this.accountId = accountId;
  }

  /** Replaces the accepted credentials: at least one, no access key id twice. */
  public void credentials(KmsCredentials... accepted) {
    if (accepted.length == 0) {
      throw new IllegalArgumentException("give at least one set of credentials");
    }
    credentials.clear();
    for (KmsCredentials c : accepted) {
      Objects.requireNonNull(c, "credentials");
      if (credentials.put(c.accessKeyId(), c) != null) {
        throw new IllegalArgumentException("duplicate access key id " + c.accessKeyId());
      }
    }
  }

  /** Sets the directory keys are kept in. */
  public void stateDirectory(Path directory) {
    this.stateDirectory = Objects.requireNonNull(directory, "directory");
  }

  /** Adds a root attestation documents may chain to. */
  public void trustAnchor(X509Certificate root) {
    trustAnchors.add(Objects.requireNonNull(root, "root"));
  }

  /** Trusts documents from real Nitro hardware. */
  public void trustAwsRoot() {
    this.trustAwsRoot = true;
  }

  /** Sets the oldest attestation document accepted; it must be positive. */
  public void maxAttestationAge(Duration maxAge) {
    if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
      throw new IllegalArgumentException("maximum attestation age must be positive");
    }
    this.maxAttestationAge = maxAge;
  }

  /** Sets the clock. */
  public void clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Sets the source of key material and random bytes. */
  public void random(SecureRandom random) {
    this.random = Objects.requireNonNull(random, "random");
  }

  /** Sets the file audit events are also appended to, and how it is rotated. */
  public void auditFile(Path file, AuditRotation rotation) {
    this.auditFile = Objects.requireNonNull(file, "file");
    this.auditRotation = Objects.requireNonNull(rotation, "rotation");
  }

  /** Sets the connection limits. */
  public void connectionLimits(ConnectionLimits limits) {
    this.connectionLimits = Objects.requireNonNull(limits, "limits");
  }

  /** Serves HTTPS with contexts from {@code issuer}. */
  public void tls(KmsServerConfig.TlsIssuer issuer) {
    this.tls = Objects.requireNonNull(issuer, "issuer");
  }

  /** Adds a name accepted in the {@code Host} header (see {@link AllowedHosts#normalize}). */
  public void allowedHost(String name) {
    allowedHosts.add(AllowedHosts.normalize(name));
  }

  /** Sets the further services the health endpoint lists. */
  public void healthServices(Supplier<Map<String, Map<String, String>>> services) {
    this.healthServices = Objects.requireNonNull(services, "services");
  }

  /** Sets the listener told about every audited call. */
  public void requestListener(Consumer<RequestLogEntry> listener) {
    this.requestListener = Objects.requireNonNull(listener, "listener");
  }

  /** Sets whether CreateKey honours LocalStack's tags. */
  public void localStackTags(boolean honour) {
    this.localStackTags = honour;
  }

  /**
   * The configuration these settings make now (later changes do not affect it), with a new {@link
   * SecureRandom} when none was set.
   */
  public KmsServerConfig toConfig() {
    return new KmsServerConfig(
        new InetSocketAddress(bindAddress, port),
        region,
        additionalRegions,
        accountId,
        List.copyOf(credentials.values()),
        stateDirectory,
        trustAnchors,
        trustAwsRoot,
        maxAttestationAge,
        clock,
        random != null ? random : new SecureRandom(),
        auditFile,
        auditRotation,
        tls,
        connectionLimits,
        allowedHosts,
        healthServices,
        requestListener,
        localStackTags);
  }
}
