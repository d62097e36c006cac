package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parent and enclave sides of hybrid vsock meeting in a temporary directory of real Unix sockets.
 */
@Timeout(60)
class HybridVsockTransportTest {

  static final int ENCLAVE_CID = 16;

  @TempDir Path directory;
  HybridVsockTransport parent;
  HybridVsockTransport enclave;
  final ExecutorService threads = Executors.newCachedThreadPool();

  @BeforeEach
  void openBothSides() {
    parent = HybridVsockTransport.parent(directory, "vsock", ENCLAVE_CID);
    enclave = HybridVsockTransport.enclave(directory, "vsock", ENCLAVE_CID);
  }

  @AfterEach
  void closeBothSides() {
    parent.close();
    enclave.close();
    threads.shutdownNow();
  }

  /**
   * Sends {@code data} and half-closes on another thread while reading the peer's reply to its end.
   */
  byte[] exchange(VsockConnection connection, byte[] data) throws Exception {
    Future<?> sent =
        threads.submit(
            () -> {
              connection.outputStream().write(data);
              connection.shutdownOutput();
              return null;
            });
    byte[] reply = connection.inputStream().readAllBytes();
    sent.get(30, TimeUnit.SECONDS);
    return reply;
  }

  static byte[] randomBytes(int size) {
    byte[] bytes = new byte[size];
    new SplittableRandom(size).nextBytes(bytes);
    return bytes;
  }

