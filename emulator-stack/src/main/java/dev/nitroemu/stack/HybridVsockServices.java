package dev.nitroemu.container.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.nsm.NsmVsockServer;
import dev.nitroemu.stack.StackServices;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.net.URI;

/**
 * The parent side (CID 3) of one enclave container's hybrid vsock directory: the NSM service on
 * {@code 3:9797} and a vsock-proxy on {@code 3:8000} to the environment's KMS, both on the parent
 * transport, closed together.
 */
public final class ParentServices implements AutoCloseable {

  private final HybridVsockTransport transport;
  private final NsmVsockServer nsmServer;
  private final VsockProxy kmsProxy;

  private ParentServices(HybridVsockTransport transport, NsmVsockServer nsmServer, VsockProxy kmsProxy) {
    this.transport = transport;
    this.nsmServer = nsmServer;
    this.kmsProxy = kmsProxy;
  }

  /**
   * Starts the services on {@code transport} (which this object then owns): {@code nsm} at {@code
   * 3:9797} and a vsock-proxy at {@code 3:8000} forwarding to the KMS endpoint {@code kms}.
   */
  public static ParentServices start(HybridVsockTransport transport, Nsm nsm, URI kms) throws IOException {
    NsmVsockServer nsmServer = null;
    try {
      nsmServer = NsmVsockServer.start(nsm, transport, RemoteNsm.DEFAULT_ADDRESS);
      int kmsPort = kms.getPort() > 0 ? kms.getPort() : "https".equals(kms.getScheme()) ? 443 : 80;
      VsockProxy proxy = VsockProxy.builder(transport)
          .listenPort(NitroSettings.DEFAULT_KMS_PROXY_PORT)
          .destination(kms.getHost(), kmsPort)
          .allowlist(ProxyAllowlist.allowing(kms.getHost(), kmsPort))
          .workers(StackServices.DEFAULT_KMS_PROXY_WORKERS)
          .build();
      try {
        proxy.start();
      } catch (IOException | RuntimeException e) {
        Closeables.closeAfter(proxy, e);
        throw e;
      }
      return new ParentServices(transport, nsmServer, proxy);
    } catch (IOException | RuntimeException e) {
      if (nsmServer != null) {
        Closeables.closeAfter(nsmServer, e);
      }
      Closeables.closeAfter(transport, e);
      throw e;
    }
  }

  /** The parent transport: listen on {@code 3:P} for the enclave, connect to {@code (cid, P)} in it. */
  public HybridVsockTransport transport() {
    return transport;
  }

  /** Where the KMS vsock-proxy listens. */
  public VsockAddress kmsProxyAddress() {
    return kmsProxy.localAddress();
  }

  /** Closes the services and the transport (removing their socket files); idempotent. */
  @Override
  public void close() {
    Closeables.closeQuietly(kmsProxy);
    Closeables.closeQuietly(nsmServer);
    transport.close();
  }
}
