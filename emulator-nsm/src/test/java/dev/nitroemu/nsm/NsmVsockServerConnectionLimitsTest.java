package dev.nitroemu.nsm;

import static dev.nitroemu.nsm.NsmVsockServerFixtures.ADDRESS;
import static dev.nitroemu.nsm.NsmVsockServerFixtures.DESCRIBE_NSM;
import static dev.nitroemu.nsm.NsmVsockServerFixtures.writeFrameHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.FramedMessageClient;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.nsm.NsmVsockServerFixtures.DelegatingNsm;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NsmVsockServer under the connection limits: idle, half-sent and surplus connections (issue 9).
 */
@Timeout(60)
@SuppressWarnings("try") // Servers opened only to be running during the try block.
class NsmVsockServerConnectionLimitsTest {
  private static final byte[] HELD_REPLY = {7, 7};
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final VsockNetwork network = VsockNetwork.create();
  private final SoftwareNsm nsm = SoftwareNsm.create();
  private NsmVsockServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = NsmVsockServer.start(nsm, network, ADDRESS);
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    network.close();
  }

  /**
   * Issue 9: 256 idle connections, or connections stuck halfway through a frame, blocked every
   * further request, because the server took one of its 256 slots before accepting and then read
   * with no timeout. On that code the newcomer below is never served and its 20 s read timeout
   * fails the call; now, with the default limits, it takes the place of the connection that has
   * waited longest for its client.
   */
  @Test
  void idleAndHalfSentConnectionsDoNotKeepAFurtherClientFromItsAnswer() throws Exception {
    int squatters = ConnectionLimits.DEFAULT_MAX_CONNECTIONS;
    List<VsockConnection> open = new ArrayList<>();
    try {
      for (int i = 0; i < squatters; i++) {
        VsockConnection connection = network.connect(ADDRESS);
        open.add(connection);
        if (i % 2 == 1) {
          writeFrameHeader(connection, 100, new byte[10]); // Stuck 90 bytes short of its frame.
        }
      }
      awaitActiveConnections(server, squatters);

      assertThat(callUntilAnswered(ADDRESS, DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    } finally {
      open.forEach(Closeables::closeQuietly);
    }
  }

  /** Issue 9: a client that sends part of a frame and then nothing held its connection for ever. */
  @Test
  void aSlowlorisClientIsDisconnectedAfterTheIdleTimeout() throws Exception {
    VsockAddress address = VsockAddress.of(16, 9798);
    ConnectionLimits quick = ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(300));
    try (NsmVsockServer impatient = NsmVsockServer.start(nsm, network, address, quick);
        VsockConnection slowloris = network.connect(address)) {
      slowloris.readTimeout(PATIENCE);
      writeFrameHeader(slowloris, DESCRIBE_NSM.length, new byte[] {DESCRIBE_NSM[0]});

      assertThat(readOrReset(slowloris))
          .as("closed by the server, not by our read timeout")
          .isEqualTo(-1);
      awaitActiveConnections(impatient, 0);
    }
  }

  /**
   * Issue 9: more connections than the cap waited unaccepted for ever. Now, when every connection
   * has a request in the module, a newcomer is closed at once; on the old code its call hangs until
   * its 20 s read timeout, which this test tells apart from a refusal.
   */
  @Test
  void connectionsBeyondTheCapAreRefusedPromptlyWhileEveryOneIsBusy() throws Exception {
    byte[] hold = {42};
    CountDownLatch inModule = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    VsockAddress address = VsockAddress.of(16, 9799);
    UnaryOperator<byte[]> holding =
        request -> {
          if (request.length == 1 && request[0] == hold[0]) {
            inModule.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return HELD_REPLY.clone();
          }
          return nsm.process(request);
        };
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (DelegatingNsm module = new DelegatingNsm(holding);
        NsmVsockServer capped =
            NsmVsockServer.start(
                module, network, address, ConnectionLimits.DEFAULT.withMaxConnections(2))) {
      List<Future<byte[]>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        held.add(
            callers.submit(
                () -> {
                  try (FramedMessageClient client =
                      FramedMessageClient.connect(network, address, PATIENCE)) {
                    client.readTimeout(PATIENCE);
                    return client.call(hold);
                  }
                }));
      }
      assertThat(inModule.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();

      try (FramedMessageClient newcomer = FramedMessageClient.connect(network, address, PATIENCE)) {
        newcomer.readTimeout(PATIENCE);
        assertThatThrownBy(() -> newcomer.call(DESCRIBE_NSM))
            .isInstanceOf(IOException.class)
            .isNotInstanceOf(SocketTimeoutException.class);
      }
      assertThat(capped.refusedConnections()).isEqualTo(1);

      release.countDown();
      for (Future<byte[]> reply : held) {
        assertThat(reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(HELD_REPLY);
      }
      assertThat(callUntilAnswered(address, DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    } finally {
      release.countDown();
      callers.shutdownNow();
    }
  }

  /**
   * The service closes connections unused for its idle timeout; RemoteNsm keeps one connection for
   * all its calls, and before it checked for that close its next call failed with InternalError.
   */
  @Test
  void remoteNsmReopensAConnectionTheServiceClosedWhileUnused() throws Exception {
    VsockAddress address = VsockAddress.of(16, 9800);
    ConnectionLimits quick = ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(1500));
    try (NsmVsockServer impatient = NsmVsockServer.start(nsm, network, address, quick);
        RemoteNsm remote = RemoteNsm.connect(network, address)) {
      assertThat(remote.process(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));

      awaitActiveConnections(impatient, 0); // The service closed the unused connection.

      assertThat(remote.process(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  /**
   * Calls on fresh connections until one is answered (a full server may refuse a newcomer) or
   * patience runs out.
   */
  private byte[] callUntilAnswered(VsockAddress address, byte[] request) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      try (FramedMessageClient client = FramedMessageClient.connect(network, address, PATIENCE)) {
        client.readTimeout(PATIENCE);
        return client.call(request);
      } catch (SocketTimeoutException hung) {
        throw hung; // Not refused: left waiting, which is the failure this guards against.
      } catch (IOException refused) {
        if (System.nanoTime() > deadline) {
          throw refused;
        }
        Thread.sleep(20);
      }
    }
  }

  private static void awaitActiveConnections(NsmVsockServer server, int expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (server.activeConnections() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(server.activeConnections()).isEqualTo(expected);
  }

  private static int readOrReset(VsockConnection connection) throws IOException {
    try {
      return connection.inputStream().read();
    } catch (java.net.SocketException reset) {
      return -1;
    }
  }
}
