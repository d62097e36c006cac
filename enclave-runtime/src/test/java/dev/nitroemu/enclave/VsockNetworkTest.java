package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
@SuppressWarnings(
    "try") // Resources opened only for their lifetime, and close() called to test idempotency.
public class VsockNetworkTest {

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  /** Sends {@code data}, half-closes, and reads everything until the peer closes. */
  public static byte[] exchange(VsockConnection connection, byte[] data) throws IOException {
    connection.outputStream().write(data);
    connection.shutdownOutput();
    return connection.inputStream().readAllBytes();
  }

  @Test
  void echoesBytesThroughAnEmulatedConnection() throws Exception {
    try (EchoService echo = EchoService.on(network, VsockAddress.of(16, 5000));
        VsockConnection connection = network.connect(VsockAddress.of(16, 5000))) {
      assertThat(exchange(connection, "hello enclave".getBytes(UTF_8)))
          .asString(UTF_8)
          .isEqualTo("hello enclave");
    }
  }

  @Test
  void anInterruptedClientThreadKeepsItsConnection() throws Exception {
    // AF_VSOCK sockets ignore interrupts; so must the emulated client side, or a pooled connection
    // read by a thread that was interrupted (an executor's shutdownNow) would be closed under it.
    try (VsockListener listener = network.listen(VsockAddress.of(16, 5003));
        VsockConnection client = network.connect(VsockAddress.of(16, 5003));
        VsockConnection server = listener.accept()) {
      server.outputStream().write(new byte[] {1, 2});
      server.outputStream().flush();
      Thread.currentThread().interrupt();
      int first;
      try {
        first = client.inputStream().read();
      } finally {
        Thread.interrupted();
      }
      assertThat(first).isEqualTo(1);
      assertThat(client.isClosed()).isFalse();
      assertThat(client.inputStream().read()).isEqualTo(2);
    }
  }

  @Test
  void halfCloseLetsTheClientKeepReading() throws Exception {
    try (VsockListener listener = network.listen(VsockAddress.of(16, 5001));
        VsockConnection client = network.connect(VsockAddress.of(16, 5001));
        VsockConnection server = listener.accept()) {
      client.outputStream().write("request".getBytes(UTF_8));
      client.shutdownOutput();

      assertThat(server.inputStream().readAllBytes()).asString(UTF_8).isEqualTo("request");
      server.outputStream().write("reply after EOF".getBytes(UTF_8));
      server.shutdownOutput();

      assertThat(client.inputStream().readAllBytes()).asString(UTF_8).isEqualTo("reply after EOF");
    }
  }

