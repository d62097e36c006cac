package dev.nitroemu.cli;

import static dev.nitroemu.enclave.Closeables.closeQuietly;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.vsock.ProxyAllowlistException;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code nitro-emu vsock-proxy}: the parent-side proxy from a vsock port to one TCP destination,
 * like AWS's.
 */
@Command(
    name = "vsock-proxy",
    header =
        "Forwards a vsock port to a TCP host:port, like AWS's vsock-proxy; refuses addresses a stack owns.",
    mixinStandardHelpOptions = true,
    description = {
      "Forwards connections on vsock port LOCAL_PORT to HOST:PORT, like AWS's vsock-proxy.",
      "The destination must be in the allowlist (--config, AWS's YAML format); runs until stopped."
    })
final class VsockProxyCommand extends CliCommand {
  @Parameters(
      index = "0",
      paramLabel = "LOCAL_PORT",
      description = "vsock port to listen on (CID 3, the parent)")
  long localPort;

  @Parameters(index = "1", paramLabel = "HOST", description = "destination host")
  String host;

  @Parameters(index = "2", paramLabel = "PORT", description = "destination TCP port")
  int port;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "allowlist YAML (default: " + VsockProxy.DEFAULT_CONFIG_FILE + ")")
  String config;

  @Option(
      names = {"-w", "--num_workers"},
      paramLabel = "N",
      defaultValue = "4",
      description = "connections served at once (default: ${DEFAULT-VALUE})")
  int workers;

  @Override
  public void run() {
    ProxySpec proxySpec = ProxySpec.parse(localPort + ":" + host + ":" + port);
    Path allowlist = env.resolve(config == null ? VsockProxy.DEFAULT_CONFIG_FILE : config);
    VsockTransport transport = transport();
    try (Foreground foreground = new Foreground();
        VsockProxy proxy =
            VsockProxy.builder(transport)
                .listenPort(proxySpec.vsockPort())
                .destination(proxySpec.host(), proxySpec.port())
                .allowlistFile(allowlist)
                .workers(workers)
                .build()) {
      proxy.start();
      spec.commandLine()
          .getOut()
          .printf(
              "vsock-proxy %s -> %s:%d (allowlist %s)%n",
              proxy.localAddress(), host, port, allowlist);
      spec.commandLine().getOut().flush();
      foreground.await();
    } catch (ProxyAllowlistException e) {
      throw new CliFailure(e.getMessage());
    } catch (IOException e) {
      throw new CliFailure("vsock-proxy: " + e.getMessage());
    } finally {
      if (transport instanceof VsockNetwork network) {
        closeQuietly(network);
      }
    }
  }

  /**
   * AF_VSOCK on a Nitro instance; otherwise the emulated network of the mapping file named by
   * {@code NITRO_VSOCK_MAP}, or else the one {@code nitro-emu start} writes, so the proxy joins
   * that stack.
   */
  private VsockTransport transport() {
    try {
      NitroSettings settings = env.settings();
      NitroMode mode = settings.mode();
      if (mode == NitroMode.REAL) {
        return VsockTransport.forMode(mode);
      }
      Path mapping =
          settings
              .get(VsockNetwork.MAPPING_FILE_PROPERTY)
              .map(env::resolve)
              .orElse(env.home().resolve("state").resolve("vsock-map.json"));
      return VsockNetwork.builder().mappingFile(mapping).build();
    } catch (IOException | RuntimeException e) {
      throw new CliFailure("vsock-proxy: " + e.getMessage());
    }
  }
}
