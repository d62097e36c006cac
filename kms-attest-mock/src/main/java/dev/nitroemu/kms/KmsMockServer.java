package dev.nitroemu.kms;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.kms.internal.KmsNettyServer;
import dev.nitroemu.kms.internal.KmsProtocol;
import dev.nitroemu.kms.internal.KmsServerConfig;
import dev.nitroemu.kms.internal.KmsServerOptions;
import dev.nitroemu.kms.internal.KmsServerRuntime;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * An AWS KMS endpoint for tests and local development that unmodified AWS SDKs and the AWS CLI talk
 * to: the awsJson1_1 protocol over HTTP/1.1, SigV4 authentication, key policies with Nitro Enclaves
 * attestation conditions, and a CloudTrail-shaped audit log.
 *
 * <pre>{@code
 * try (KmsMockServer kms = KmsMockServer.builder().trustAnchor(nsm.rootCa().certificate()).build().start()) {
 *   KmsClient client = KmsClient.builder()
 *       .endpointOverride(kms.endpoint())
 *       .region(Region.of(kms.region()))
 *       .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
 *       .build();
 *   ...
 * }
 * }</pre>
 *
 * <p>Defaults: loopback, a free port, region {@code us-east-1}, account {@code 000000000000},
 * credentials {@link KmsCredentials#defaults()} ({@code test}/{@code test}), keys in memory, no
 * attestation trust anchor (every {@code Recipient} is then refused), documents at most 5 minutes
 * old, plain HTTP, the system UTC clock, {@link ConnectionLimits#DEFAULT} (256 connections; one
 * with no request in progress and no traffic for 60 s is closed), LocalStack's {@code _custom_id_}
 * and {@code _custom_key_material_} CreateKey tags honoured ({@link
 * Builder#localStackTags(boolean)}). {@link #close()} is idempotent; a closed server cannot be
 * restarted.
 *
 * <p>Requests must carry a {@code Host} that names this endpoint: a loopback address, {@code
 * localhost}, {@code kms.<region>.amazonaws.com} (for a served region) or its FIPS variant, the
 * specific address the server is bound to, or a name added with {@link
 * Builder#allowedHost(String)}, any port. Others are refused with HTTP 421 {@code
 * InvalidHostHeaderException} before authentication, so a browser page cannot reach the mock by DNS
 * rebinding.
 *
 * <p>One server can also be several regional KMS endpoints ({@link Builder#additionalRegions}), as
 * AWS regions are: each request goes to the region its SigV4 credential scope names, each region
 * has its own keys, and multi-Region keys replicate between them ({@code ReplicateKey}).
 *
 * <p>Besides KMS, {@code GET} {@value #HEALTH_PATH} answers a JSON health report (no signature
 * needed, not audited, the same {@code Host} rule): KMS and the services given to {@link
 * Builder#healthServices}.
 */
public final class KmsMockServer implements AutoCloseable {
  /** The signing name SigV4 scopes must carry. */
  public static final String SERVICE = "kms";

  /** The health endpoint's path, as LocalStack's {@code /_localstack/health}. */
  public static final String HEALTH_PATH = KmsProtocol.HEALTH_PATH;

  private final KmsServerConfig config;
  private final KmsServerRuntime runtime;
  private final Object lifecycle = new Object();
  private boolean started;
  private boolean closed;

  private KmsMockServer(KmsServerConfig config) {
    this.config = config;
    this.runtime = new KmsServerRuntime(config);
  }

  /** A builder with the defaults described on this class. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens the key store and the audit log, binds the port and starts serving.
   *
   * @return this server
   * @throws IOException if the state directory or audit file cannot be opened or the port not bound
   * @throws IllegalStateException if already started or closed
   */
  public KmsMockServer start() throws IOException {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("close() already called; build a new server");
      }
      if (started) {
        throw new IllegalStateException("start() already called");
      }
      started = true;
      boolean ok = false;
      try {
        runtime.start();
        ok = true;
        return this;
      } finally {
        if (!ok) {
          closed = true;
          runtime.release();
        }
      }
    }
  }

  /**
   * The endpoint to give SDK clients, e.g. {@code http://127.0.0.1:43127}, or {@code https://...}
   * when serving TLS (see {@link Builder#tls(KmsTlsCa)}).
   */
  public URI endpoint() {
    return KmsServerRuntime.endpointFor(http().localAddress(), config.servesTls());
  }

  /** The bound port. */
  public int port() {
    return http().localAddress().getPort();
  }

  /** The home region: requests are signed for it unless they name an additional region. */
  public String region() {
    return config.region();
  }

  /** Every region served: the home region first, then the additional ones. */
  public List<String> regions() {
    return config.regions();
  }

  /** The account that owns the keys. */
  public String accountId() {
    return config.accountId();
  }

  /** The first configured credentials ({@link KmsCredentials#defaults()} unless configured). */
  public KmsCredentials credentials() {
    return config.credentials().get(0);
  }

  /** Every accepted set of credentials, in configuration order. */
  public List<KmsCredentials> allCredentials() {
    return config.credentials();
  }

  /** The audit log: one event per request, in memory (and in the audit file when configured). */
  public AuditLog auditLog() {
    synchronized (lifecycle) {
      AuditLog auditLog = runtime.auditLog();
      if (auditLog == null) {
        throw new IllegalStateException("call start() first");
      }
      return auditLog;
    }
  }

  private KmsNettyServer http() {
    synchronized (lifecycle) {
      KmsNettyServer http = runtime.http();
      if (http == null) {
        throw new IllegalStateException(closed ? "server is closed" : "call start() first");
      }
      return http;
    }
  }

  /** Stops serving and closes the key store and the audit file; idempotent. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
      runtime.release();
    }
  }

  @Override
  public String toString() {
    synchronized (lifecycle) {
      String where =
          runtime.http() != null ? endpoint().toString() : closed ? "closed" : "not started";
      return "KmsMockServer["
          + where
          + ", region="
          + config.region()
          + ", account="
          + config.accountId()
          + "]";
    }
  }

  /** Configures a {@link KmsMockServer}; every setter returns this builder. */
  public static final class Builder {
    private final KmsServerOptions options = new KmsServerOptions();

    private Builder() {}

    /** The TCP port; 0 (the default) picks a free one, see {@link KmsMockServer#port()}. */
    public Builder port(int port) {
      options.port(port);
      return this;
    }

    /** The address to listen on; loopback by default. */
    public Builder bindAddress(InetAddress bindAddress) {
      options.bindAddress(bindAddress);
      return this;
    }

    /** The region, e.g. {@code eu-west-1}; {@code us-east-1} by default. */
    public Builder region(String region) {
      options.region(region);
      return this;
    }

    /**
     * Also serves these regions, e.g. {@code eu-west-1}, each as its own KMS endpoint on the same
     * port: a client configured for a region signs for it and sees that region's keys. Needed for
     * multi-Region keys ({@code ReplicateKey}); by default only the home region is served.
     */
    public Builder additionalRegions(String... regions) {
      options.additionalRegions(regions);
      return this;
    }

    /** The 12-digit account that owns the keys; {@code 000000000000} by default. */
    public Builder accountId(String accountId) {
      options.accountId(accountId);
      return this;
    }

    /**
     * The accepted credentials, replacing the defaults; the first is {@link
     * KmsMockServer#credentials()}.
     *
     * @throws IllegalArgumentException if none are given or two share an access key id
     */
    public Builder credentials(KmsCredentials... accepted) {
      options.credentials(accepted);
      return this;
    }

    /** Keeps keys, aliases and policies in {@code directory} so they survive a restart. */
    public Builder stateDirectory(Path directory) {
      options.stateDirectory(directory);
      return this;
    }

    /**
     * Trusts attestation documents chaining to {@code root}, e.g. an emulator root CA; repeatable.
     */
    public Builder trustAnchor(X509Certificate root) {
      options.trustAnchor(root);
      return this;
    }

    /** Trusts documents from real Nitro hardware (the pinned AWS Nitro Enclaves root). */
    public Builder trustAwsRoot() {
      options.trustAwsRoot();
      return this;
    }

    /** The oldest attestation document accepted in a {@code Recipient}; 5 minutes by default. */
    public Builder maxAttestationAge(Duration maxAge) {
      options.maxAttestationAge(maxAge);
      return this;
    }

    /** The clock for SigV4 skew checks, key dates, attestation checks and audit times. */
    public Builder clock(Clock clock) {
      options.clock(clock);
      return this;
    }

    /** The source of key material and random bytes; a new {@link SecureRandom} by default. */
    public Builder random(SecureRandom random) {
      options.random(random);
      return this;
    }

    /**
     * Also appends every audit event as one JSON line to {@code file}, rotated by {@link
     * AuditRotation#DEFAULT}.
     */
    public Builder auditFile(Path file) {
      return auditFile(file, AuditRotation.DEFAULT);
    }

    /**
     * Also appends every audit event as one JSON line to {@code file}, rotated by {@code rotation}
     * from the first event on.
     */
    public Builder auditFile(Path file, AuditRotation rotation) {
      options.auditFile(file, rotation);
      return this;
    }

    /**
     * Connections open at once and the idle timeout (default {@link ConnectionLimits#DEFAULT}: 256,
     * 60 s).
     */
    public Builder connectionLimits(ConnectionLimits limits) {
      options.connectionLimits(limits);
      return this;
    }

    /**
     * Serves HTTPS (TLS 1.2/1.3) instead of HTTP, with a certificate that {@code ca} issues at
     * start for {@code kms.<region>.amazonaws.com}, {@code localhost}, {@code 127.0.0.1} and {@code
     * ::1}.
     */
    public Builder tls(KmsTlsCa ca) {
      Objects.requireNonNull(ca, "ca");
      options.tls((regions, clock) -> ca.issueServerCertificate(regions, clock).serverContext());
      return this;
    }

    /**
     * Also answers requests whose {@code Host} is {@code name}, with any port; repeatable. Needed
     * when clients reach the server under another name, e.g. {@code host.docker.internal} from a
     * container or a LAN name. Loopback addresses, {@code localhost} and {@code
     * kms.<region>.amazonaws.com} (and {@code kms-fips.}) are always accepted.
     *
     * @throws IllegalArgumentException if {@code name} is not a host name or IP literal (no port,
     *     no wildcard)
     */
    public Builder allowedHost(String name) {
      options.allowedHost(name);
      return this;
    }

    /**
     * Further services the health endpoint lists beside KMS, read at each request: name to fields
     * such as {@code address}, {@code tcp} or {@code destination} (never credentials).
     */
    public Builder healthServices(Supplier<Map<String, Map<String, String>>> services) {
      options.healthServices(services);
      return this;
    }

    /**
     * Told about every call once it is audited, with its latency (e.g. {@code nitro-emu start
     * --log-requests} prints {@link RequestLogEntry#toLine()}); called on KMS threads, so it must
     * be quick and thread-safe.
     */
    public Builder requestListener(Consumer<RequestLogEntry> listener) {
      options.requestListener(listener);
      return this;
    }

    /**
     * Whether CreateKey honours LocalStack's tags (true by default): {@code _custom_id_} (the key
     * id to use, a UUID) and {@code _custom_key_material_} (base64 key material: the raw AES or
     * HMAC key, or a DER PKCS#8 private key for RSA and ECC specs). With false they are ordinary
     * tags, as in AWS.
     */
    public Builder localStackTags(boolean honour) {
      options.localStackTags(honour);
      return this;
    }

    /** A server with this configuration; call {@link KmsMockServer#start()} to serve. */
    public KmsMockServer build() {
      return new KmsMockServer(options.toConfig());
    }
  }
}
