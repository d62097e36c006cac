package dev.nitroemu.junit.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.ConnectBridge;
import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ConnectBridgeTest {

  private static final String HOST = "kms.eu-west-1.amazonaws.com";
  private static final VsockAddress PROXY = VsockAddress.of(VsockAddress.CID_PARENT, 8000);
  private static final int PATIENCE_MILLIS = 20_000;
  private static final ConnectionLimits QUICK =
      ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(300));

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  @Test
  void connectToTheAllowedHostTunnelsToTheVsockProxy() throws Exception {
    try (VsockListener proxy = network.listen(PROXY);
        ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> echoOnce(proxy));

      send(client, "CONNECT " + HOST + ":443 HTTP/1.1\r\nHost: " + HOST + ":443\r\n\r\n");
      assertThat(readHead(client.getInputStream())).startsWith("HTTP/1.1 200 ");
      client.getOutputStream().write("tls bytes".getBytes(US_ASCII));
      client.shutdownOutput();

      assertThat(new String(client.getInputStream().readAllBytes(), US_ASCII))
          .isEqualTo("tls bytes");
      echo.join();
    }
  }

  @Test
  void hostNameMatchIgnoresCase() throws Exception {
    try (VsockListener proxy = network.listen(PROXY);
        ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      send(client, "CONNECT KMS.EU-WEST-1.AMAZONAWS.COM:443 HTTP/1.1\r\n\r\n");

      assertThat(readHead(client.getInputStream())).startsWith("HTTP/1.1 200 ");
    }
  }

  @Test
  void otherHostsAreForbidden() throws Exception {
    try (VsockListener proxy = network.listen(PROXY);
        ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      send(client, "CONNECT kms.eu-west-1.amazonaws.com.evil.example:443 HTTP/1.1\r\n\r\n");

      assertThat(new String(client.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 403 Forbidden");
    }
  }

  @Test
  void otherPortsAreForbidden() throws Exception {
    try (ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      send(client, "CONNECT " + HOST + ":80 HTTP/1.1\r\n\r\n");

      assertThat(new String(client.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 403 ");
    }
  }

  @Test
  void plainHttpRequestsAreRefused() throws Exception {
    try (ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      send(client, "GET http://" + HOST + "/ HTTP/1.1\r\n\r\n");

      assertThat(new String(client.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 400 ");
    }
  }

  @Test
  void oversizedRequestHeadIsRefused() throws Exception {
    try (ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      send(
          client,
          "CONNECT "
              + HOST
              + ":443 HTTP/1.1\r\nX: "
              + "a".repeat(ConnectBridge.MAX_HEAD_BYTES)
              + "\r\n\r\n");

      assertThat(new String(client.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 400 ");
    }
  }

  @Test
  void missingVsockProxyIsABadGateway() throws Exception {
    try (ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
        Socket client = connectTo(bridge)) {
      send(client, "CONNECT " + HOST + ":443 HTTP/1.1\r\n\r\n");

      assertThat(new String(client.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 502 ");
    }
  }

  @Test
  void closeEndsOpenTunnelsAndStopsListening() throws Exception {
    try (VsockListener proxy = network.listen(PROXY)) {
      ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST);
      int port = bridge.address().getPort();
      try (Socket client = connectTo(bridge)) {
        send(client, "CONNECT " + HOST + ":443 HTTP/1.1\r\n\r\n");
        assertThat(readHead(client.getInputStream())).startsWith("HTTP/1.1 200 ");
        try (VsockConnection upstream = proxy.accept()) {
          bridge.close();

          assertThat(upstream.inputStream().read()).isEqualTo(-1);
          assertThat(readOrReset(client.getInputStream())).isEqualTo(-1);
        }
      }
      assertNoTunnelAt(port);
    }
  }

  /** A full bridge answers a new client with 503 at once instead of leaving it unanswered. */
  @Test
  void aFullBridgeAnswers503() throws Exception {
    try (VsockListener proxy = network.listen(PROXY);
        ConnectBridge bridge =
            ConnectBridge.start(
                network, PROXY, HOST, ConnectionLimits.DEFAULT.withMaxConnections(1));
        Socket tunnelled = connectTo(bridge)) {
      send(tunnelled, "CONNECT " + HOST + ":443 HTTP/1.1\r\n\r\n");
      assertThat(readHead(tunnelled.getInputStream())).startsWith("HTTP/1.1 200 ");

      try (Socket newcomer = connectTo(bridge)) {
        newcomer.setSoTimeout(PATIENCE_MILLIS);
        assertThat(new String(newcomer.getInputStream().readAllBytes(), US_ASCII))
            .startsWith("HTTP/1.1 503 Service Unavailable");
      }
    }
  }

  /**
   * A client that never finishes its CONNECT head used to hold a bridge thread for ever (the old
   * bridge read with no timeout, so the 20 s read timeout below would fail this test); now it gets
   * 408 once the idle timeout has passed.
   */
  @Test
  void aClientThatSendsNoCompleteHeadGets408() throws Exception {
    try (ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST, QUICK);
        Socket slowloris = connectTo(bridge)) {
      slowloris.setSoTimeout(PATIENCE_MILLIS);
      send(slowloris, "CONNECT " + HOST);

      assertThat(new String(slowloris.getInputStream().readAllBytes(), US_ASCII))
          .startsWith("HTTP/1.1 408 Request Timeout");
    }
  }

  @Test
  void aTunnelSilentBothWaysIsClosedAfterTheIdleTimeout() throws Exception {
    try (VsockListener proxy = network.listen(PROXY);
        ConnectBridge bridge = ConnectBridge.start(network, PROXY, HOST, QUICK);
        Socket client = connectTo(bridge)) {
      client.setSoTimeout(PATIENCE_MILLIS);
      send(client, "CONNECT " + HOST + ":443 HTTP/1.1\r\n\r\n");
      assertThat(readHead(client.getInputStream())).startsWith("HTTP/1.1 200 ");
      try (VsockConnection upstream = proxy.accept()) {
        upstream.readTimeout(Duration.ofMillis(PATIENCE_MILLIS));

        assertThat(readOrReset(client.getInputStream()))
            .as("closed by the bridge, not by our timeout")
            .isEqualTo(-1);
        assertThat(readOrReset(upstream.inputStream())).isEqualTo(-1);
      }
    }
  }

  /**
   * Nothing at {@code port} tunnels for us any more (refused, or a stranger that does not answer
   * 200).
   */
  private static void assertNoTunnelAt(int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      socket.setSoTimeout(2000);
      send(socket, "CONNECT " + HOST + ":443 HTTP/1.1\r\n\r\n");
      assertThat(readHead(socket.getInputStream())).doesNotStartWith("HTTP/1.1 200");
    } catch (ConnectException | SocketTimeoutException notUs) {
      // Refused, or someone else's silent port.
    }
  }

  private static Socket connectTo(ConnectBridge bridge) throws IOException {
    return new Socket(bridge.address().getAddress(), bridge.address().getPort());
  }

  private static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(US_ASCII));
    socket.getOutputStream().flush();
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
    }
    return head.toString(US_ASCII);
  }

  private static int readOrReset(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }

  private static void echoOnce(VsockListener listener) {
    try (VsockConnection connection = listener.accept()) {
      byte[] all = connection.inputStream().readAllBytes();
      connection.outputStream().write(all);
      connection.shutdownOutput();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
