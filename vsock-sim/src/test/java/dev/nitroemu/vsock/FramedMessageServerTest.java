package dev.nitroemu.vsock;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.FramedMessageClient;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
@SuppressWarnings(
    "try") // Resources opened only for their lifetime, and close() called to test idempotency.
class FramedMessageServerTest {

  private static final VsockAddress ADDRESS = VsockAddress.anyCid(9000);
  private static final VsockAddress TARGET = VsockAddress.of(16, 9000);
  private static final FramedMessageServer.Handler UPPER_CASE =
      request -> new String(request, UTF_8).toUpperCase(java.util.Locale.ROOT).getBytes(UTF_8);

  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  private FramedMessageServer.Builder server(FramedMessageServer.Handler handler) {
    return FramedMessageServer.builder(network, handler).listenAddress(ADDRESS);
  }

  private FramedMessageClient client() throws IOException {
    return FramedMessageClient.connect(network, TARGET, Duration.ofSeconds(5));
  }

  /** Writes a raw frame header and body, bypassing the client's own checks. */
  private static void writeRawFrame(VsockConnection connection, int declaredLength, byte[] body)
      throws IOException {
    DataOutputStream out = new DataOutputStream(connection.outputStream());
    out.writeInt(declaredLength);
    out.write(body);
    out.flush();
  }

  @Test
  void oneConnectionCarriesManyRequests() throws Exception {
    try (FramedMessageServer server = server(UPPER_CASE).build().start();
        FramedMessageClient client = client()) {
      for (int i = 0; i < 50; i++) {
        assertThat(client.call(("ping " + i).getBytes(UTF_8)))
            .asString(UTF_8)
            .isEqualTo("PING " + i);
      }
      assertThat(client.call(new byte[0])).isEmpty();
      assertThat(server.localAddress()).isEqualTo(ADDRESS);
    }
  }

  @Test
  void framesUseAFourByteBigEndianLength() throws Exception {
    try (FramedMessageServer server = server(UPPER_CASE).build().start();
        VsockConnection raw = network.connect(TARGET)) {
      writeRawFrame(raw, 2, "hi".getBytes(UTF_8));
      byte[] reply = new byte[6];
      new DataInputStream(raw.inputStream()).readFully(reply);
      assertThat(reply).containsExactly(0, 0, 0, 2, 'H', 'I');
    }
  }

