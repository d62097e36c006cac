package dev.nitroemu.vsock;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.TcpEchoServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockFault;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.VsockNetworkTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
@SuppressWarnings(
    "try") // Resources opened only for their lifetime, and close() called to test idempotency.
class VsockProxyTest {

  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  private VsockProxy proxyTo(int tcpPort, int workers) throws IOException {
    return VsockProxy.builder(network)
        .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
        .destination("127.0.0.1", tcpPort)
        .allowlist(ProxyAllowlist.allowing("127.0.0.1", tcpPort))
        .workers(workers)
        .build()
        .start();
  }

  @Test
  void forwardsBytesToTheTcpDestinationAndBack() throws Exception {
    try (TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy = proxyTo(destination.port(), 4);
        VsockConnection enclave = network.connect(proxy.localAddress())) {
      assertThat(VsockNetworkTest.exchange(enclave, "GET / HTTP/1.1\r\n\r\n".getBytes(UTF_8)))
          .asString(UTF_8)
          .isEqualTo("GET / HTTP/1.1\r\n\r\n");
      assertThat(proxy.connectionsServed()).isEqualTo(1);
    }
  }

  @Test
  void listensOnTheParentCidByDefaultLikeAwsVsockProxy() throws Exception {
    try (TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy =
            VsockProxy.builder(network)
                .listenPort(8000)
                .destination("127.0.0.1", destination.port())
                .allowlist(ProxyAllowlist.allowing("127.0.0.1", destination.port()))
                .build()
                .start()) {
      assertThat(proxy.localAddress()).isEqualTo(VsockAddress.of(VsockAddress.CID_PARENT, 8000));
      assertThat(network.tcpEndpoint(VsockAddress.of(3, 8000))).isPresent();
    }
  }

  @Test
  void servesOneHundredConcurrentConnections() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(100);
    try (TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy = proxyTo(destination.port(), 100)) {
      CountDownLatch allConnected = new CountDownLatch(100);
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String message = "request-" + i;
        replies.add(
            clients.submit(
                () -> {
                  try (VsockConnection connection = network.connect(proxy.localAddress())) {
                    allConnected.countDown();
                    allConnected.await();
                    return new String(
                        VsockNetworkTest.exchange(connection, message.getBytes(UTF_8)), UTF_8);
                  }
                }));
      }
      for (int i = 0; i < 100; i++) {
        assertThat(replies.get(i).get(30, TimeUnit.SECONDS)).isEqualTo("request-" + i);
      }
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void halfCloseFromTheEnclaveReachesTheDestinationWhichStillReplies() throws Exception {
    TcpEchoServer.SocketHandler countThenReply =
        socket -> {
          long count = socket.getInputStream().transferTo(OutputStream.nullOutputStream());
          socket.getOutputStream().write(("received " + count).getBytes(UTF_8));
          socket.shutdownOutput();
        };
    try (TcpEchoServer destination = new TcpEchoServer(countThenReply);
        VsockProxy proxy = proxyTo(destination.port(), 4);
        VsockConnection enclave = network.connect(proxy.localAddress())) {
      assertThat(VsockNetworkTest.exchange(enclave, new byte[12345]))
          .asString(UTF_8)
          .isEqualTo("received 12345");
    }
  }

  @Test
  void halfCloseFromTheDestinationReachesTheEnclaveWhichStillSends() throws Exception {
    CompletableFuture<String> receivedAfterHalfClose = new CompletableFuture<>();
    TcpEchoServer.SocketHandler greetThenListen =
        socket -> {
          socket.getOutputStream().write("hello".getBytes(UTF_8));
          socket.shutdownOutput();
          receivedAfterHalfClose.complete(
              new String(socket.getInputStream().readAllBytes(), UTF_8));
        };
    try (TcpEchoServer destination = new TcpEchoServer(greetThenListen);
        VsockProxy proxy = proxyTo(destination.port(), 4);
        VsockConnection enclave = network.connect(proxy.localAddress())) {
      assertThat(enclave.inputStream().readAllBytes()).asString(UTF_8).isEqualTo("hello");
      enclave.outputStream().write("still talking".getBytes(UTF_8));
      enclave.shutdownOutput();
      assertThat(receivedAfterHalfClose.get(10, TimeUnit.SECONDS)).isEqualTo("still talking");
    }
  }

