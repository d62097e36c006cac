package dev.nitroemu.bench;

import dev.nitroemu.enclave.StreamConnection;
import dev.nitroemu.enclave.StreamPump;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/** {@link RelayCopyComparison}'s relays that run the project's own code: the pump, the proxy. */
final class PumpRelays {

  private PumpRelays() {}

  /**
   * A one-connection relay to the sink through the real {@link StreamPump}: sockets made by
   * channels (its channel path) or plain ones (its stream path).
   */
  static final class Pump implements RelayCopyComparison.AnyRelay {
    private final ServerSocket server;
    private final Thread thread;

    Pump(int sinkPort, StreamPump pump, boolean channels) throws IOException {
      server = channels ? ServerSocketChannel.open().socket() : new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      thread =
          new Thread(
              () -> {
                try {
                  Socket client = server.accept();
                  Socket upstream = channels ? SocketChannel.open().socket() : new Socket();
                  upstream.connect(
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), sinkPort));
                  client.setTcpNoDelay(true);
                  upstream.setTcpNoDelay(true);
                  StreamConnection a = StreamConnection.of(client);
                  StreamConnection b = StreamConnection.of(upstream);
                  if (a.channel().isPresent() != channels) {
                    throw new IllegalStateException("expected channels: " + channels);
                  }
                  pump.join(a, b); // closes both
                } catch (IOException e) {
                  // the sender sees the broken transfer
                }
              },
              "pump-relay");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The real vsock-proxy in front of the sink, reached through its emulated vsock port's TCP. */
  static final class Proxy implements RelayCopyComparison.AnyRelay {
    private final VsockNetwork network = VsockNetwork.create();
    private final VsockProxy proxy;

    Proxy(int sinkPort) throws IOException {
      proxy =
          VsockProxy.builder(network)
              .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
              .destination("127.0.0.1", sinkPort)
              .allowlist(ProxyAllowlist.allowing("127.0.0.1", sinkPort))
              .build()
              .start();
    }

    @Override
    public int port() throws IOException {
      return network.tcpEndpoint(proxy.localAddress()).orElseThrow().getPort();
    }

    @Override
    public void close() throws IOException {
      proxy.close();
      network.close();
    }
  }
}