  @Test
  void servesOneHundredConcurrentConnections() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(100);
    try (EchoService echo = EchoService.on(network, VsockAddress.of(16, 5002))) {
      CountDownLatch allConnected = new CountDownLatch(100);
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String message = "client-" + i;
        replies.add(
            clients.submit(
                () -> {
                  try (VsockConnection connection = network.connect(VsockAddress.of(16, 5002))) {
                    allConnected.countDown();
                    allConnected.await(); // All 100 are open at the same time before any sends.
                    return new String(exchange(connection, message.getBytes(UTF_8)), UTF_8);
                  }
                }));
      }
      for (int i = 0; i < 100; i++) {
        assertThat(replies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("client-" + i);
      }
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void severalCidsListenOnTheSamePortWithoutClashing() throws Exception {
    try (VsockListener enclave16 = network.listen(VsockAddress.of(16, 5000));
        VsockListener enclave17 = network.listen(VsockAddress.of(17, 5000));
        VsockListener parent = network.listen(VsockAddress.of(VsockAddress.CID_PARENT, 5000))) {
      for (VsockListener listener : List.of(enclave16, enclave17, parent)) {
        try (VsockConnection client = network.connect(listener.localAddress());
            VsockConnection server = listener.accept()) {
          assertThat(server.localAddress()).isEqualTo(listener.localAddress());
        }
      }
      assertThat(network.endpoints())
          .containsOnlyKeys(
              VsockAddress.of(3, 5000), VsockAddress.of(16, 5000), VsockAddress.of(17, 5000));
      assertThat(network.endpoints().values()).doesNotHaveDuplicates();
    }
  }

  @Test
  void connectingWhereNothingListensIsRefused() {
    assertThatThrownBy(() -> network.connect(VsockAddress.of(16, 5999)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("Connection refused")
        .hasMessageContaining("vsock://16:5999");
  }

  @Test
  void anyCidListenerReceivesConnectionsForEveryCidButASpecificListenerWins() throws Exception {
    try (VsockListener any = network.listen(VsockAddress.anyCid(6000));
        VsockListener specific = network.listen(VsockAddress.of(16, 6000))) {
      try (VsockConnection toOther = network.connect(VsockAddress.of(42, 6000));
          VsockConnection accepted = any.accept()) {
        assertThat(accepted.localAddress()).isEqualTo(VsockAddress.of(42, 6000));
        assertThat(accepted.remoteAddress()).isEqualTo(toOther.localAddress());
      }
      try (VsockConnection toSpecific = network.connect(VsockAddress.of(16, 6000));
          VsockConnection accepted = specific.accept()) {
        assertThat(accepted.localAddress()).isEqualTo(VsockAddress.of(16, 6000));
      }
    }
  }

  @Test
  void connectionsKnowBothVsockAddresses(@TempDir Path dir) throws Exception {
    Path map = dir.resolve("map.json");
    try (VsockNetwork parentSide = VsockNetwork.builder().mappingFile(map).build();
        VsockNetwork enclave = VsockNetwork.builder().mappingFile(map).localCid(16).build();
        VsockListener parent = parentSide.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8000));
        VsockConnection client = enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8000));
        VsockConnection server = parent.accept()) {
      assertThat(client.remoteAddress()).isEqualTo(VsockAddress.of(3, 8000));
      assertThat(client.localAddress().cid()).isEqualTo(16);
      assertThat(server.remoteAddress()).isEqualTo(client.localAddress());
      assertThat(server.localAddress()).isEqualTo(VsockAddress.of(3, 8000));
    }
  }

  @Test
  void listeningTwiceOnOneAddressFails() throws Exception {
    try (VsockListener first = network.listen(VsockAddress.of(16, 7000))) {
      assertThatThrownBy(() -> network.listen(VsockAddress.of(16, 7000)))
          .isInstanceOf(BindException.class)
          .hasMessageContaining("vsock://16:7000");
    }
    try (VsockListener again = network.listen(VsockAddress.of(16, 7000))) {
      assertThat(again.localAddress()).isEqualTo(VsockAddress.of(16, 7000));
    }
  }

  @Test
  void portAnyPicksDistinctFreePorts() throws Exception {
    try (VsockListener a = network.listen(VsockAddress.of(16, VsockAddress.PORT_ANY));
        VsockListener b = network.listen(VsockAddress.of(16, VsockAddress.PORT_ANY))) {
      assertThat(a.localAddress().port()).isGreaterThanOrEqualTo(1024);
      assertThat(b.localAddress()).isNotEqualTo(a.localAddress());
      assertThat(b.localAddress().cid()).isEqualTo(16);
    }
  }

  @Test
  void closedListenerRefusesNewConnections() throws Exception {
    VsockListener listener = network.listen(VsockAddress.of(16, 7100));
    listener.close();
    listener.close();
    assertThat(listener.isClosed()).isTrue();
    assertThatThrownBy(() -> network.connect(VsockAddress.of(16, 7100)))
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void closingAListenerWakesABlockedAccept() throws Exception {
    VsockListener listener = network.listen(VsockAddress.of(16, 7200));
    CompletableFuture<VsockConnection> accept =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return listener.accept();
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    listener.close();
    assertThatThrownBy(() -> accept.get(10, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(SocketException.class);
  }

  @Test
  void closingAConnectionWakesABlockedRead() throws Exception {
    try (VsockListener listener = network.listen(VsockAddress.of(16, 7300));
        VsockConnection client = network.connect(listener.localAddress());
        VsockConnection server = listener.accept()) {
      InputStream in = client.inputStream();
      CompletableFuture<Integer> read =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return in.read();
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      client.close();
      assertThatThrownBy(() -> read.get(10, TimeUnit.SECONDS))
          .hasRootCauseInstanceOf(SocketException.class);
      assertThat(client.isClosed()).isTrue();
      assertThat(server.inputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void closingAStreamClosesTheConnection() throws Exception {
    try (VsockListener listener = network.listen(VsockAddress.of(16, 7350));
        VsockConnection client = network.connect(listener.localAddress());
        VsockConnection server = listener.accept()) {
      client.outputStream().close();
      assertThat(client.isClosed()).isTrue();
      assertThat(server.inputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void closingTheNetworkClosesItsListenersAndIsIdempotent() throws Exception {
    VsockListener listener = network.listen(VsockAddress.of(16, 7400));
    network.close();
    network.close();
    assertThat(listener.isClosed()).isTrue();
    assertThat(network.endpoints()).isEmpty();
    assertThatThrownBy(() -> network.listen(VsockAddress.of(16, 7401)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void wildcardAddressesCannotBeConnectTargets() {
    assertThatThrownBy(() -> network.connect(VsockAddress.anyCid(5000)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> network.connect(VsockAddress.of(16, VsockAddress.PORT_ANY)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readTimeoutEndsAReadThatGetsNoData() throws Exception {
    try (VsockListener listener = network.listen(VsockAddress.of(16, 7500));
        VsockConnection client = network.connect(listener.localAddress());
        VsockConnection server = listener.accept()) {
      client.readTimeout(java.time.Duration.ofMillis(50));
      assertThatThrownBy(() -> client.inputStream().read())
          .isInstanceOf(java.net.SocketTimeoutException.class);
      server.outputStream().write(7);
      assertThat(client.inputStream().read()).isEqualTo(7);
    }
  }
}
