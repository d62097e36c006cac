package dev.nitroemu.cli;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.KmsTlsCa;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.stack.StackServices;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options of {@code nitro-emu start} that say what the stack serves (NSM and KMS ports, the KMS
 * mock's settings, vsock-proxies), and the {@link StackServices} they make.
 */
final class StackServiceOptions {
  @Option(
      names = "--log-requests",
      description =
          "print one line per KMS call: time, operation, key, principal, decision, latency (never plaintext, keys or secrets)")
  boolean logRequests;

  @Option(
      names = "--nsm-port",
      paramLabel = "PORT",
      description = "vsock port of the NSM service (default: " + NsmVsockServer.DEFAULT_PORT + ")")
  Long nsmPort;

  @Option(
      names = "--proxy",
      paramLabel = "PORT:HOST:PORT",
      description = "forward vsock port PORT (CID 3) to HOST:PORT; repeatable")
  List<String> proxies = new ArrayList<>();

  @Option(
      names = "--kms-port",
      paramLabel = "PORT",
      description =
          "TCP port of the KMS mock on 127.0.0.1 (default: "
              + StartCommand.DEFAULT_KMS_PORT
              + "; 0 picks a free one)")
  Integer kmsPort;

  @Option(
      names = "--kms-proxy-port",
      paramLabel = "PORT",
      description =
          "vsock port (CID 3) forwarded to the KMS mock (default: "
              + StartCommand.DEFAULT_KMS_PROXY_PORT
              + ")")
  Long kmsProxyPort;

  @Option(
      names = "--kms-proxy-workers",
      paramLabel = "N",
      description =
          "connections the KMS vsock-proxy forwards at once; idle ones close after "
              + "60 s (default: "
              + StackServices.DEFAULT_KMS_PROXY_WORKERS
              + ")")
  Integer kmsProxyWorkers;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      defaultValue = "us-east-1",
      description = "region of the KMS mock (default: ${DEFAULT-VALUE})")
  String region;

  @Option(
      names = "--kms-tls",
      description =
          "serve KMS over HTTPS with a certificate from the emulator KMS TLS CA (<home>/kms-tls)")
  boolean kmsTls;

  @Option(
      names = "--kms-trust-aws",
      description = "let KMS also accept attestation documents from real Nitro hardware (AWS root)")
  boolean kmsTrustAws;

  @Option(
      names = "--kms-host",
      paramLabel = "NAME",
      description =
          "also serve KMS requests whose Host is NAME (any port), e.g. host.docker.internal; repeatable (default: loopback, localhost and kms.<region>.amazonaws.com only)")
  List<String> kmsHosts = new ArrayList<>();

  @Option(
      names = "--kms-strict-aws",
      description =
          "KMS CreateKey treats LocalStack's _custom_id_ and _custom_key_material_ tags as ordinary tags, as AWS does")
  boolean kmsStrictAws;

  @Option(
      names = "--proxy-config",
      paramLabel = "FILE",
      description = "vsock-proxy allowlist YAML (default: allow exactly the --proxy destinations)")
  String proxyConfig;

  @Option(
      names = "--kms-bind",
      paramLabel = "ADDRESS",
      defaultValue = "${env:NITRO_EMU_KMS_BIND}",
      description =
          "address the KMS mock listens on (default: $NITRO_EMU_KMS_BIND, else 127.0.0.1); 0.0.0.0 in a container whose KMS port is published")
  String kmsBind;

  @Option(
      names = "--audit-max-size",
      paramLabel = "SIZE",
      description =
          "size at which <state-dir>/kms-audit.jsonl is rotated to kms-audit.jsonl.1 (bytes, or k, m, g;"
              + " at least 1m; default: 64m)")
  String auditMaxSize;

  @Option(
      names = "--audit-keep",
      paramLabel = "N",
      description =
          "rotated audit files kept, kms-audit.jsonl.1 (newest) to .N; the oldest is deleted (0 to "
              + AuditRotation.MAX_KEEP
              + "; default: "
              + AuditRotation.DEFAULT_KEEP
              + ")")
  Integer auditKeep;

  /**
   * The {@code --audit-max-size} and {@code --audit-keep}, else the defaults.
   *
   * @throws CliFailure (exit 2) naming the option if out of range
   */
  AuditRotation auditRotation() {
    try {
      long maxBytes =
          auditMaxSize == null
              ? AuditRotation.DEFAULT_MAX_BYTES
              : AuditRotation.requireValidMaxBytes(
                  ByteSize.parse(auditMaxSize, "--audit-max-size"), "--audit-max-size");
      int keep =
          auditKeep == null
              ? AuditRotation.DEFAULT_KEEP
              : AuditRotation.requireValidKeep(auditKeep, "--audit-keep");
      return new AuditRotation(maxBytes, keep);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(e.getMessage(), 2);
    }
  }

  /** The {@code --nsm-port}, else the NSM's default vsock port. */
  long nsmPort() {
    return nsmPort == null ? NsmVsockServer.DEFAULT_PORT : nsmPort;
  }

  /** The {@code --kms-proxy-port}, else {@value StartCommand#DEFAULT_KMS_PROXY_PORT}. */
  long kmsProxyPort() {
    return kmsProxyPort == null ? StartCommand.DEFAULT_KMS_PROXY_PORT : kmsProxyPort;
  }

  /**
   * The {@code --kms-proxy-workers}, else the default.
   *
   * @throws CliFailure (exit 2) if out of range
   */
  int kmsProxyWorkers() {
    int kmsWorkers =
        kmsProxyWorkers == null ? StackServices.DEFAULT_KMS_PROXY_WORKERS : kmsProxyWorkers;
    if (kmsWorkers < 1 || kmsWorkers > ConnectionLimits.MAX_CONNECTIONS_LIMIT) {
      throw new CliFailure(
          "--kms-proxy-workers: must be in 1.."
              + ConnectionLimits.MAX_CONNECTIONS_LIMIT
              + ", was "
              + kmsWorkers,
          2);
    }
    return kmsWorkers;
  }

  /** The {@code --proxy} routes, parsed. */
  List<ProxySpec> proxySpecs() {
    return proxies.stream().map(ProxySpec::parse).toList();
  }

  /**
   * What the stack serves: NSM and KMS on their ports, the KMS proxy, --proxy routes, KMS state (in
   * {@code owned} unless {@code ephemeral}) and audit; {@code --log-requests} lines go to {@code
   * out}.
   */
  StackServices services(
      StateDirectory owned,
      List<ProxySpec> proxySpecs,
      boolean ephemeral,
      NitroEmu.CliEnvironment env,
      PrintWriter out) {
    StackServices.Builder services =
        StackServices.builder()
            .nsmPort(nsmPort())
            .kmsProxyPort(kmsProxyPort())
            .kmsTrustAwsRoot(kmsTrustAws)
            .kmsLocalStackTags(!kmsStrictAws)
            .mappingFile(owned.mappingFile())
            .kmsAuditFile(StateDirectory.auditFile(owned.path()))
            .kmsAuditRotation(auditRotation());
    try {
      services.kmsPort(kmsPort == null ? StartCommand.DEFAULT_KMS_PORT : kmsPort).kmsRegion(region);
      if (kmsBind != null) {
        services.kmsBindAddress(InetAddress.getByName(kmsBind));
      }
      for (ProxySpec p : proxySpecs) {
        services.proxy(new StackServices.ProxyRoute(p.vsockPort(), p.host(), p.port()));
      }
    } catch (IllegalArgumentException e) {
      throw new CliFailure("start: " + e.getMessage(), 2);
    } catch (UnknownHostException e) {
      throw new CliFailure("--kms-bind: not an address: " + kmsBind, 2);
    }
    if (proxyConfig != null) {
      services.proxyAllowlistFile(env.resolve(proxyConfig));
    }
    kmsHosts.forEach(
        services::kmsAllowedHost); // checked by the KMS mock at start (exit 2 when malformed)
    if (!ephemeral) {
      services.kmsStateDirectory(owned.kmsDirectory());
    }
    if (logRequests) {
      services.kmsRequestListener(
          entry -> {
            synchronized (out) {
              out.println("kms " + entry.toLine());
              out.flush();
            }
          });
    }
    if (kmsTls) {
      try {
        services.kmsTls(KmsTlsCa.loadOrCreate(env.home().resolve("kms-tls"), env.clock()));
      } catch (IOException | RuntimeException e) {
        throw new CliFailure(
            "--kms-tls: cannot use the KMS TLS CA in "
                + env.home().resolve("kms-tls")
                + ": "
                + e.getMessage());
      }
    }
    return services.build();
  }
}
