package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.KmsCredentials;
import dev.nitroemu.kms.RequestLogEntry;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The configuration of one KMS mock server, fixed when its builder builds it: where it listens, the
 * regions and account it serves, who may call it, what attestation it trusts and where it keeps
 * keys and audit events.
 *
 * @param bindAddress the address and port to listen on (port 0: a free one)
 * @param region the home region
 * @param additionalRegions further regions served; the home region and repeats are dropped
 * @param accountId the 12-digit account that owns the keys
 * @param credentials the accepted credentials, in configuration order (the first is the default)
 * @param stateDirectory where keys survive a restart, or null to keep them in memory
 * @param trustAnchors the roots attestation documents may chain to
 * @param trustAwsRoot whether documents from real Nitro hardware (the AWS root) are trusted
 * @param maxAttestationAge the oldest attestation document accepted in a {@code Recipient}
 * @param clock the clock for SigV4 skew checks, key dates, attestation checks and audit times
 * @param random the source of key material and random bytes
 * @param auditFile where every audit event is also appended as a JSON line, or null
 * @param auditRotation how {@code auditFile} is rotated
 * @param tls issues the HTTPS context at start, or null to serve plain HTTP
 * @param connectionLimits connections open at once and the idle timeout
 * @param allowedHosts further names accepted in the {@code Host} header
 * @param healthServices further services the health endpoint lists, read at each request
 * @param requestListener told about every call once it is audited
 * @param localStackTags whether CreateKey honours LocalStack's tags
 */
public record KmsServerConfig(
    InetSocketAddress bindAddress,
    String region,
    List<String> additionalRegions,
    String accountId,
    List<KmsCredentials> credentials,
    Path stateDirectory,
    List<X509Certificate> trustAnchors,
    boolean trustAwsRoot,
    Duration maxAttestationAge,
    Clock clock,
    SecureRandom random,
    Path auditFile,
    AuditRotation auditRotation,
    KmsServerConfig.TlsIssuer tls,
    ConnectionLimits connectionLimits,
    List<String> allowedHosts,
    Supplier<Map<String, Map<String, String>>> healthServices,
    Consumer<RequestLogEntry> requestListener,
    boolean localStackTags) {

  /** Issues the server's TLS context when it starts. */
  @FunctionalInterface
  public interface TlsIssuer {
    /** A server context whose certificate names the KMS endpoints of {@code regions}. */
    SslContext issue(List<String> regions, Clock clock);
  }

  /** Copies the lists and drops the home region and repeats from {@code additionalRegions}. */
  public KmsServerConfig {
    String home = region;
    additionalRegions = additionalRegions.stream().filter(r -> !r.equals(home)).distinct().toList();
    credentials = List.copyOf(credentials);
    trustAnchors = List.copyOf(trustAnchors);
    allowedHosts = List.copyOf(allowedHosts);
  }

  /** Every region served: the home region first, then the additional ones. */
  public List<String> regions() {
    List<String> all = new ArrayList<>();
    all.add(region);
    all.addAll(additionalRegions);
    return List.copyOf(all);
  }

  /** Whether the server speaks HTTPS rather than plain HTTP. */
  public boolean servesTls() {
    return tls != null;
  }
}
