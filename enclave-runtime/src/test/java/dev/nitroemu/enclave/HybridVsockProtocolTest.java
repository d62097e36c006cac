package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.HybridVsockTransportTest.ENCLAVE_CID;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The wire protocol of hybrid vsock as a native peer sees it: raw Unix sockets speaking (and
 * mangling) {@code CONNECT <port>\n} / {@code OK <port>\n} against the transport's two sides.
 */
@Timeout(60)
class HybridVsockProtocolTest {

  @TempDir Path directory;
  HybridVsockTransport enclave;
  HybridVsockTransport parent;
  VsockListener listener;

  @BeforeEach
  void listenInTheEnclave() throws IOException {
    enclave =
        HybridVsockTransport.builder(
                HybridVsockTransport.Role.ENCLAVE, directory, "v.sock", ENCLAVE_CID)
            .handshakeTimeout(Duration.ofMillis(500))
            .build();
    parent = HybridVsockTransport.parent(directory, "v.sock", ENCLAVE_CID);
    listener = enclave.listen(VsockAddress.of(ENCLAVE_CID, 52));
  }

  @AfterEach
  void close() {
    enclave.close();
    parent.close();
  }

  SocketChannel rawClient() throws IOException {
    return SocketChannel.open(UnixDomainSocketAddress.of(directory.resolve("v.sock")));
  }

