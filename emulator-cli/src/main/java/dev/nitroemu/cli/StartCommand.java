package dev.nitroemu.cli;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.kms.KmsTlsCa;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.StackServices;
import dev.nitroemu.vsock.ProxyAllowlistException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu start}: runs the emulator stack in the foreground (the NSM served over emulated
 * vsock, and vsock-proxies) until Ctrl-C or SIGTERM.
 */
@Command(
    name = "start",
    mixinStandardHelpOptions = true,
    description = {
      "Starts the emulator stack in the foreground: the NSM device protocol on vsock://3:" + NsmVsockServer.DEFAULT_PORT
          + ", the KMS mock on 127.0.0.1:" + StartCommand.DEFAULT_KMS_PORT + " (enclave side: vsock://3:" + StartCommand.DEFAULT_KMS_PROXY_PORT
          + " through a vsock-proxy) and any --proxy,",
      "over the emulated vsock network. Enclave apps in other processes find it through the mapping file",
      "(export NITRO_VSOCK_MAP=<state-dir>/vsock-map.json). Stop with Ctrl-C or SIGTERM."
    })
final class StartCommand extends CliCommand {
  /** TCP port of the KMS mock unless {@code --kms-port} says otherwise. */
  static final int DEFAULT_KMS_PORT = 4599;

  /** The vsock port enclaves reach KMS on, as AWS's standard vsock-proxy for KMS. */
  static final long DEFAULT_KMS_PROXY_PORT = 8000;


  @Option(names = "--state-dir", paramLabel = "DIR", description = "where the mapping and endpoints files live (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/state)")
  String stateDir;

  @Option(names = "--profile", paramLabel = "FILE.json", description = "nitro-cli build-enclave/describe-eif output")
  String profile;

  @Option(names = "--eif", paramLabel = "FILE", description = "boot with this EIF's PCR0/1/2 (and PCR8 when signed), measured as nitro-cli does; replaces --profile")
  String eif;

  @Option(names = "--debug", description = "debug-mode enclave: PCR0/1/2/8 are zero")
  boolean debug;

  @Option(names = "--ca", paramLabel = "DIR", description = "emulator CA directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/ca)")
  String caDir;

  @Option(names = "--endpoints-file", paramLabel = "FILE", description = "where to write the endpoints JSON (default: <state-dir>/endpoints.json)")
  String endpointsFile;

  @Option(names = "--nsm-port", paramLabel = "PORT", description = "vsock port of the NSM service (default: " + NsmVsockServer.DEFAULT_PORT + ")")
  Long nsmPort;

  @Option(names = "--proxy", paramLabel = "PORT:HOST:PORT", description = "forward vsock port PORT (CID 3) to HOST:PORT; repeatable")
  List<String> proxies = new ArrayList<>();

  @Option(names = "--kms-port", paramLabel = "PORT", description = "TCP port of the KMS mock on 127.0.0.1 (default: " + DEFAULT_KMS_PORT + "; 0 picks a free one)")
  Integer kmsPort;

  @Option(names = "--kms-proxy-port", paramLabel = "PORT", description = "vsock port (CID 3) forwarded to the KMS mock (default: " + DEFAULT_KMS_PROXY_PORT + ")")
  Long kmsProxyPort;

  @Option(names = "--kms-proxy-workers", paramLabel = "N", description = "connections the KMS vsock-proxy forwards at once; idle ones close after "
      + "60 s (default: " + StackServices.DEFAULT_KMS_PROXY_WORKERS + ")")
  Integer kmsProxyWorkers;

  @Option(names = "--region", paramLabel = "REGION", defaultValue = "us-east-1", description = "region of the KMS mock (default: ${DEFAULT-VALUE})")
  String region;

  @Option(names = "--kms-tls", description = "serve KMS over HTTPS with a certificate from the emulator KMS TLS CA (<home>/kms-tls)")
  boolean kmsTls;

  @Option(names = "--kms-trust-aws", description = "let KMS also accept attestation documents from real Nitro hardware (AWS root)")
  boolean kmsTrustAws;

  @Option(names = "--kms-host", paramLabel = "NAME", description = "also serve KMS requests whose Host is NAME (any port), e.g. host.docker.internal; repeatable (default: loopback, localhost and kms.<region>.amazonaws.com only)")
  List<String> kmsHosts = new ArrayList<>();

  @Option(names = "--proxy-config", paramLabel = "FILE", description = "vsock-proxy allowlist YAML (default: allow exactly the --proxy destinations)")
  String proxyConfig;

