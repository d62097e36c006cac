package dev.nitroemu.stack;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;

/**
 * The parent side (CID 3) of one enclave's hybrid vsock directory: the NSM service (default {@code
 * 3:9797}), a vsock-proxy (default {@code 3:8000}) to an environment's KMS and the boot heartbeat
 * ({@link HeartbeatServer}, {@code 3:9000}), all on the parent transport, closed together; what an
 * enclave container or {@code nitro-emu start --vsock-dir} serves.
 */
public final class HybridVsockServices implements AutoCloseable {

  private final HybridVsockTransport transport;
  private final NsmVsockServer nsmServer;
  private final VsockProxy kmsProxy;
  private final HeartbeatServer heartbeat;

  private HybridVsockServices(
      HybridVsockTransport transport,
      NsmVsockServer nsmServer,
      VsockProxy kmsProxy,
      HeartbeatServer heartbeat) {
    this.transport = transport;
    this.nsmServer = nsmServer;
    this.kmsProxy = kmsProxy;
    this.heartbeat = heartbeat;
  }

  /**
   * Serves {@code environment}'s NSM and KMS to an enclave of CID {@code enclaveCid} on the hybrid
   * vsock directory {@code directory} (base name {@link HybridVsockTransport#DEFAULT_BASE_NAME}),
   * at the default ports; what a test or tool that runs an enclave program next to an in-JVM
   * environment needs.
   */
  public static HybridVsockServices serve(
      EnclaveEnvironment environment, Path directory, long enclaveCid) throws IOException {
    return start(
        HybridVsockTransport.parent(directory, HybridVsockTransport.DEFAULT_BASE_NAME, enclaveCid),
        environment.nsm(),
        environment.info().kmsEndpoint());
  }

  /**
   * Starts the services on {@code transport} (which this object then owns): {@code nsm} at {@code
   * 3:9797}, a vsock-proxy at {@code 3:8000} forwarding to the KMS endpoint {@code kms}, and the
   * heartbeat at {@code 3:9000}.
   */
  public static HybridVsockServices start(HybridVsockTransport transport, Nsm nsm, URI kms)
      throws IOException {
    return start(
        transport,
        nsm,
        kms,
        RemoteNsm.DEFAULT_ADDRESS.port(),
        NitroSettings.DEFAULT_KMS_PROXY_PORT,
        StackServices.DEFAULT_KMS_PROXY_WORKERS);
  }

  /**
   * Starts the services on {@code transport} (which this object then owns): {@code nsm} at {@code
   * 3:nsmPort}, a vsock-proxy with {@code kmsProxyWorkers} workers at {@code 3:kmsProxyPort}
   * forwarding to the KMS endpoint {@code kms}, and the heartbeat at {@code 3:9000}.
   */
  public static HybridVsockServices start(
      HybridVsockTransport transport,
      Nsm nsm,
      URI kms,
      long nsmPort,
      long kmsProxyPort,
      int kmsProxyWorkers)
      throws IOException {
    NsmVsockServer nsmServer = null;
    HeartbeatServer heartbeat = null;
    try {
      nsmServer =
          NsmVsockServer.start(nsm, transport, VsockAddress.of(VsockAddress.CID_PARENT, nsmPort));
      int kmsPort = kms.getPort() > 0 ? kms.getPort() : "https".equals(kms.getScheme()) ? 443 : 80;
      VsockProxy proxy =
          VsockProxy.builder(transport)
              .listenPort(kmsProxyPort)
              .destination(kms.getHost(), kmsPort)
              .allowlist(ProxyAllowlist.allowing(kms.getHost(), kmsPort))
              .workers(kmsProxyWorkers)
              .build();
      try {
        proxy.start();
        heartbeat = HeartbeatServer.start(transport);
      } catch (IOException | RuntimeException e) {
        Closeables.closeAfter(proxy, e);
        throw e;
      }
      return new HybridVsockServices(transport, nsmServer, proxy, heartbeat);
    } catch (IOException | RuntimeException e) {
      if (nsmServer != null) {
        Closeables.closeAfter(nsmServer, e);
      }
      Closeables.closeAfter(transport, e);
      throw e;
    }
  }

  /**
   * The parent transport: listen on {@code 3:P} for the enclave, connect to {@code (cid, P)} in it.
   */
  public HybridVsockTransport transport() {
    return transport;
  }

  /** Where the KMS vsock-proxy listens. */
  public VsockAddress kmsProxyAddress() {
    return kmsProxy.localAddress();
  }

  /** Heartbeats (0xB7 on {@code 3:9000}) answered since start. */
  public long heartbeats() {
    return heartbeat.beats();
  }

  /** Closes the services and the transport (removing their socket files); idempotent. */
  @Override
  public void close() {
    heartbeat.close();
    Closeables.closeQuietly(kmsProxy);
    Closeables.closeQuietly(nsmServer);
    transport.close();
  }
}
