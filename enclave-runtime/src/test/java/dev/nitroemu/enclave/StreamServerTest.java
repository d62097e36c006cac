package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The one server base, over real loopback TCP and emulated vsock sockets. Waits are bounded and
 * generous; assertions are on what the peers see, never on how long something took.
 */
@Timeout(60)
@SuppressWarnings("try") // Servers and sockets opened only to be live during the try block.
class StreamServerTest {

  private static final int PATIENCE_MILLIS = 20_000;
  private static final ConnectionLimits TWO = ConnectionLimits.DEFAULT.withMaxConnections(2);

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  /** Echoes byte by byte, marking the connection idle while it waits for the next byte. */
  private static void echo(StreamConnection connection, StreamServer.Slot slot) throws IOException {
    echo(connection, slot::idle, slot::busy);
  }

  private static void echo(StreamConnection connection, Runnable idle, BooleanSupplier busy)
      throws IOException {
    InputStream in = connection.inputStream();
    while (true) {
      idle.run();
      int b = in.read();
      if (b < 0 || !busy.getAsBoolean()) {
        return;
      }
      connection.outputStream().write(b);
      connection.outputStream().flush();
    }
  }

  private static StreamServer.Builder<StreamConnection, InetSocketAddress> tcp(
      StreamServer.Handler<StreamConnection> handler) {
    return StreamServer.builder(
        "test-tcp",
        () -> StreamListener.of(new ServerSocket(0, 50, InetAddress.getLoopbackAddress())),
        handler);
  }

  private static Socket connect(StreamServer<StreamConnection, InetSocketAddress> server)
      throws IOException {
    Socket socket = new Socket(server.localAddress().getAddress(), server.localAddress().getPort());
    socket.setSoTimeout(PATIENCE_MILLIS);
    return socket;
  }

  /**
   * Sends one byte and returns the byte read back (-1 if the server closed the connection instead).
   */
  private static int roundTrip(Socket socket, int b) throws IOException {
    socket.getOutputStream().write(b);
    socket.getOutputStream().flush();
    return readOrReset(socket.getInputStream());
  }