  @Test
  void servesOneHundredConcurrentConnections() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(100);
    try (FramedMessageServer server = server(UPPER_CASE).build().start()) {
      CountDownLatch allConnected = new CountDownLatch(100);
      List<Future<String>> replies = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        String message = "client " + i;
        replies.add(
            clients.submit(
                () -> {
                  try (FramedMessageClient client = client()) {
                    allConnected.countDown();
                    allConnected.await();
                    return new String(client.call(message.getBytes(UTF_8)), UTF_8);
                  }
                }));
      }
      for (int i = 0; i < 100; i++) {
        assertThat(replies.get(i).get(20, TimeUnit.SECONDS)).isEqualTo("CLIENT " + i);
      }
    } finally {
      clients.shutdownNow();
    }
  }

  @Test
  void oversizedRequestsGetTheHandlerSuppliedReplyAndTheConnectionStaysUsable() throws Exception {
    AtomicInteger handled = new AtomicInteger();
    FramedMessageServer.Handler counting =
        request -> {
          handled.incrementAndGet();
          return UPPER_CASE.handle(request);
        };
    try (FramedMessageServer server =
            server(counting)
                .maxRequestSize(4096, length -> ("too large: " + length).getBytes(UTF_8))
                .build()
                .start();
        FramedMessageClient client = client()) {
      assertThat(client.call(new byte[4097])).asString(UTF_8).isEqualTo("too large: 4097");
      assertThat(client.call(new byte[FramedMessageServer.MAX_FRAME_SIZE]))
          .asString(UTF_8)
          .isEqualTo("too large: 65536");
      assertThat(handled).hasValue(0);
      assertThat(client.call(new byte[4096])).hasSize(4096);
      assertThat(handled).hasValue(1);
    }
  }

  @Test
  void framesOver64KibCloseTheConnectionButNotTheServer() throws Exception {
    try (FramedMessageServer server = server(UPPER_CASE).build().start()) {
      try (VsockConnection raw = network.connect(TARGET)) {
        writeRawFrame(raw, FramedMessageServer.MAX_FRAME_SIZE + 1, new byte[0]);
        assertThat(raw.inputStream().read()).isEqualTo(-1);
      }
      try (VsockConnection raw = network.connect(TARGET)) {
        writeRawFrame(raw, -1, new byte[0]); // 4294967295 as unsigned
        assertThat(raw.inputStream().read()).isEqualTo(-1);
      }
      try (FramedMessageClient client = client()) {
        assertThat(client.call("still up".getBytes(UTF_8))).asString(UTF_8).isEqualTo("STILL UP");
      }
    }
  }

  @Test
  void handlerExceptionsBecomeErrorRepliesWhenConfigured() throws Exception {
    FramedMessageServer.Handler failing =
        request -> {
          if (request.length == 0) {
            throw new IllegalArgumentException("empty request");
          }
          return request;
        };
    try (FramedMessageServer server =
            server(failing)
                .errorReply(e -> ("error: " + e.getMessage()).getBytes(UTF_8))
                .build()
                .start();
        FramedMessageClient client = client()) {
      assertThat(client.call(new byte[0])).asString(UTF_8).isEqualTo("error: empty request");
      assertThat(client.call(new byte[] {1})).containsExactly(1);
    }
  }

  @Test
  void handlerExceptionWithoutErrorReplyClosesOnlyThatConnection() throws Exception {
    FramedMessageServer.Handler failing =
        request -> {
          if (request.length == 0) {
            throw new IOException("boom");
          }
          return request;
        };
    try (FramedMessageServer server = server(failing).build().start()) {
      try (FramedMessageClient client = client()) {
        assertThatThrownBy(() -> client.call(new byte[0])).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> client.call(new byte[] {1}))
            .isInstanceOf(java.net.SocketException.class)
            .hasMessageContaining("closed");
      }
      try (FramedMessageClient client = client()) {
        assertThat(client.call(new byte[] {2})).containsExactly(2);
      }
    }
  }

  @Test
  void handlerReturningNullOrTooMuchIsAnError() throws Exception {
    FramedMessageServer.Handler odd =
        request -> request.length == 0 ? null : new byte[FramedMessageServer.MAX_FRAME_SIZE + 1];
    try (FramedMessageServer server =
            server(odd).errorReply(e -> e.getMessage().getBytes(UTF_8)).build().start();
        FramedMessageClient client = client()) {
      assertThat(client.call(new byte[0])).asString(UTF_8).contains("null");
      assertThat(client.call(new byte[1])).asString(UTF_8).contains("exceeds");
    }
  }

  @Test
  void truncatedFrameClosesTheConnection() throws Exception {
    try (FramedMessageServer server = server(UPPER_CASE).build().start();
        VsockConnection raw = network.connect(TARGET)) {
      writeRawFrame(raw, 10, "abc".getBytes(UTF_8));
      raw.shutdownOutput();
      assertThat(raw.inputStream().read()).isEqualTo(-1);
    }
  }

  /**
   * Issue 9: with no idle timeout, a client that sent part of a frame held its connection for ever.
   */
  @Test
  void aSlowlorisClientIsDisconnectedAfterTheIdleTimeout() throws Exception {
    try (FramedMessageServer server =
            server(UPPER_CASE)
                .limits(ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(300)))
                .build()
                .start();
        VsockConnection slowloris = network.connect(TARGET)) {
      slowloris.readTimeout(PATIENCE);
      writeRawFrame(slowloris, 10, "abc".getBytes(UTF_8));

      assertThat(readOrReset(slowloris))
          .as("closed by the server, not by our read timeout")
          .isEqualTo(-1);
      assertThat(server.limits().idleTimeout()).isEqualTo(Duration.ofMillis(300));
    }
  }

  /**
   * Issue 9: the server took a slot before accepting, so idle connections filling every slot kept a
   * new client unaccepted for ever. Now the connection idle the longest gives the newcomer its
   * place.
   */
  @Test
  void idleConnectionsGiveTheirPlaceToANewClient() throws Exception {
    try (FramedMessageServer server =
            server(UPPER_CASE)
                .limits(ConnectionLimits.DEFAULT.withMaxConnections(2))
                .build()
                .start();
        FramedMessageClient first = client();
        FramedMessageClient second = client()) {
      assertThat(first.call("a".getBytes(UTF_8))).asString(UTF_8).isEqualTo("A");
      assertThat(second.call("b".getBytes(UTF_8))).asString(UTF_8).isEqualTo("B");

      try (FramedMessageClient third = client()) {
        third.readTimeout(PATIENCE);
        assertThat(third.call("c".getBytes(UTF_8))).asString(UTF_8).isEqualTo("C");
      }
      assertThatThrownBy(() -> first.call("again".getBytes(UTF_8))).isInstanceOf(IOException.class);
      assertThat(second.call("d".getBytes(UTF_8))).asString(UTF_8).isEqualTo("D");
    }
  }

  /**
   * Issue 9: more connections than the cap waited unaccepted for ever. On the old code the
   * newcomer's call below hangs until its 20 s read timeout; now it is closed at once.
   */
  @Test
  void aNewcomerIsRefusedAtOnceWhileEveryConnectionHasARequestInTheHandler() throws Exception {
    CountDownLatch inHandler = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    FramedMessageServer.Handler holding =
        request -> {
          inHandler.countDown();
          release.await();
          return request;
        };
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try (FramedMessageServer server =
            server(holding).limits(ConnectionLimits.DEFAULT.withMaxConnections(1)).build().start();
        FramedMessageClient busy = client()) {
      Future<byte[]> held = caller.submit(() -> busy.call(new byte[] {1}));
      assertThat(inHandler.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();

      try (FramedMessageClient newcomer = client()) {
        newcomer.readTimeout(PATIENCE);
        assertThatThrownBy(() -> newcomer.call(new byte[] {2}))
            .isInstanceOf(IOException.class)
            .isNotInstanceOf(java.net.SocketTimeoutException.class);
      }
      assertThat(server.refusedConnections()).isEqualTo(1);
      release.countDown();
      assertThat(held.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).containsExactly(1);
    } finally {
      release.countDown();
      caller.shutdownNow();
    }
  }

  private static int readOrReset(VsockConnection connection) throws IOException {
    try {
      return connection.inputStream().read();
    } catch (java.net.SocketException reset) {
      return -1;
    }
  }

  @Test
  void closeIsIdempotentAndEndsOpenConnections() throws Exception {
    FramedMessageServer server = server(UPPER_CASE).build().start();
    FramedMessageClient client = client();
    assertThat(client.call("a".getBytes(UTF_8))).asString(UTF_8).isEqualTo("A");
    server.close();
    server.close();
    assertThatThrownBy(() -> client.call("b".getBytes(UTF_8))).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> network.connect(TARGET)).isInstanceOf(java.net.ConnectException.class);
    assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    client.close();
  }

  @Test
  void builderRejectsInvalidSettings() {
    FramedMessageServer.Builder builder = FramedMessageServer.builder(network, UPPER_CASE);
    assertThatThrownBy(builder::build)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("listenAddress");
    assertThatThrownBy(() -> builder.maxRequestSize(FramedMessageServer.MAX_FRAME_SIZE + 1, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.limits(ConnectionLimits.DEFAULT.withMaxConnections(0)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.listenAddress(ADDRESS).build().localAddress())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
  }
}
