package dev.nitroemu.stack.internal;

import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.stack.ServiceEndpoint;
import dev.nitroemu.stack.StackServices;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the parent-side (CID 3) vsock services {@link StackServices} asks for: the NSM device
 * protocol, the vsock-proxy to the KMS mock and the further vsock-proxies, each registered with the
 * closer as soon as it runs.
 */
public final class VsockServices {
  private static final String LOOPBACK = "127.0.0.1";

  private VsockServices() {}

  /**
   * Starts the services on {@code network} and describes them, NSM first.
   *
   * @throws dev.nitroemu.vsock.ProxyAllowlistException if a proxy destination is not in the
   *     allowlist
   * @throws java.net.BindException if a vsock address is already in use
   */
  public static List<ServiceEndpoint> start(
      Nsm nsm, VsockNetwork network, int kmsPort, StackServices services, Closer closer)
      throws IOException {
    List<ServiceEndpoint> started = new ArrayList<>();
    if (services.nsmPort() != null) {
      NsmVsockServer server =
          closer.register(
              NsmVsockServer.start(
                  nsm, network, VsockAddress.of(VsockAddress.CID_PARENT, services.nsmPort())));
      started.add(endpoint(ServiceEndpoint.NSM, network, server.localAddress(), null));
    }
    if (services.kmsProxyPort() != null) {
      VsockProxy proxy =
          closer.register(
              VsockProxy.builder(network)
                  .listenPort(services.kmsProxyPort())
                  .destination(LOOPBACK, kmsPort)
                  .allowlist(ProxyAllowlist.allowing(LOOPBACK, kmsPort))
                  .workers(services.kmsProxyWorkers())
                  .build());
      proxy.start();
      started.add(
          endpoint(
              ServiceEndpoint.KMS_PROXY, network, proxy.localAddress(), LOOPBACK + ":" + kmsPort));
    }
    ProxyAllowlist allowed = null;
    for (StackServices.ProxyRoute route : services.proxies()) {
      allowed =
          allowed == null
              ? ProxyAllowlist.allowing(route.host(), route.port())
              : allowed.and(route.host(), route.port());
    }
    for (StackServices.ProxyRoute route : services.proxies()) {
      VsockProxy.Builder builder =
          VsockProxy.builder(network)
              .listenPort(route.vsockPort())
              .destination(route.host(), route.port());
      if (services.proxyAllowlistFile() != null) {
        builder.allowlistFile(services.proxyAllowlistFile());
      } else {
        builder.allowlist(allowed);
      }
      VsockProxy proxy = closer.register(builder.build());
      proxy.start();
      started.add(
          endpoint(
              ServiceEndpoint.PROXY_PREFIX + proxy.localAddress().port(),
              network,
              proxy.localAddress(),
              route.host() + ":" + route.port()));
    }
    return started;
  }

  private static ServiceEndpoint endpoint(
      String name, VsockNetwork network, VsockAddress address, String destination)
      throws IOException {
    InetSocketAddress tcp =
        network
            .tcpEndpoint(address)
            .orElseThrow(
                () ->
                    new IOException(
                        "no TCP endpoint for " + address + " right after listening on it"));
    return new ServiceEndpoint(name, address.toString(), tcp, destination);
  }
}