  /**
   * A read that treats a reset like the end of stream: both mean the server closed the connection.
   */
  private static int readOrReset(InputStream in) throws IOException {
    try {
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }

  private static void awaitValue(IntSupplier value, int expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PATIENCE_MILLIS);
    while (value.getAsInt() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(value.getAsInt()).isEqualTo(expected);
  }

  @Test
  void servesConnectionsFromALoopbackServerSocketAndReportsTheBoundAddress() throws Exception {
    try (StreamServer<StreamConnection, InetSocketAddress> server =
            tcp(StreamServerTest::echo).build().start();
        Socket client = connect(server)) {
      assertThat(server.localAddress().getAddress().isLoopbackAddress()).isTrue();
      assertThat(server.localAddress().getPort()).isPositive();
      assertThat(roundTrip(client, 'x')).isEqualTo('x');
      assertThat(server.activeConnections()).isEqualTo(1);
      assertThat(server.limits()).isEqualTo(ConnectionLimits.DEFAULT);
    }
  }

  @Test
  void servesVsockConnectionsThroughTheSameLoop() throws Exception {
    try (StreamServer<VsockConnection, VsockAddress> server =
            StreamServer.builder(
                    "test-vsock",
                    () -> network.listen(VsockAddress.anyCid(7000)),
                    StreamServerTest::echo)
                .build()
                .start();
        VsockConnection client = network.connect(VsockAddress.of(16, 7000))) {
      assertThat(server.localAddress()).isEqualTo(VsockAddress.anyCid(7000));
      client.outputStream().write('v');
      assertThat(client.inputStream().read()).isEqualTo('v');
    }
  }

  /**
   * Before this server base, FramedMessageServer took one of its slots before accepting: with every
   * slot busy a newcomer was never accepted and hung. Now it is told at once and closed.
   */
  @Test
  void aFullServerRefusesANewcomerAtOnceWhenEveryConnectionIsBusy() throws Exception {
    CountDownLatch entered = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    StreamServer.Handler<StreamConnection> busy =
        (connection, slot) -> {
          entered.countDown();
          try {
            release.await();
          } catch (InterruptedException e) {
            return;
          }
          connection.outputStream().write("served".getBytes(US_ASCII));
        };
    try (StreamServer<StreamConnection, InetSocketAddress> server =
            tcp(busy)
                .limits(TWO)
                .refusal(connection -> connection.outputStream().write("busy".getBytes(US_ASCII)))
                .build()
                .start();
        Socket first = connect(server);
        Socket second = connect(server)) {
      assertThat(entered.await(PATIENCE_MILLIS, TimeUnit.MILLISECONDS)).isTrue();

      try (Socket third = connect(server)) {
        assertThat(new String(third.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("busy");
      }
      assertThat(server.refusedConnections()).isEqualTo(1);

      release.countDown();
      assertThat(new String(first.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("served");
      assertThat(new String(second.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("served");
      awaitValue(server::activeConnections, 0);
      try (Socket fourth = connect(server)) {
        assertThat(new String(fourth.getInputStream().readAllBytes(), US_ASCII))
            .isEqualTo("served");
      }
    }
  }

  @Test
  void aFullServerGivesTheLongestIdleConnectionsPlaceToANewcomer() throws Exception {
    // The echo marks its slot idle only after the client has its byte back: count the marks, so the
    // order of the idle marks and the newcomer's arrival do not depend on how late threads run.
    AtomicInteger idleMarks = new AtomicInteger();
    StreamServer.Handler<StreamConnection> countedEcho =
        (connection, slot) ->
            echo(
                connection,
                () -> {
                  slot.idle();
                  idleMarks.incrementAndGet();
                },
                slot::busy);
    try (StreamServer<StreamConnection, InetSocketAddress> server =
            tcp(countedEcho).limits(TWO).build().start();
        Socket first = connect(server);
        Socket second = connect(server)) {
      assertThat(roundTrip(first, 'a')).isEqualTo('a'); // Now idle: waiting for its next byte.
      // Three marks can only be both first marks of each and first's mark after its echo: first is
      // idle before second's byte is sent, so first is the longest idle however threads run.
      awaitValue(idleMarks::get, 3);
      assertThat(roundTrip(second, 'b')).isEqualTo('b'); // Idle too, since later.
      awaitValue(idleMarks::get, 4);

      try (Socket third = connect(server)) {
        assertThat(roundTrip(third, 'c')).isEqualTo('c');
      }
      assertThat(readOrReset(first.getInputStream())).isEqualTo(-1);
      assertThat(roundTrip(second, 'd')).isEqualTo('d');
      assertThat(server.refusedConnections()).isZero();
    }
  }

  @Test
  void aSilentConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (StreamServer<StreamConnection, InetSocketAddress> server =
            tcp(StreamServerTest::echo)
                .limits(ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(200)))
                .build()
                .start();
        Socket silent = connect(server)) {
      assertThat(readOrReset(silent.getInputStream()))
          .as("closed by the server, not by our read timeout")
          .isEqualTo(-1);
      awaitValue(server::activeConnections, 0);
    }
  }

  @Test
  void waitingPlacesHoldNewcomersUntilAThreadFreesAndTheRestAreRefused() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    StreamServer.Handler<StreamConnection> holdThenGreet =
        (connection, slot) -> {
          try {
            release.await();
          } catch (InterruptedException e) {
            return;
          }
          connection.outputStream().write('!');
        };
    try (StreamServer<StreamConnection, InetSocketAddress> server =
            tcp(holdThenGreet)
                .limits(ConnectionLimits.DEFAULT.withMaxConnections(1))
                .maxWaiting(1)
                .build()
                .start();
        Socket served = connect(server);
        Socket waiting = connect(server)) {
      awaitValue(server::activeConnections, 2);
      try (Socket refused = connect(server)) {
        assertThat(readOrReset(refused.getInputStream())).isEqualTo(-1);
      }
      release.countDown();
      assertThat(served.getInputStream().read()).isEqualTo('!');
      assertThat(waiting.getInputStream().read()).isEqualTo('!');
      assertThat(server.refusedConnections()).isEqualTo(1);
    }
  }

  @Test
  void aHandlerFailureEndsOnlyItsOwnConnection() throws Exception {
    StreamServer.Handler<StreamConnection> picky =
        (connection, slot) -> {
          if (connection.inputStream().read() == 'x') {
            throw new IllegalStateException("handler bug");
          }
          connection.outputStream().write('y');
        };
    try (StreamServer<StreamConnection, InetSocketAddress> server = tcp(picky).build().start()) {
      try (Socket failing = connect(server)) {
        assertThat(roundTrip(failing, 'x')).isEqualTo(-1);
      }
      try (Socket fine = connect(server)) {
        assertThat(roundTrip(fine, 'a')).isEqualTo('y');
      }
    }
  }

  @Test
  void closeIsIdempotentClosesLiveConnectionsAndStopsListening() throws Exception {
    StreamServer<VsockConnection, VsockAddress> server =
        StreamServer.builder(
                "test-close",
                () -> network.listen(VsockAddress.anyCid(7001)),
                StreamServerTest::echo)
            .build()
            .start();
    try (VsockConnection client = network.connect(VsockAddress.of(16, 7001))) {
      client.readTimeout(Duration.ofMillis(PATIENCE_MILLIS));
      client.outputStream().write('z');
      assertThat(client.inputStream().read()).isEqualTo('z');

      server.close();
      server.close();

      assertThat(readOrReset(client.inputStream())).isEqualTo(-1);
      assertThatThrownBy(() -> network.connect(VsockAddress.of(16, 7001)))
          .isInstanceOf(ConnectException.class);
      assertThatThrownBy(server::start)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("close() already called");
    }
  }

  /** Busy for a while, undisturbed by the interrupt close() sends to the workers. */
  private static void cleanUpFor(long millis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (System.nanoTime() < end) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException ignored) {
        // close() interrupts the workers; this clean-up goes on regardless
      }
    }
  }

  @Test
  void closeReturnsForEveryCallerOnlyOnceEveryHandlerHasReturned() throws Exception {
    CountDownLatch serving = new CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean handlerReturned =
        new java.util.concurrent.atomic.AtomicBoolean();
    StreamServer<StreamConnection, InetSocketAddress> server =
        tcp((connection, slot) -> {
              serving.countDown();
              try {
                connection.inputStream().read(); // ends when close() closes the connection
              } finally {
                cleanUpFor(300); // a handler still cleaning up after its connection closed
                handlerReturned.set(true);
              }
            })
            .build()
            .start();
    try (Socket client = connect(server)) {
      assertThat(serving.await(PATIENCE_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
      java.util.concurrent.atomic.AtomicBoolean secondSawReturn =
          new java.util.concurrent.atomic.AtomicBoolean();
      Thread first = new Thread(server::close);
      first.start();
      while (!server.toString().contains("closed")) {
        Thread.onSpinWait();
      }
      server.close(); // the second caller, while the first is still closing
      secondSawReturn.set(handlerReturned.get());
      first.join(PATIENCE_MILLIS);

      assertThat(secondSawReturn).as("the second close() returned before the handler had").isTrue();
      assertThat(first.isAlive()).isFalse();
    }
  }

  @Test
  void aBinderFailureLeavesTheServerUnstarted() throws Exception {
    try (VsockListener taken = network.listen(VsockAddress.anyCid(7002))) {
      StreamServer<VsockConnection, VsockAddress> server =
          StreamServer.builder(
                  "test-bind",
                  () -> network.listen(VsockAddress.anyCid(7002)),
                  StreamServerTest::echo)
              .build();
      assertThatThrownBy(server::start).isInstanceOf(BindException.class);
      assertThatThrownBy(server::localAddress).hasMessage("call start() first");
      server.close();
    }
  }

  @Test
  void misuseFailsWithMessagesSayingWhatToDo() throws Exception {
    StreamServer<StreamConnection, InetSocketAddress> server = tcp(StreamServerTest::echo).build();
    assertThatThrownBy(server::localAddress)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
    server.start();
    assertThatThrownBy(server::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("start() already called");
    server.close();
    assertThatThrownBy(() -> new ConnectionLimits(0, Duration.ofSeconds(1)))
        .hasMessage("max connections must be in 1..8192, was 0");
    assertThatThrownBy(() -> ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ZERO))
        .hasMessage("idle timeout must be positive, was PT0S");
    assertThatThrownBy(() -> tcp(StreamServerTest::echo).maxWaiting(-1))
        .hasMessage("max waiting must be in 0..8192, was -1");
  }
}