  @Test
  void refusesToStartWhenTheDestinationIsNotAllowlisted() throws Exception {
    VsockProxy proxy =
        VsockProxy.builder(network)
            .listenPort(8001)
            .destination("127.0.0.1", 9443)
            .allowlist(ProxyAllowlist.allowing("127.0.0.1", 443))
            .build();
    assertThatThrownBy(proxy::start)
        .isInstanceOf(ProxyAllowlistException.class)
        .hasMessage("Error at checking the allowlist: The given address and port are not allowed");
    assertThat(network.tcpEndpoint(VsockAddress.of(3, 8001))).isEmpty();
    assertThat(network.endpoints()).isEmpty();
    proxy.close();
  }

  @Test
  void readsTheAllowlistFromAnAwsFormatFile(@TempDir Path dir) throws Exception {
    try (TcpEchoServer destination = new TcpEchoServer()) {
      Path config = dir.resolve("vsock-proxy.yaml");
      Files.writeString(
          config, "allowlist:\n- {address: localhost, port: " + destination.port() + "}\n");
      try (VsockProxy proxy =
              VsockProxy.builder(network)
                  .listenPort(8002)
                  .destination("127.0.0.1", destination.port())
                  .allowlistFile(config)
                  .build()
                  .start();
          VsockConnection enclave = network.connect(VsockAddress.of(3, 8002))) {
        assertThat(VsockNetworkTest.exchange(enclave, "x".getBytes(UTF_8)))
            .asString(UTF_8)
            .isEqualTo("x");
      }
    }
  }

  @Test
  void withoutAConfigTheDefaultFileIsUsedAndItsAbsenceStopsTheStart() throws Exception {
    assumeFalse(
        Files.exists(Path.of(VsockProxy.DEFAULT_CONFIG_FILE)),
        "this machine has a real vsock-proxy config");
    VsockProxy proxy =
        VsockProxy.builder(network).listenPort(8003).destination("127.0.0.1", 443).build();
    assertThatThrownBy(proxy::start)
        .hasMessage("Error at checking the allowlist: Could not open the file");
  }

  @Test
  void transfers64MiBBothWaysWithoutLoss() throws Exception {
    try (TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy = proxyTo(destination.port(), 4);
        VsockConnection enclave = network.connect(proxy.localAddress())) {
      assertEchoes64MiBIntact(enclave);
    }
  }

