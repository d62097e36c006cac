package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.kms.AuditLog;
import dev.nitroemu.kms.KmsMockServer;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;

/**
 * What a KMS mock server holds while it serves (its regions' key stores, its audit log and its HTTP
 * server), opened and wired together by {@link #start()} and released by {@link #release()}.
 *
 * <p>Not thread-safe: the owning {@link KmsMockServer} calls it under its lifecycle lock.
 */
public final class KmsServerRuntime {
  private static final System.Logger LOG = System.getLogger(KmsMockServer.class.getName());

  private final KmsServerConfig config;
  private volatile URI servedEndpoint;
  private KmsRegions keys;
  private AuditLog auditLog;
  private KmsNettyServer http;

  /** A runtime for {@code config} that holds nothing until {@link #start()}. */
  public KmsServerRuntime(KmsServerConfig config) {
    this.config = config;
  }

  /**
   * Opens the key stores and the audit log, binds the port and starts serving. On failure what was
   * opened so far stays held: the caller then calls {@link #release()}.
   *
   * @throws IOException if the state directory or audit file cannot be opened or the port not bound
   */
  public void start() throws IOException {
    keys =
        KmsRegions.open(
            config.region(),
            config.additionalRegions(),
            config.accountId(),
            config.clock(),
            config.random(),
            config.stateDirectory(),
            config.localStackTags());
    try {
      auditLog =
          config.auditFile() != null
              ? AuditLog.toFile(config.auditFile(), config.auditRotation())
              : AuditLog.inMemory();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    RecipientVerifier recipients =
        new RecipientVerifier(attestationVerifier(), config.maxAttestationAge(), config.clock());
    SigV4Verifier verifier =
        new SigV4Verifier(
            config.regions(), KmsMockServer.SERVICE, config.credentials(), config.clock());
    AllowedHosts hosts =
        AllowedHosts.forServer(
            config.regions(), config.allowedHosts(), config.bindAddress().getAddress());
    KmsProtocol protocol =
        new KmsProtocol(
            hosts,
            verifier,
            KmsOperations.forRegions(keys, recipients),
            auditLog,
            config.region(),
            config.clock(),
            new KmsProtocol.Hooks(
                () ->
                    HealthReport.render(
                        servedEndpoint, config.region(), config.healthServices().get()),
                config.requestListener()));
    int workers = Math.max(2, Runtime.getRuntime().availableProcessors());
    SslContext tls =
        config.servesTls() ? config.tls().issue(config.regions(), config.clock()) : null;
    http =
        KmsNettyServer.start(
            config.bindAddress(),
            protocol,
            tls,
            workers,
            config.clock(),
            config.connectionLimits());
    servedEndpoint = endpointFor(http.localAddress(), config.servesTls());
  }

  private AttestationVerifier attestationVerifier() {
    if (config.trustAnchors().isEmpty() && !config.trustAwsRoot()) {
      return null;
    }
    AttestationVerifier.Builder builder = AttestationVerifier.builder().clock(config.clock());
    config.trustAnchors().forEach(builder::trustAnchor);
    if (config.trustAwsRoot()) {
      builder.trustAwsRoot();
    }
    return builder.build();
  }

  /** The audit log, or null before {@link #start()} opened it (it stays after release). */
  public AuditLog auditLog() {
    return auditLog;
  }

  /** The HTTP server, or null while not serving. */
  public KmsNettyServer http() {
    return http;
  }

  /**
   * The endpoint SDK clients use for a server bound to {@code bound}, e.g. {@code
   * http://127.0.0.1:43127}: a wildcard bind address reads as loopback, IPv6 goes in brackets.
   */
  public static URI endpointFor(InetSocketAddress bound, boolean tls) {
    InetAddress address = bound.getAddress();
    if (address.isAnyLocalAddress()) {
      address = InetAddress.getLoopbackAddress();
    }
    String host =
        address instanceof Inet6Address
            ? "[" + address.getHostAddress() + "]"
            : address.getHostAddress();
    return URI.create((tls ? "https://" : "http://") + host + ":" + bound.getPort());
  }

  /**
   * Stops serving and closes the key stores and the audit log; a failure to close is logged, not
   * thrown. Call it once.
   */
  public void release() {
    if (http != null) {
      http.close();
      http = null;
    }
    if (keys != null) {
      try {
        keys.close();
      } catch (IOException | RuntimeException e) {
        // Every acknowledged change was written atomically when it was made; nothing is lost here.
        LOG.log(System.Logger.Level.WARNING, "closing the KMS key store failed: " + e);
      }
    }
    if (auditLog != null) {
      try {
        auditLog.close();
      } catch (RuntimeException e) {
        // Each audit line was flushed when recorded; a failed close loses nothing already written.
        LOG.log(System.Logger.Level.WARNING, "closing the KMS audit log failed: " + e);
      }
    }
  }
}
