package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The one two-way pump, between two real emulated-vsock connection pairs: the test talks to the
 * outer ends ({@code left}, {@code right}), the pump joins the inner ends, once as they are (they
 * offer channels: the channel path) and once with their channels hidden (the stream path). Waits
 * are bounded. {@link StreamPumpChannelTest} has the channel path over TCP and Unix sockets.
 */
@Timeout(60)
class StreamPumpTest {

  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final VsockNetwork network = VsockNetwork.create();
  private StreamPump pump;
  private VsockConnection left;
  private VsockConnection right;
  private VsockConnection innerLeft;
  private VsockConnection innerRight;

  @AfterEach
  void close() throws IOException {
    if (pump != null) {
      pump.close();
    }
    for (VsockConnection connection : new VsockConnection[] {left, right, innerLeft, innerRight}) {
      Closeables.closeQuietly(connection);
    }
    network.close();
  }

  /**
   * Opens both connection pairs and joins their inner ends on another thread; completes when the
   * join returns.
   */
  private CompletableFuture<Void> join(Duration idleTimeout, boolean channels) throws IOException {
    pump = new StreamPump("test", 2, 1024, idleTimeout);
    try (VsockListener leftListener = network.listen(VsockAddress.of(16, 6000));
        VsockListener rightListener = network.listen(VsockAddress.of(16, 6001))) {
      left = network.connect(VsockAddress.of(16, 6000));
      innerLeft = leftListener.accept();
      right = network.connect(VsockAddress.of(16, 6001));
      innerRight = rightListener.accept();
    }
    left.readTimeout(PATIENCE);
    right.readTimeout(PATIENCE);
    StreamConnection joinedLeft = channels ? innerLeft : streamsOnly(innerLeft);
    StreamConnection joinedRight = channels ? innerRight : streamsOnly(innerRight);
    assertThat(joinedLeft.channel().isPresent()).isEqualTo(channels);
    return CompletableFuture.runAsync(() -> pump.join(joinedLeft, joinedRight))
        .thenRun(() -> assertThat(pump.channelJoins()).isEqualTo(channels ? 1 : 0));
  }

  /** {@code connection} without its channel, as a connection under fault injection is. */
  private static StreamConnection streamsOnly(StreamConnection connection) {
    return new StreamConnection() {
      @Override
      public InputStream inputStream() throws IOException {
        return connection.inputStream();
      }

      @Override
      public OutputStream outputStream() throws IOException {
        return connection.outputStream();
      }

      @Override
      public void shutdownOutput() throws IOException {
        connection.shutdownOutput();
      }

      @Override
      public void shutdownInput() throws IOException {
        connection.shutdownInput();
      }

      @Override
      public void readTimeout(Duration timeout) throws IOException {
        connection.readTimeout(timeout);
      }

      @Override
      public boolean isClosed() {
        return connection.isClosed();
      }

      @Override
      public void close() throws IOException {
        connection.close();
      }
    };
  }

  private static int readOrReset(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }

  @ParameterizedTest(name = "channels: {0}")
  @ValueSource(booleans = {true, false})
  void bytesFlowBothWaysAndEachHalfCloseReachesTheOtherSide(boolean channels) throws Exception {
    CompletableFuture<Void> joined = join(ConnectionLimits.DEFAULT_IDLE_TIMEOUT, channels);

    left.outputStream().write("hello".getBytes(US_ASCII));
    left.shutdownOutput();
    assertThat(new String(right.inputStream().readAllBytes(), US_ASCII)).isEqualTo("hello");

    right.outputStream().write("still here".getBytes(US_ASCII));
    right.shutdownOutput();
    assertThat(new String(left.inputStream().readAllBytes(), US_ASCII)).isEqualTo("still here");

    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(innerLeft.isClosed()).isTrue();
    assertThat(innerRight.isClosed()).isTrue();
  }

  @ParameterizedTest(name = "channels: {0}")
  @ValueSource(booleans = {true, false})
  void moreBytesThanTheBufferArriveIntactAndInOrder(boolean channels) throws Exception {
    CompletableFuture<Void> joined = join(ConnectionLimits.DEFAULT_IDLE_TIMEOUT, channels);
    byte[] data = new byte[100_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readAll(right));
    left.outputStream().write(data);
    left.shutdownOutput();
    assertThat(received.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(data);
    right.shutdownOutput();
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "channels: {0}")
  @ValueSource(booleans = {true, false})
  void anErrorOnOneSideClosesTheOtherAtOnce(boolean channels) throws Exception {
    CompletableFuture<Void> joined = join(ConnectionLimits.DEFAULT_IDLE_TIMEOUT, channels);
    left.close(); // Left goes away entirely: writing towards it fails.

    OutputStream out = right.outputStream();
    byte[] chunk = new byte[8192];
    try {
      for (int i = 0; i < 8192; i++) { // At most 64 MiB: the pump fails to deliver long before.
        out.write(chunk);
      }
    } catch (IOException closedByThePump) {
      // Expected: the pump closed the right side after failing to write to the left.
    }
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    assertThat(innerRight.isClosed()).isTrue();
  }

  @ParameterizedTest(name = "channels: {0}")
  @ValueSource(booleans = {true, false})
  void aJoinSilentBothWaysIsClosedAfterTheIdleTimeout(boolean channels) throws Exception {
    CompletableFuture<Void> joined = join(Duration.ofMillis(200), channels);

    assertThat(readOrReset(left.inputStream()))
        .as("closed by the pump, not by our read timeout")
        .isEqualTo(-1);
    assertThat(readOrReset(right.inputStream())).isEqualTo(-1);
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * A download with nothing uploaded (or the reverse) is not idle: the silent direction's reads
   * time out, but bytes moved the other way meanwhile, so the join stays up. The stream runs for
   * more than twice the idle timeout with gaps far shorter than it.
   */
  @ParameterizedTest(name = "channels: {0}")
  @ValueSource(booleans = {true, false})
  void aOneWayStreamIsNotCutBecauseTheOtherDirectionIsSilent(boolean channels) throws Exception {
    Duration idle = Duration.ofSeconds(2);
    CompletableFuture<Void> joined = join(idle, channels);
    CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> readAll(left));

    long sent = 0;
    long end = System.nanoTime() + idle.multipliedBy(5).dividedBy(2).toNanos();
    OutputStream out = right.outputStream();
    while (System.nanoTime() < end) {
      out.write(new byte[64]);
      sent += 64;
      Thread.sleep(5);
    }
    right.shutdownOutput();

    assertThat(received.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).hasSize((int) sent);
    left.shutdownOutput();
    joined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
  }

  private static byte[] readAll(VsockConnection connection) {
    try {
      return connection.inputStream().readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
