package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.internal.UnixSocketConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pump's channel path (and its fall-back to the streams) between real sockets: TCP on 127.0.0.1
 * made by channels or not, and Unix domain sockets as hybrid vsock uses them. The test talks to the
 * outer ends ({@code left}, {@code right}); the pump joins the accepted inner ends. Waits are
 * bounded and generous; nothing asserts how fast anything happened.
 */
@Timeout(120)
class StreamPumpChannelTest {

  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final int CHUNK = 64 * 1024;

  /** One thread per task: the common pool may have too few for senders and readers at once. */
  private final ExecutorService tasks = Executors.newCachedThreadPool();

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private StreamPump pump;
  private Socket left;
  private Socket right;
  private StreamConnection innerLeft;
  private StreamConnection innerRight;

  @AfterEach
  void close() {
    tasks.shutdownNow();
    if (pump != null) {
      pump.close();
    }
    for (AutoCloseable closeable : toClose) {
      Closeables.closeQuietly(closeable);
    }
    Closeables.closeQuietly(left);
    Closeables.closeQuietly(right);
    Closeables.closeQuietly(innerLeft);
    Closeables.closeQuietly(innerRight);
  }

  /** A loopback listener whose accepted sockets have channels (or are plain ones). */
  private ServerSocket listener(boolean channels) throws IOException {
    ServerSocket server = channels ? ServerSocketChannel.open().socket() : new ServerSocket();
    toClose.add(server);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 5);
    return server;
  }

  /** Connects the outer ends, accepts the inner ends and joins them on another thread. */
  private CompletableFuture<Void> join(
      boolean leftChannel, boolean rightChannel, Duration idleTimeout) throws IOException {
    ServerSocket leftServer = listener(leftChannel);
    ServerSocket rightServer = listener(rightChannel);
    left = new Socket(InetAddress.getLoopbackAddress(), leftServer.getLocalPort());
    innerLeft = StreamConnection.of(leftServer.accept());
    right = new Socket(InetAddress.getLoopbackAddress(), rightServer.getLocalPort());
    innerRight = StreamConnection.of(rightServer.accept());
    left.setSoTimeout((int) PATIENCE.toMillis());
    right.setSoTimeout((int) PATIENCE.toMillis());
    pump = new StreamPump("test", 2, CHUNK, idleTimeout);
    return CompletableFuture.runAsync(() -> pump.join(innerLeft, innerRight), tasks);
  }

  @Test
  void tcpSocketsMadeByChannelsOfferThemAndPlainOnesDoNot() throws Exception {
    join(true, false, PATIENCE);
    assertThat(innerLeft.channel()).containsSame(innerLeft.channel().orElseThrow());
    assertThat(innerRight.channel()).isEmpty();
  }

  @Test
  void aChannelJoinCarries32MiBEachWayAtOnceIntact() throws Exception {
    CompletableFuture<Void> joined = join(true, true, PATIENCE);
    int size = 32 << 20;
    CompletableFuture<byte[]> rightReceived = readDigest(right.getInputStream(), size);
    CompletableFuture<byte[]> leftReceived = readDigest(left.getInputStream(), size);
    CompletableFuture<byte[]> leftSent = sendRandom(left, 1, size);
    CompletableFuture<byte[]> rightSent = sendRandom(right, 2, size);

    assertThat(rightReceived.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
        .isEqualTo(leftSent.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    assertThat(leftReceived.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
        .isEqualTo(rightSent.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(pump.channelJoins()).isEqualTo(1);
    assertThat(innerLeft.isClosed()).isTrue();
    assertThat(innerRight.isClosed()).isTrue();
  }

  @Test
  void aChannelJoinDeliversTheAnswerToAHalfClosedRequest() throws Exception {
    CompletableFuture<Void> joined = join(true, true, PATIENCE);
    left.getOutputStream().write("question".getBytes(US_ASCII));
    left.shutdownOutput();
    assertThat(new String(right.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("question");
    right.getOutputStream().write("answer".getBytes(US_ASCII));
    right.shutdownOutput();
    assertThat(new String(left.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("answer");
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(pump.channelJoins()).isEqualTo(1);
  }

  @Test
  void aResetOnOneSideOfAChannelJoinClosesTheOther() throws Exception {
    CompletableFuture<Void> joined = join(true, true, PATIENCE);
    left.getOutputStream().write('x');
    assertThat(right.getInputStream().read()).isEqualTo('x');
    left.setSoLinger(true, 0);
    left.close(); // A reset, not an orderly end of stream.

    assertThat(readOrReset(right.getInputStream())).isEqualTo(-1);
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(innerRight.isClosed()).isTrue();
    assertThat(pump.channelJoins()).isEqualTo(1);
  }

  /** Blocking channel reads ignore read timeouts: the pump's watchdog must end the join. */
  @Test
  void aChannelJoinSilentBothWaysIsClosedAfterTheIdleTimeout() throws Exception {
    CompletableFuture<Void> joined = join(true, true, Duration.ofMillis(200));
    assertThat(readOrReset(left.getInputStream()))
        .as("closed by the pump, not by our read timeout")
        .isEqualTo(-1);
    assertThat(readOrReset(right.getInputStream())).isEqualTo(-1);
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(pump.channelJoins()).isEqualTo(1);
  }

  @Test
  void aJoinOfAChannelAndAStreamOnlyConnectionFallsBackToTheStreams() throws Exception {
    CompletableFuture<Void> joined = join(true, false, PATIENCE);
    int size = 4 << 20;
    CompletableFuture<byte[]> rightReceived = readDigest(right.getInputStream(), size);
    byte[] sent = sendRandom(left, 3, size).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(rightReceived.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(sent);
    right.getOutputStream().write("back".getBytes(US_ASCII));
    right.shutdownOutput();
    assertThat(new String(left.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("back");
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(pump.channelJoins()).isZero();
  }

  /** Hybrid vsock's Unix sockets offer a blocking view of their non-blocking channel. */
  @Test
  void aJoinOfUnixSocketsCopiesChannelToChannel(@TempDir Path dir) throws Exception {
    UnixSocketConnection[] inner = new UnixSocketConnection[2];
    UnixSocketConnection[] outer = new UnixSocketConnection[2];
    for (int i = 0; i < 2; i++) {
      ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      toClose.add(server);
      Path path = dir.resolve("s" + i);
      server.bind(UnixDomainSocketAddress.of(path));
      outer[i] = UnixSocketConnection.connect(path, PATIENCE);
      toClose.add(outer[i]);
      SocketChannel accepted = server.accept();
      inner[i] = new UnixSocketConnection(accepted);
      toClose.add(inner[i]);
      outer[i].readTimeout(PATIENCE);
    }
    pump = new StreamPump("test", 2, CHUNK, PATIENCE);
    CompletableFuture<Void> joined =
        CompletableFuture.runAsync(() -> pump.join(inner[0], inner[1]), tasks);
    int size = 16 << 20;
    CompletableFuture<byte[]> received = readDigest(outer[1].inputStream(), size);
    byte[] sent =
        sendRandom(outer[0].outputStream(), 4, size, outer[0]::shutdownOutput)
            .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(received.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(sent);
    outer[1].outputStream().write("ok".getBytes(US_ASCII));
    outer[1].shutdownOutput();
    assertThat(new String(outer[0].inputStream().readAllBytes(), US_ASCII)).isEqualTo("ok");
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(pump.channelJoins()).isEqualTo(1);
    assertThat(inner[0].isClosed()).isTrue();
    assertThat(inner[1].isClosed()).isTrue();
  }

  private static int readOrReset(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }

  /** Shut-down action after sending. */
  private interface Shutdown {
    void run() throws IOException;
  }

  private CompletableFuture<byte[]> sendRandom(Socket socket, long seed, int size)
      throws IOException {
    return sendRandom(socket.getOutputStream(), seed, size, socket::shutdownOutput);
  }

  /** Sends {@code size} seeded random bytes, then shuts down; the SHA-256 of what was sent. */
  private CompletableFuture<byte[]> sendRandom(
      OutputStream out, long seed, int size, Shutdown shutdown) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            Random random = new Random(seed);
            byte[] chunk = new byte[CHUNK];
            for (int sent = 0; sent < size; sent += chunk.length) {
              random.nextBytes(chunk);
              digest.update(chunk);
              out.write(chunk);
            }
            shutdown.run();
            return digest.digest();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        },
        tasks);
  }

  /** Reads to end of stream; the SHA-256 of what arrived, which must be {@code size} bytes. */
  private CompletableFuture<byte[]> readDigest(InputStream in, int size) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[CHUNK];
            long total = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
              digest.update(buffer, 0, n);
              total += n;
            }
            assertThat(total).isEqualTo(size);
            return digest.digest();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
          }
        },
        tasks);
  }
}
