package dev.nitroemu.cli;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.kms.KmsMockServer;
import dev.nitroemu.kms.KmsTlsCa;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.ProxyAllowlistException;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.io.PrintWriter;
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

  /**
   * Connections the KMS vsock-proxy forwards at once: more than an AWS SDK client pools (50), so
   * one client's idle keep-alive connections cannot starve the others, as AWS's default of 4 would.
   */
  static final int DEFAULT_KMS_PROXY_WORKERS = 64;

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
      + "60 s (default: " + DEFAULT_KMS_PROXY_WORKERS + ")")
  Integer kmsProxyWorkers;

  @Option(names = "--region", paramLabel = "REGION", defaultValue = "us-east-1", description = "region of the KMS mock (default: ${DEFAULT-VALUE})")
  String region;

  @Option(names = "--kms-tls", description = "serve KMS over HTTPS with a certificate from the emulator KMS TLS CA (<home>/kms-tls)")
  boolean kmsTls;

  @Option(names = "--kms-trust-aws", description = "let KMS also accept attestation documents from real Nitro hardware (AWS root)")
  boolean kmsTrustAws;

  @Option(names = "--kms-host", paramLabel = "NAME", description = "also serve KMS requests whose Host is NAME (any port), e.g. host.docker.internal; repeatable (default: loopback, localhost and kms.<region>.amazonaws.com only)")
  List<String> kmsHosts = new ArrayList<>();

  @Option(names = "--kms-strict-aws", description = "KMS CreateKey treats LocalStack's _custom_id_ and _custom_key_material_ tags as ordinary tags, as AWS does")
  boolean kmsStrictAws;

  @Option(names = "--proxy-config", paramLabel = "FILE", description = "vsock-proxy allowlist YAML (default: allow exactly the --proxy destinations)")
  String proxyConfig;

  @Override
  public void run() {
    int kmsWorkers = kmsProxyWorkers == null ? DEFAULT_KMS_PROXY_WORKERS : kmsProxyWorkers;
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
    PrintWriter out = spec.commandLine().getOut();
    try (Foreground foreground = new Foreground();
        VsockNetwork network = VsockNetwork.builder().mappingFile(mapping).build();
        SoftwareNsm nsm = SoftwareNsm.builder().profile(enclave).rootCa(root).clock(env.clock()).build();
        NsmVsockServer nsmServer = NsmVsockServer.start(
            nsm, network, VsockAddress.of(VsockAddress.CID_PARENT, nsmPort == null ? NsmVsockServer.DEFAULT_PORT : nsmPort));
        KmsMockServer kms = kmsServer(root, state).start();
        VsockProxy kmsProxy = VsockProxy.builder(network)
            .listenPort(kmsProxyPort == null ? DEFAULT_KMS_PROXY_PORT : kmsProxyPort)
            .destination("127.0.0.1", kms.port())
            .allowlist(dev.nitroemu.vsock.ProxyAllowlist.allowing("127.0.0.1", kms.port()))
            .workers(kmsWorkers)
            .build()
            .start();
        ResourceList<VsockProxy> started = new ResourceList<>()) {
      for (ProxySpec p : proxySpecs) {
        started.add(startProxy(network, p, proxySpecs)).start();
      }
      StackEndpoints described =
          StackEndpoints.describe(network, mapping, ca.resolve("root.pem"), nsm, nsmServer, started.items())
              .withKms(network, kms, kmsProxy, kmsTls ? env.home().resolve("kms-tls").resolve(KmsTlsCa.CERTIFICATE_FILE) : null);
      described.write(endpoints);
      described.print(out);
      out.printf("endpoints written to %s; stop with Ctrl-C%n", endpoints);
      out.println("nitro-emu: ready");
      out.flush();
      foreground.await();
      out.println("nitro-emu: stopping");
      out.flush();
      Files.deleteIfExists(endpoints);
    } catch (ProxyAllowlistException e) {
      throw new CliFailure("--proxy: " + e.getMessage());
    } catch (IOException e) {
      throw new CliFailure("start: " + e.getMessage());
    }
  }

  /** The KMS mock: trusts the emulator root (and the AWS root if asked); keys persist only with an explicit --state-dir. */
  private KmsMockServer kmsServer(EmulatorRootCa root, Path state) throws IOException {
    KmsMockServer.Builder builder = KmsMockServer.builder()
        .port(kmsPort == null ? DEFAULT_KMS_PORT : kmsPort)
        .region(region)
        .clock(env.clock())
        .trustAnchor(root.certificate())
        .localStackTags(!kmsStrictAws);
    if (kmsTrustAws) {
      builder.trustAwsRoot();
    }
    if (stateDir != null) {
      builder.stateDirectory(state.resolve("kms")).auditFile(state.resolve("kms-audit.jsonl"));
    }
    if (kmsTls) {
      builder.tls(KmsTlsCa.loadOrCreate(env.home().resolve("kms-tls"), env.clock()));
    }
    try {
      kmsHosts.forEach(builder::allowedHost);
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new CliFailure("start: " + e.getMessage(), 2);
    }
  }

  private VsockProxy startProxy(VsockNetwork network, ProxySpec p, List<ProxySpec> all) throws ProxyAllowlistException {
    VsockProxy.Builder builder =
        VsockProxy.builder(network).listenPort(p.vsockPort()).destination(p.host(), p.port());
    if (proxyConfig != null) {
      builder.allowlistFile(env.resolve(proxyConfig));
    } else {
      ProxyAllowlist allow = null;
      for (ProxySpec each : all) {
        allow = allow == null ? ProxyAllowlist.allowing(each.host(), each.port()) : allow.and(each.host(), each.port());
      }
      builder.allowlist(allow);
    }
    return builder.build();
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