  /** The hybrid vsock side (a Unix socket) and the TCP side both offer channels to the pump. */
  @Test
  void transfers64MiBBothWaysWithoutLossOverHybridVsock(@TempDir Path dir) throws Exception {
    try (HybridVsockTransport parent = HybridVsockTransport.parent(dir, "vsock", 21);
        HybridVsockTransport enclaveSide = HybridVsockTransport.enclave(dir, "vsock", 21);
        TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy =
            VsockProxy.builder(parent)
                .listenPort(8000)
                .destination("127.0.0.1", destination.port())
                .allowlist(ProxyAllowlist.allowing("127.0.0.1", destination.port()))
                .build()
                .start();
        VsockConnection enclave =
            enclaveSide.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8000), PATIENCE)) {
      assertEchoes64MiBIntact(enclave);
    }
  }

  /** Sends 64 MiB of random bytes to an echo while reading them back; the digests must match. */
  private static void assertEchoes64MiBIntact(VsockConnection enclave) throws Exception {
    int size = 64 << 20;
    MessageDigest sent = MessageDigest.getInstance("SHA-256");
    CompletableFuture<byte[]> receivedDigest =
        CompletableFuture.supplyAsync(() -> digestAll(enclave));
    Random random = new Random(42);
    byte[] chunk = new byte[64 * 1024];
    OutputStream out = enclave.outputStream();
    for (int written = 0; written < size; written += chunk.length) {
      random.nextBytes(chunk);
      sent.update(chunk);
      out.write(chunk);
    }
    enclave.shutdownOutput();
    assertThat(receivedDigest.get(50, TimeUnit.SECONDS)).isEqualTo(sent.digest());
  }

  private static byte[] digestAll(VsockConnection connection) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      InputStream in = connection.inputStream();
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        digest.update(buffer, 0, n);
        total += n;
      }
      assertThat(total).isEqualTo(64L << 20);
      return digest.digest();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The proxy's two sockets offer channels, so this runs StreamPump's channel path. */
  @Test
  void aResetFromTheDestinationClosesTheEnclaveSide() throws Exception {
    TcpEchoServer.SocketHandler echoOneByteThenReset =
        socket -> {
          socket.getOutputStream().write(socket.getInputStream().read());
          socket.setSoLinger(true, 0);
          socket.close();
        };
    try (TcpEchoServer destination = new TcpEchoServer(echoOneByteThenReset);
        VsockProxy proxy = proxyTo(destination.port(), 4);
        VsockConnection enclave = network.connect(proxy.localAddress())) {
      enclave.readTimeout(PATIENCE);
      enclave.outputStream().write('r');
      assertThat(enclave.inputStream().read()).isEqualTo('r');
      assertThat(readOrReset(enclave)).as("closed by the proxy").isEqualTo(-1);
      awaitActiveConnections(proxy, 0);
    }
  }

  @Test
  void aResetOnTheEnclaveSideClosesTheDestinationSide() throws Exception {
    CompletableFuture<Long> destinationReadUntilClosed = new CompletableFuture<>();
    TcpEchoServer.SocketHandler countUntilClosed =
        socket -> {
          long count = 0;
          try {
            socket.setSoTimeout((int) PATIENCE.toMillis());
            byte[] buffer = new byte[8192];
            for (int n; (n = socket.getInputStream().read(buffer)) >= 0; ) {
              count += n;
            }
          } catch (java.net.SocketException reset) {
            // Also a close: what matters is that the read ended before the timeout.
          }
          destinationReadUntilClosed.complete(count);
        };
    try (TcpEchoServer destination = new TcpEchoServer(countUntilClosed);
        VsockProxy proxy = proxyTo(destination.port(), 4)) {
      network.injectFault(proxy.localAddress(), VsockFault.resetAfter(1000));
      try (VsockConnection enclave = network.connect(proxy.localAddress())) {
        assertThatThrownBy(() -> enclave.outputStream().write(new byte[4000]))
            .isInstanceOf(IOException.class);
      }
      assertThat(destinationReadUntilClosed.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
          .isBetween(0L, 1000L);
      awaitActiveConnections(proxy, 0);
    }
  }

  @Test
  void destinationRefusingTheConnectionClosesTheEnclaveSide() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    try (VsockProxy proxy = proxyTo(closedPort, 4);
        VsockConnection enclave = network.connect(proxy.localAddress())) {
      assertThat(enclave.inputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void closeEndsForwardedConnectionsAndIsIdempotent() throws Exception {
    CountDownLatch destinationConnected = new CountDownLatch(1);
    TcpEchoServer.SocketHandler hold =
        socket -> {
          destinationConnected.countDown();
          socket.getInputStream().transferTo(OutputStream.nullOutputStream());
        };
    try (TcpEchoServer destination = new TcpEchoServer(hold)) {
      VsockProxy proxy = proxyTo(destination.port(), 4);
      VsockConnection enclave = network.connect(proxy.localAddress());
      assertThat(destinationConnected.await(10, TimeUnit.SECONDS)).isTrue();
      assertThat(proxy.activeConnections()).isEqualTo(1);
      VsockAddress address = proxy.localAddress();
      proxy.close();
      proxy.close();
      assertThat(enclave.inputStream().read()).isEqualTo(-1);
      assertThatThrownBy(() -> network.connect(address))
          .isInstanceOf(java.net.ConnectException.class);
      assertThatThrownBy(proxy::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("close()");
      enclave.close();
    }
  }

  @Test
  void connectionsBeyondTheWorkerCountWaitForAFreeWorker() throws Exception {
    try (TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy = proxyTo(destination.port(), 1);
        VsockConnection first = network.connect(proxy.localAddress());
        VsockConnection second = network.connect(proxy.localAddress())) {
      first.outputStream().write(1);
      assertThat(first.inputStream().read()).isEqualTo(1);
      second.outputStream().write(2);
      CompletableFuture<Integer> secondReply =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return second.inputStream().read();
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      assertThatThrownBy(() -> secondReply.get(300, TimeUnit.MILLISECONDS))
          .isInstanceOf(TimeoutException.class);
      first.close();
      assertThat(secondReply.get(10, TimeUnit.SECONDS)).isEqualTo(2);
    }
  }

  /**
   * Issue 9: an SDK's pooled keep-alive connections held every worker (AWS's default is 4) and the
   * KMS mock never closes idle connections, so every other enclave client waited for ever. On the
   * old code (no idle timeout) the third client below never gets its reply and its 20 s read
   * timeout fails the test; now the idle connections are closed and the waiting client is served.
   */
  @Test
  void idleKeepAliveConnectionsCannotStarveOtherClients() throws Exception {
    try (TcpEchoServer destination = new TcpEchoServer();
        VsockProxy proxy =
            VsockProxy.builder(network)
                .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
                .destination("127.0.0.1", destination.port())
                .allowlist(ProxyAllowlist.allowing("127.0.0.1", destination.port()))
                .workers(2)
                .idleTimeout(Duration.ofMillis(500))
                .build()
                .start();
        VsockConnection pooled = network.connect(proxy.localAddress());
        VsockConnection alsoPooled = network.connect(proxy.localAddress())) {
      for (VsockConnection keepAlive :
          List.of(pooled, alsoPooled)) { // One request each, then kept open.
        keepAlive.readTimeout(PATIENCE);
        keepAlive.outputStream().write('k');
        assertThat(keepAlive.inputStream().read()).isEqualTo('k');
      }

      try (VsockConnection other = network.connect(proxy.localAddress())) {
        other.readTimeout(PATIENCE);
        other.outputStream().write('o');
        assertThat(other.inputStream().read()).isEqualTo('o');
      }
      assertThat(readOrReset(pooled)).as("closed as idle by the proxy").isEqualTo(-1);
    }
  }

  @Test
  void connectionsBeyondTheWaitingPlacesAreClosedAtOnce() throws Exception {
    CountDownLatch destinationConnected = new CountDownLatch(1);
    TcpEchoServer.SocketHandler hold =
        socket -> {
          destinationConnected.countDown();
          socket.getInputStream().transferTo(OutputStream.nullOutputStream());
        };
    try (TcpEchoServer destination = new TcpEchoServer(hold);
        VsockProxy proxy =
            VsockProxy.builder(network)
                .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
                .destination("127.0.0.1", destination.port())
                .allowlist(ProxyAllowlist.allowing("127.0.0.1", destination.port()))
                .workers(1)
                .maxWaiting(1)
                .build()
                .start();
        VsockConnection forwarded = network.connect(proxy.localAddress());
        VsockConnection waiting = network.connect(proxy.localAddress())) {
      assertThat(destinationConnected.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
      awaitActiveConnections(proxy, 2);

      try (VsockConnection refused = network.connect(proxy.localAddress())) {
        refused.readTimeout(PATIENCE);
        assertThat(readOrReset(refused))
            .as("closed by the proxy, not by our read timeout")
            .isEqualTo(-1);
      }
      assertThat(proxy.connectionsRefused()).isEqualTo(1);
      assertThat(proxy.activeConnections()).isEqualTo(2);
    }
  }

  private static void awaitActiveConnections(VsockProxy proxy, int expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (proxy.activeConnections() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(proxy.activeConnections()).isEqualTo(expected);
  }

  private static int readOrReset(VsockConnection connection) throws IOException {
    try {
      return connection.inputStream().read();
    } catch (java.net.SocketException reset) {
      return -1;
    }
  }

  @Test
  void misuseFailsWithMessagesSayingWhatToDo() throws Exception {
    VsockProxy proxy =
        VsockProxy.builder(network)
            .listenPort(8004)
            .destination("127.0.0.1", 80)
            .allowlist(ProxyAllowlist.allowing("127.0.0.1", 80))
            .build();
    assertThatThrownBy(proxy::localAddress)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
    assertThatThrownBy(() -> VsockProxy.builder(network).destination("h", 1).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("listenPort");
    assertThatThrownBy(() -> VsockProxy.builder(network).workers(0))
        .hasMessage("Number of workers must not be 0");
    assertThatThrownBy(() -> VsockProxy.builder(network).idleTimeout(Duration.ZERO))
        .hasMessage("idle timeout must be positive, was PT0S");
    assertThatThrownBy(() -> VsockProxy.builder(network).maxWaiting(-1))
        .hasMessage("max waiting must be in 0..8192, was -1");
    proxy.start();
    assertThatThrownBy(proxy::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("start() already called");
    proxy.close();
  }
}
