package dev.nitroemu.cli;

import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.ProxyAllowlistException;
import dev.nitroemu.vsock.VsockAddress;
import dev.nitroemu.vsock.VsockNetwork;
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
          + " and any --proxy,",
      "over the emulated vsock network. Enclave apps in other processes find it through the mapping file",
      "(export NITRO_VSOCK_MAP=<state-dir>/vsock-map.json). Stop with Ctrl-C or SIGTERM."
    })
final class StartCommand extends CliCommand {
  @Option(names = "--state-dir", paramLabel = "DIR", description = "where the mapping and endpoints files live (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/state)")
  String stateDir;

  @Option(names = "--profile", paramLabel = "FILE.json", description = "nitro-cli build-enclave/describe-eif output")
  String profile;

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

  @Option(names = "--proxy-config", paramLabel = "FILE", description = "vsock-proxy allowlist YAML (default: allow exactly the --proxy destinations)")
  String proxyConfig;

  @Override
  public void run() {
    List<ProxySpec> proxySpecs = proxies.stream().map(ProxySpec::parse).toList();
    Path state = stateDir == null ? env.home().resolve("state") : env.resolve(stateDir);
    Path endpoints = endpointsFile == null ? state.resolve("endpoints.json") : env.resolve(endpointsFile);
    Path ca = caDir == null ? env.defaultCaDir() : env.resolve(caDir);
    EmulatorRootCa root = caDir == null ? CliSupport.loadOrCreateCa(env, ca) : CliSupport.loadCa(ca);
    EnclaveProfile enclave = CliSupport.profile(env, profile);
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
        ResourceList<VsockProxy> started = new ResourceList<>()) {
      for (ProxySpec p : proxySpecs) {
        started.add(startProxy(network, p, proxySpecs)).start();
      }
      StackEndpoints described =
          StackEndpoints.describe(network, mapping, ca.resolve("root.pem"), nsm, nsmServer, started.items());
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
}