  static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * 1024, 1024 * 1024})
  void parentReachesAnEnclaveListenerAndGetsEveryByteBack(int size) throws Exception {
    byte[] payload = randomBytes(size);
    try (EchoService echo = EchoService.on(enclave, VsockAddress.of(ENCLAVE_CID, 5000));
        VsockConnection connection = parent.connect(VsockAddress.of(ENCLAVE_CID, 5000))) {
      byte[] reply = exchange(connection, payload);
      assertThat(reply).hasSize(size);
      assertThat(sha256(reply)).isEqualTo(sha256(payload));
    }
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 64 * 1024, 1024 * 1024})
  void enclaveReachesAParentListenerAndGetsEveryByteBack(int size) throws Exception {
    byte[] payload = randomBytes(size);
    try (EchoService echo = EchoService.on(parent, VsockAddress.of(VsockAddress.CID_PARENT, 8000));
        VsockConnection connection =
            enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8000))) {
      byte[] reply = exchange(connection, payload);
      assertThat(reply).hasSize(size);
      assertThat(sha256(reply)).isEqualTo(sha256(payload));
    }
  }

  @Test
  void servesFiftyConcurrentConnectionsEachWay() throws Exception {
    try (EchoService inEnclave = EchoService.on(enclave, VsockAddress.of(ENCLAVE_CID, 5001));
        EchoService onParent =
            EchoService.on(parent, VsockAddress.of(VsockAddress.CID_PARENT, 8001))) {
      CountDownLatch allOpen = new CountDownLatch(100);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        boolean fromParent = i % 2 == 0;
        byte[] payload = ("connection " + i + " ").repeat(1000).getBytes(UTF_8);
        results.add(
            threads.submit(
                () -> {
                  try (VsockConnection connection =
                      fromParent
                          ? parent.connect(VsockAddress.of(ENCLAVE_CID, 5001))
                          : enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8001))) {
                    allOpen.countDown();
                    assertThat(allOpen.await(30, TimeUnit.SECONDS))
                        .isTrue(); // all 100 open at once
                    return MessageDigest.isEqual(
                        sha256(exchange(connection, payload)), sha256(payload));
                  }
                }));
      }
      for (Future<Boolean> result : results) {
        assertThat(result.get(60, TimeUnit.SECONDS)).isTrue();
      }
    }
  }

  @Test
  void halfCloseLetsEachSideKeepReading() throws Exception {
    try (VsockListener listener = enclave.listen(VsockAddress.of(ENCLAVE_CID, 5002));
        VsockConnection client = parent.connect(VsockAddress.of(ENCLAVE_CID, 5002));
        VsockConnection server = listener.accept()) {
      client.outputStream().write("request".getBytes(UTF_8));
      client.shutdownOutput();
      assertThat(server.inputStream().readAllBytes()).asString(UTF_8).isEqualTo("request");

      server.outputStream().write("reply after end of stream".getBytes(UTF_8));
      server.shutdownOutput();
      assertThat(client.inputStream().readAllBytes())
          .asString(UTF_8)
          .isEqualTo("reply after end of stream");
    }
    try (VsockListener listener = parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8002));
        VsockConnection client = enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8002));
        VsockConnection server = listener.accept()) {
      client.shutdownOutput();
      assertThat(server.inputStream().read()).isEqualTo(-1);
      server.outputStream().write(42);
      assertThat(client.inputStream().read()).isEqualTo(42);
    }
  }

  @Test
  void parentConnectionsIntoTheEnclaveCarryRealVsockAddresses() throws Exception {
    try (VsockListener listener = enclave.listen(VsockAddress.anyCid(5003));
        VsockConnection client = parent.connect(VsockAddress.of(ENCLAVE_CID, 5003));
        VsockConnection server = listener.accept()) {
      assertThat(listener.localAddress()).isEqualTo(VsockAddress.anyCid(5003));
      assertThat(client.remoteAddress()).isEqualTo(VsockAddress.of(ENCLAVE_CID, 5003));
      assertThat(client.localAddress().cid()).isEqualTo(VsockAddress.CID_PARENT);
      assertThat(client.localAddress().port()).isBetween(1L << 30, (1L << 31) - 1);

      assertThat(server.localAddress()).isEqualTo(VsockAddress.of(ENCLAVE_CID, 5003));
      assertThat(server.remoteAddress())
          .isEqualTo(client.localAddress()); // the port of the OK line
    }
  }

  @Test
  void enclaveConnectionsToTheParentCarryRealVsockAddresses() throws Exception {
    try (VsockListener listener = parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8003));
        VsockConnection client = enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8003));
        VsockConnection server = listener.accept()) {
      assertThat(listener.localAddress()).isEqualTo(VsockAddress.of(VsockAddress.CID_PARENT, 8003));
      assertThat(client.remoteAddress()).isEqualTo(VsockAddress.of(VsockAddress.CID_PARENT, 8003));
      assertThat(client.localAddress().cid()).isEqualTo(ENCLAVE_CID);
      assertThat(client.localAddress().port()).isGreaterThanOrEqualTo(1024);

      assertThat(server.localAddress()).isEqualTo(VsockAddress.of(VsockAddress.CID_PARENT, 8003));
      assertThat(server.remoteAddress().cid()).isEqualTo(ENCLAVE_CID);
      assertThat(server.remoteAddress().port()).isGreaterThanOrEqualTo(1024);
    }
  }

  @Test
  void listenersOnAnyPortGetDistinctConcretePorts() throws Exception {
    try (VsockListener first = enclave.listen(VsockAddress.of(ENCLAVE_CID, VsockAddress.PORT_ANY));
        VsockListener second = enclave.listen(VsockAddress.of(ENCLAVE_CID, VsockAddress.PORT_ANY));
        VsockListener onParent =
            parent.listen(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY))) {
      assertThat(first.localAddress().isAnyPort()).isFalse();
      assertThat(second.localAddress().port()).isNotEqualTo(first.localAddress().port());
      assertThat(parent.portSocket(onParent.localAddress().port())).exists();
      try (VsockConnection connection =
          parent.connect(VsockAddress.of(ENCLAVE_CID, second.localAddress().port()))) {
        assertThat(second.accept().localAddress()).isEqualTo(second.localAddress());
      }
    }
  }

  @Test
  void aPortNobodyListensOnIsRefusedBothWays() throws Exception {
    assertThatThrownBy(() -> parent.connect(VsockAddress.of(ENCLAVE_CID, 5004)))
        .isInstanceOf(ConnectException.class) // no multiplexer yet: no socket file
        .hasMessageContaining("vsock://16:5004");
    try (VsockListener other = enclave.listen(VsockAddress.of(ENCLAVE_CID, 5005))) {
      assertThatThrownBy(() -> parent.connect(VsockAddress.of(ENCLAVE_CID, 5004)))
          .isInstanceOf(ConnectException.class) // the multiplexer closes without an answer
          .hasMessageContaining("nothing listens at vsock://16:5004");
      assertThat(enclave.refusedConnections()).isEqualTo(1);
    }
    assertThatThrownBy(() -> enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8004)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("vsock://3:8004");
  }

  @Test
  void peersOtherThanTheParentAndTheEnclaveAreRefused() throws Exception {
    assertThatThrownBy(() -> enclave.connect(VsockAddress.of(VsockAddress.CID_HOST, 8000)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("only its parent, CID 3");
    assertThatThrownBy(() -> parent.connect(VsockAddress.of(17, 5000)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("CID 16");
    assertThatThrownBy(() -> enclave.listen(VsockAddress.of(17, 5000)))
        .isInstanceOf(java.net.BindException.class);
    assertThatThrownBy(() -> parent.listen(VsockAddress.of(ENCLAVE_CID, 5000)))
        .isInstanceOf(java.net.BindException.class);
  }

  @Test
  void aTakenPortIsABindException() throws Exception {
    try (VsockListener first = enclave.listen(VsockAddress.of(ENCLAVE_CID, 5006));
        VsockListener onParent = parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8006))) {
      assertThatThrownBy(() -> enclave.listen(VsockAddress.of(ENCLAVE_CID, 5006)))
          .isInstanceOf(java.net.BindException.class);
      try (HybridVsockTransport otherParent =
          HybridVsockTransport.parent(directory, "vsock", ENCLAVE_CID)) {
        assertThatThrownBy(() -> otherParent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8006)))
            .isInstanceOf(java.net.BindException.class)
            .hasMessageContaining("another process listens there");
      }
    }
  }

  @Test
  void closingRemovesTheSocketFiles() throws Exception {
    VsockListener onParent = parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8007));
    VsockListener closedByTransport = parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8008));
    enclave.listen(VsockAddress.of(ENCLAVE_CID, 5007));
    assertThat(directory.resolve("vsock_8007")).exists();
    assertThat(directory.resolve("vsock_8008")).exists();
    assertThat(directory.resolve("vsock")).exists();

    onParent.close();
    assertThat(directory.resolve("vsock_8007")).doesNotExist();
    parent.close();
    assertThat(closedByTransport.isClosed()).isTrue();
    assertThat(directory.resolve("vsock_8008")).doesNotExist();
    enclave.close();
    assertThat(directory.resolve("vsock")).doesNotExist();
    try (var files = Files.list(directory)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void closingAnEnclaveListenerResetsConnectionsNotYetAccepted() throws Exception {
    VsockListener listener = enclave.listen(VsockAddress.of(ENCLAVE_CID, 5008));
    try (VsockConnection queued = parent.connect(VsockAddress.of(ENCLAVE_CID, 5008))) {
      listener.close();
      assertThat(queued.inputStream().read()).isEqualTo(-1);
      assertThatThrownBy(listener::accept).isInstanceOf(SocketException.class);
    }
  }

  @Test
  void acceptedConnectionsOutliveTheirListener() throws Exception {
    VsockConnection server;
    try (VsockListener listener = enclave.listen(VsockAddress.of(ENCLAVE_CID, 5009));
        VsockConnection client = parent.connect(VsockAddress.of(ENCLAVE_CID, 5009))) {
      server = listener.accept();
      listener.close();
      client.outputStream().write(7);
      assertThat(server.inputStream().read()).isEqualTo(7);
    }
    server.close();
  }

  @Test
  void aReadTimeoutLeavesTheConnectionUsableAndCloseWakesABlockedRead() throws Exception {
    try (VsockListener listener = parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, 8009));
        VsockConnection client = enclave.connect(VsockAddress.of(VsockAddress.CID_PARENT, 8009));
        VsockConnection server = listener.accept()) {
      server.readTimeout(Duration.ofMillis(50));
      assertThatThrownBy(() -> server.inputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      client.outputStream().write(9);
      assertThat(server.inputStream().read()).isEqualTo(9);

      server.readTimeout(Duration.ZERO);
      CompletableFuture<Throwable> blocked =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  server.inputStream().read();
                  return null;
                } catch (IOException e) {
                  return e;
                }
              },
              threads);
      Thread.sleep(
          50); // Likely lets the reader block first; the outcome is the same if it has not yet.
      server.close();
      assertThat(blocked.get(10, TimeUnit.SECONDS))
          .isInstanceOf(SocketException.class)
          .hasMessage("Socket closed");
      InputStream in = client.inputStream();
      assertThat(in.read()).isEqualTo(-1);
    }
  }

  @Test
  void anotherTransportInTheSameJvmSharesTheMultiplexer() throws Exception {
    try (HybridVsockTransport second =
            HybridVsockTransport.enclave(directory, "vsock", ENCLAVE_CID);
        VsockListener first = enclave.listen(VsockAddress.of(ENCLAVE_CID, 5010));
        VsockListener other = second.listen(VsockAddress.of(ENCLAVE_CID, 5011));
        VsockConnection toOther = parent.connect(VsockAddress.of(ENCLAVE_CID, 5011))) {
      assertThat(other.accept().localAddress().port()).isEqualTo(5011);
      enclave.close(); // the second transport still holds the multiplexer
      try (VsockConnection again = parent.connect(VsockAddress.of(ENCLAVE_CID, 5011))) {
        assertThat(other.accept()).isNotNull();
      }
    }
    assertThat(directory.resolve("vsock")).doesNotExist();
  }
}