  /** Sends {@code text}, one byte per character (so {@code \u00e9} is the byte 0xE9). */
  static void send(SocketChannel channel, String text) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(ISO_8859_1));
    while (bytes.hasRemaining()) {
      channel.write(bytes);
    }
  }

  /**
   * Everything the peer sends until it closes. A peer that closes with bytes of ours unread resets
   * the connection (Linux reports {@code ECONNRESET} then): that ends the reading too.
   */
  static String readToEnd(SocketChannel channel) {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    ByteBuffer buffer = ByteBuffer.allocate(256);
    try {
      while (channel.read(buffer.clear()) >= 0) {
        received.write(buffer.array(), 0, buffer.position());
      }
    } catch (IOException reset) {
      // Closed by the peer with our bytes unread.
    }
    return received.toString(US_ASCII);
  }

  /** One line, read a byte at a time so nothing after it is consumed. */
  static String readLine(SocketChannel channel) throws IOException {
    StringBuilder line = new StringBuilder();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (channel.read(one.clear()) > 0 && one.get(0) != '\n') {
      line.append((char) one.get(0));
    }
    return line.toString();
  }

  @ParameterizedTest
  @ValueSource(strings = {"CONNECT 52\n", "connect 52\n", "Connect\t52\r\n"})
  void aNativeParentConnectsWithTheConnectLine(String connectLine) throws Exception {
    try (SocketChannel raw = rawClient()) {
      send(raw, connectLine + "first bytes");
      String ok = readLine(raw);
      assertThat(ok).matches("OK \\d+");
      long hostPort = Long.parseLong(ok.substring(3));
      assertThat(hostPort).isBetween(1L << 30, (1L << 31) - 1);

      try (VsockConnection accepted = listener.accept()) {
        assertThat(accepted.remoteAddress()).isEqualTo(VsockAddress.of(3, hostPort));
        assertThat(accepted.inputStream().readNBytes(11))
            .asString(US_ASCII)
            .isEqualTo("first bytes");
        accepted.outputStream().write("answer".getBytes(US_ASCII));
      }
      assertThat(readToEnd(raw)).isEqualTo("answer");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HELLO 52\n",
        "CONNECT\n",
        "CONNECT 52 extra\n",
        "CONNECT -52\n",
        "CONNECT +52\n",
        "CONNECT 0x34\n",
        "CONNECT 4294967296\n",
        "CONNECT 99999999999\n",
        "\n",
        "CONNECT 5\u00002\n",
        "CONNECT 52\u00e9\n",
        "CONNECT 53\n",
        "CONNECT 0\n"
      })
  void aBadOrUnknownConnectLineIsClosedUnanswered(String line) throws Exception {
    try (SocketChannel raw = rawClient()) {
      send(raw, line);
      assertThat(readToEnd(raw)).isEmpty();
    }
    assertThat(enclave.refusedConnections()).isEqualTo(1);
    assertTheMultiplexerStillServes();
  }

  @Test
  void aConnectLineLongerThan32BytesIsClosedUnanswered() throws Exception {
    try (SocketChannel raw = rawClient()) {
      send(raw, "CONNECT " + "0".repeat(22) + "52\n"); // a valid number, but 33 bytes
      assertThat(readToEnd(raw)).isEmpty();
    }
    try (SocketChannel raw = rawClient()) {
      send(raw, "x".repeat(4096)); // never a newline
      assertThat(readToEnd(raw)).isEmpty();
    }
    assertThat(enclave.refusedConnections()).isEqualTo(2);
    assertTheMultiplexerStillServes();
  }

  @Test
  void aConnectLineThatDoesNotArriveInTimeIsClosedUnanswered() throws Exception {
    try (SocketChannel silent = rawClient();
        SocketChannel partial = rawClient()) {
      send(partial, "CONNECT 5");
      assertThat(readToEnd(silent)).isEmpty();
      assertThat(readToEnd(partial)).isEmpty();
    }
    assertThat(enclave.refusedConnections()).isEqualTo(2);
  }

  @Test
  void aConnectLineTrickledSlowerThanTheTimeoutIsClosedEvenIfEachByteComesInTime()
      throws Exception {
    try (SocketChannel raw = rawClient()) {
      String line = "CONNECT 52\n";
      boolean closedEarly = false;
      for (char c : line.toCharArray()) {
        try {
          send(raw, String.valueOf(c));
        } catch (IOException closedByTheEnclaveSide) {
          closedEarly = true;
          break;
        }
        Thread.sleep(100); // each gap is well under the 500 ms timeout, the whole line well over
      }
      assertThat(closedEarly || readToEnd(raw).isEmpty()).isTrue();
    }
    assertThat(enclave.refusedConnections()).isEqualTo(1);
  }

  @Test
  void aFullMultiplexerRefusesFurtherConnections() throws Exception {
    try (HybridVsockTransport small =
            HybridVsockTransport.builder(
                    HybridVsockTransport.Role.ENCLAVE, directory, "small", ENCLAVE_CID)
                .maxConnections(2)
                .build();
        HybridVsockTransport smallParent =
            HybridVsockTransport.parent(directory, "small", ENCLAVE_CID);
        VsockListener port = small.listen(VsockAddress.of(ENCLAVE_CID, 7))) {
      List<VsockConnection> held = new ArrayList<>();
      held.add(smallParent.connect(VsockAddress.of(ENCLAVE_CID, 7)));
      held.add(smallParent.connect(VsockAddress.of(ENCLAVE_CID, 7)));
      assertThatThrownBy(() -> smallParent.connect(VsockAddress.of(ENCLAVE_CID, 7)))
          .isInstanceOf(ConnectException.class);
      assertThat(small.refusedConnections()).isEqualTo(1);
      held.forEach(Closeables::closeQuietly);
      port.accept().close();
      port.accept().close();
      // The places free up once the multiplexer notices the closes; a later connect gets one.
      VsockConnection again = null;
      for (int attempt = 0; again == null && attempt < 500; attempt++) {
        try {
          again = smallParent.connect(VsockAddress.of(ENCLAVE_CID, 7));
        } catch (ConnectException stillFull) {
          Thread.sleep(10);
        }
      }
      assertThat(again).isNotNull();
      again.close();
    }
  }

  @Test
  void aFullBacklogRefusesFurtherConnections() throws Exception {
    try (HybridVsockTransport small =
            HybridVsockTransport.builder(
                    HybridVsockTransport.Role.ENCLAVE, directory, "backlog", ENCLAVE_CID)
                .backlog(1)
                .build();
        HybridVsockTransport smallParent =
            HybridVsockTransport.parent(directory, "backlog", ENCLAVE_CID);
        VsockListener port = small.listen(VsockAddress.of(ENCLAVE_CID, 8));
        VsockConnection queued = smallParent.connect(VsockAddress.of(ENCLAVE_CID, 8))) {
      assertThatThrownBy(() -> smallParent.connect(VsockAddress.of(ENCLAVE_CID, 8)))
          .isInstanceOf(ConnectException.class);
      port.accept().close();
      smallParent.connect(VsockAddress.of(ENCLAVE_CID, 8)).close(); // a place is free again
    }
  }

  @Test
  void theParentRejectsAMalformedAnswerAndTimesOutOnNone() throws Exception {
    try (ServerSocketChannel fake = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      fake.bind(UnixDomainSocketAddress.of(directory.resolve("fake")));
      HybridVsockTransport toFake = HybridVsockTransport.parent(directory, "fake", ENCLAVE_CID);

      Thread answerer =
          new Thread(
              () -> {
                try {
                  try (SocketChannel first = fake.accept()) {
                    readLine(first);
                    send(first, "YES 12\n");
                  }
                  try (SocketChannel second = fake.accept()) {
                    readLine(second);
                    readToEnd(second); // never answers; ends when the parent gives up
                  }
                } catch (IOException ignored) {
                  // The test is over.
                }
              });
      answerer.start();
      assertThatThrownBy(() -> toFake.connect(VsockAddress.of(ENCLAVE_CID, 52)))
          .isInstanceOf(ProtocolException.class)
          .hasMessageContaining("expected 'OK <port>', was 'YES 12'");
      assertThatThrownBy(
              () -> toFake.connect(VsockAddress.of(ENCLAVE_CID, 52), Duration.ofMillis(200)))
          .isInstanceOf(SocketTimeoutException.class);
      answerer.join(10_000);
      toFake.close();
    }
  }

  private void assertTheMultiplexerStillServes() throws Exception {
    try (VsockConnection connection = parent.connect(VsockAddress.of(ENCLAVE_CID, 52));
        VsockConnection accepted = listener.accept()) {
      connection.outputStream().write(1);
      assertThat(accepted.inputStream().read()).isEqualTo(1);
    }
  }
}