  @Override
  public void run() {
    int kmsWorkers = kmsProxyWorkers == null ? StackServices.DEFAULT_KMS_PROXY_WORKERS : kmsProxyWorkers;
    if (kmsWorkers < 1 || kmsWorkers > ConnectionLimits.MAX_CONNECTIONS_LIMIT) {
      throw new CliFailure("--kms-proxy-workers: must be in 1.." + ConnectionLimits.MAX_CONNECTIONS_LIMIT + ", was " + kmsWorkers, 2);
    }
    List<ProxySpec> proxySpecs = proxies.stream().map(ProxySpec::parse).toList();
    Path state = stateDir == null ? env.home().resolve("state") : env.resolve(stateDir);
    Path endpoints = endpointsFile == null ? state.resolve("endpoints.json") : env.resolve(endpointsFile);
    Path ca = caDir == null ? env.defaultCaDir() : env.resolve(caDir);
    EmulatorRootCa root = caDir == null ? CliSupport.loadOrCreateCa(env, ca) : CliSupport.loadCa(ca);
    EnclaveProfile enclave = eif != null ? eifProfile(eif) : CliSupport.profile(env, profile);
    if (debug) {
      enclave = enclave.toBuilder().debug(true).build();
    }
    Path mapping = state.resolve("vsock-map.json");
    try {
      Files.createDirectories(state);
      Files.deleteIfExists(mapping);
    } catch (IOException e) {
      throw new CliFailure("cannot prepare state directory " + state + ": " + e.getMessage());
    }
    Path tlsCaPem = kmsTls ? env.home().resolve("kms-tls").resolve(KmsTlsCa.CERTIFICATE_FILE) : null;
    EnclaveEnvironment.Builder builder = EnclaveEnvironment.builder()
        .mode(NitroMode.EMULATED)
        .profile(enclave)
        .rootCa(root)
        .clock(env.clock())
        .services(services(state, mapping, proxySpecs).toBuilder().kmsProxyWorkers(kmsWorkers).build());
    PrintWriter out = spec.commandLine().getOut();
    try (Foreground foreground = new Foreground(); EnclaveEnvironment stack = startStack(builder)) {
      StackEndpoints described = StackEndpoints.describe(stack, mapping, ca.resolve("root.pem"), tlsCaPem);
      described.write(endpoints);
      described.print(out);
      out.printf("endpoints written to %s; stop with Ctrl-C%n", endpoints);
      out.println("nitro-emu: ready");
      out.flush();
      foreground.await();
      out.println("nitro-emu: stopping");
      out.flush();
      Files.deleteIfExists(endpoints);
    } catch (CliFailure e) {
      throw e;
    } catch (Exception e) {
      throw new CliFailure("start: " + e.getMessage());
    }
  }

  /** Starts the stack, turning its failures into one-line CLI errors. */
  private static EnclaveEnvironment startStack(EnclaveEnvironment.Builder builder) {
    try {
      return builder.start();
    } catch (UncheckedIOException e) {
      IOException cause = e.getCause();
      if (cause instanceof ProxyAllowlistException) {
        throw new CliFailure("--proxy: " + cause.getMessage());
      }
      throw new CliFailure("start: " + cause.getMessage());
    } catch (IllegalArgumentException e) {
      throw new CliFailure("start: " + e.getMessage(), 2);
    }
  }

  /** What the stack serves: NSM and KMS on their ports, the KMS proxy, --proxy routes; keys persist only with --state-dir. */
  private StackServices services(Path state, Path mapping, List<ProxySpec> proxySpecs) {
    StackServices.Builder services = StackServices.builder()
        .nsmPort(nsmPort == null ? NsmVsockServer.DEFAULT_PORT : nsmPort)
        .kmsProxyPort(kmsProxyPort == null ? DEFAULT_KMS_PROXY_PORT : kmsProxyPort)
        .kmsTrustAwsRoot(kmsTrustAws)
        .mappingFile(mapping);
    try {
      services.kmsPort(kmsPort == null ? DEFAULT_KMS_PORT : kmsPort).kmsRegion(region);
      for (ProxySpec p : proxySpecs) {
        services.proxy(new StackServices.ProxyRoute(p.vsockPort(), p.host(), p.port()));
      }
    } catch (IllegalArgumentException e) {
      throw new CliFailure("start: " + e.getMessage(), 2);
    }
    if (proxyConfig != null) {
      services.proxyAllowlistFile(env.resolve(proxyConfig));
    }
    try {
      kmsHosts.forEach(services::kmsAllowedHost);
    } catch (IllegalArgumentException e) {
      throw new CliFailure("--kms-host: " + e.getMessage(), 2);
    }
    if (stateDir != null) {
      services.kmsStateDirectory(state.resolve("kms")).kmsAuditFile(state.resolve("kms-audit.jsonl"));
    }
    if (kmsTls) {
      try {
        services.kmsTls(KmsTlsCa.loadOrCreate(env.home().resolve("kms-tls"), env.clock()));
      } catch (IOException | RuntimeException e) {
        throw new CliFailure("--kms-tls: cannot use the KMS TLS CA in " + env.home().resolve("kms-tls") + ": "
            + e.getMessage());
      }
    }
    return services.build();
  }

  /** The profile of an intact EIF; a damaged or foreign file is one line and exit 1. */
  private EnclaveProfile eifProfile(String file) {
    DescribeEifCommand.readIntact(file, env);
    try {
      return EnclaveProfile.fromEif(env.resolve(file));
    } catch (IOException e) {
      throw new CliFailure(file + ": " + e.getMessage());
    }
  }
}
