package dev.nitroemu.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmodified C vsock server run under nitro-emu-init, reached by the parent's {@code
 * HybridVsockTransport} connecting into the enclave.
 */
class SupervisorServerTest {

  private static final long ENCLAVE_CID = 16;

  @TempDir static Path directory;
  private static SupervisedStack stack;

  @BeforeAll
  static void startStack() throws IOException {
    stack = SupervisedStack.start(directory);
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void parentConnectionIsAcceptedWithTheAddressesARealEnclaveSees() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve", "6100", "1")) {
      server.awaitLine("listening");

      String reply;
      VsockAddress parentLocal;
      try (VsockConnection connection = connectIn(6100)) {
        parentLocal = connection.localAddress();
        reply = echo(connection, "hello-server");
      }

      SupervisedStack.Run run = server.finish();
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(reply).isEqualTo("hello-server");
      String hostPort = Long.toString(parentLocal.port());
      assertThat(run.results())
          .containsEntry("listener-name", "family=40 len=16 4294967295:6100")
          .containsEntry("accepted-0", "family=40 len=16 3:" + hostPort)
          .containsEntry("accepted-local", "family=40 len=16 16:6100")
          .containsEntry("accepted-peer", "family=40 len=16 3:" + hostPort)
          .containsEntry("echoed-0", "OK");
    }
  }

  @Test
  void twoConcurrentClientsAreBothQueuedAndServed() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve", "6101", "2")) {
      server.awaitLine("listening");

      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> roundTrip(6101, "one"));
      CompletableFuture<String> second =
          CompletableFuture.supplyAsync(() -> roundTrip(6101, "two"));

      assertThat(first.get()).isEqualTo("one");
      assertThat(second.get()).isEqualTo("two");
      SupervisedStack.Run run = server.finish();
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(run.results()).containsEntry("echoed-0", "OK").containsEntry("echoed-1", "OK");
      assertThat(run.results().get("accepted-0")).isNotEqualTo(run.results().get("accepted-1"));
    }
  }

  @Test
  void twoThreadsBlockedInAcceptOnOneListenerGetOneConnectionEach() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve-threads", "6107")) {
      server.awaitLine("listening");

      CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> roundTrip(6107, "a"));
      CompletableFuture<String> second = CompletableFuture.supplyAsync(() -> roundTrip(6107, "b"));

      assertThat(first.get()).isEqualTo("a");
      assertThat(second.get()).isEqualTo("b");
      SupervisedStack.Run run = server.finish();
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(run.results()).containsEntry("thread-0", "OK").containsEntry("thread-1", "OK");
    }
  }

  @Test
  void nonBlockingAcceptReportsEagainThenEpollSaysReadable() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve-poll", "6102")) {
      server.awaitLine("listening");

      assertThat(roundTrip(6102, "polled")).isEqualTo("polled");

      SupervisedStack.Run run = server.finish();
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(run.results())
          .containsEntry("first-accept", "EAGAIN")
          .containsEntry("accepted-nonblock", "yes")
          .containsEntry("accepted-cloexec", "yes")
          .containsEntry("echoed", "OK");
    }
  }

  @Test
  void aBlockedAcceptDoesNotStopNsmCallsFromAnotherThread() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve-nsm", "6103")) {
      server.awaitLine("listening");

      assertThat(roundTrip(6103, "after-nsm")).isEqualTo("after-nsm");

      SupervisedStack.Run run = server.finish();
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(run.results())
          .containsEntry("nsm-while-accepting", "20")
          .containsEntry("echoed", "OK");
    }
  }

  @Test
  void aPortNobodyListensOnIsClosedUnanswered() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve", "6104", "1")) {
      server.awaitLine("listening");

      assertThatThrownBy(() -> connectIn(6105)).isInstanceOf(ConnectException.class);

      assertThat(roundTrip(6104, "still-serving")).isEqualTo("still-serving");
      assertThat(server.finish().exitCode()).isZero();
    }
  }

  @Test
  void malformedOrOversizedConnectLinesAreClosedUnanswered() throws Exception {
    try (SupervisedStack.Running server = stack.startProbe("serve", "6106", "2")) {
      server.awaitLine("listening");

      assertThat(rawHandshake("HELLO 6106\n")).as("another verb").isEmpty();
      assertThat(rawHandshake("CONNECT 6106 7\n")).as("three words").isEmpty();
      assertThat(rawHandshake("CONNECT 99999999999\n")).as("port over 32 bits").isEmpty();
      assertThat(rawHandshake("CONNECT " + "0".repeat(40) + "6106\n"))
          .as("over 32 bytes")
          .isEmpty();

      assertThat(rawHandshake("CONN", "ECT 6106", "\n")).as("a line in pieces").startsWith("OK ");
      assertThat(rawHandshake("connect\t6106\r\n")).as("any case, tab, CR").startsWith("OK ");
      assertThat(server.finish().exitCode()).isZero();
    }
  }

  @Test
  void listenSaysEaddrinuseWhenAnotherEnclaveSideServesTheDirectory() throws Exception {
    Path other = Files.createDirectories(directory.resolve("taken"));
    try (ServerSocketChannel taken = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      taken.bind(UnixDomainSocketAddress.of(other.resolve("vsock")));
      String probe = SupervisedStack.SERVER_PROBE.toAbsolutePath().toString();

      SupervisedStack.Run run =
          stack
              .start(
                  List.of("--vsock-dir", other.toString(), "--no-heartbeat"),
                  List.of(probe, "serve", "6108", "1"))
              .finish();

      assertThat(run.results()).containsEntry("listen", "EADDRINUSE");
      assertThat(run.stderr()).contains("another enclave side listens");
      assertThat(run.exitCode()).isEqualTo(1);
    }
  }

  /**
   * Sends the {@code pieces} of a line to the multiplexer socket, 50 ms apart; what comes back
   * before the end of stream or a newline (waiting at most 10 s).
   */
  private static String rawHandshake(String... pieces) throws Exception {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(stack.vsock.resolve("vsock")));
      for (int i = 0; i < pieces.length; i++) {
        if (i > 0) {
          Thread.sleep(50);
        }
        channel.write(ByteBuffer.wrap(pieces[i].getBytes(StandardCharsets.US_ASCII)));
      }
      CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> readLine(channel));
      return answer.get(10, TimeUnit.SECONDS);
    }
  }

  private static String readLine(SocketChannel channel) {
    ByteBuffer answer = ByteBuffer.allocate(64);
    try {
      while (answer.hasRemaining()) {
        int n = channel.read(answer);
        if (n < 0 || (answer.position() > 0 && answer.get(answer.position() - 1) == '\n')) {
          break;
        }
      }
    } catch (IOException e) {
      // A reset is an unanswered close too.
    }
    answer.flip();
    return StandardCharsets.US_ASCII.decode(answer).toString();
  }

  private static VsockConnection connectIn(long port) throws IOException {
    return stack
        .services
        .transport()
        .connect(VsockAddress.of(ENCLAVE_CID, port), Duration.ofSeconds(10));
  }

  private static String roundTrip(long port, String text) {
    try (VsockConnection connection = connectIn(port)) {
      return echo(connection, text);
    } catch (IOException e) {
      throw new IllegalStateException("round trip to the enclave's port " + port, e);
    }
  }

  private static String echo(VsockConnection connection, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    connection.outputStream().write(bytes);
    connection.outputStream().flush();
    return new String(connection.inputStream().readNBytes(bytes.length), StandardCharsets.UTF_8);
  }
}
