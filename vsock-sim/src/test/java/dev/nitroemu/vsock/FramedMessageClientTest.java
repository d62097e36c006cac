package dev.nitroemu.vsock;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.FramedMessageClient;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
@SuppressWarnings(
    "try") // Resources opened only for their lifetime, and close() called to test idempotency.
class FramedMessageClientTest {

  private static final VsockAddress ADDRESS = VsockAddress.of(16, 9100);

  private final VsockNetwork network = VsockNetwork.create();

  @AfterEach
  void closeNetwork() throws IOException {
    network.close();
  }

  @Test
  void callsFromManyThreadsEachGetTheirOwnReply() throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(16);
    try (FramedMessageServer server =
            FramedMessageServer.builder(network, request -> request)
                .listenAddress(ADDRESS)
                .build()
                .start();
        FramedMessageClient client =
            FramedMessageClient.connect(network, ADDRESS, Duration.ofSeconds(5))) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        int thread = t;
        results.add(
            threads.submit(
                () -> {
                  start.await();
                  for (int i = 0; i < 50; i++) {
                    byte[] request = new byte[1000 + thread * 100 + i];
                    request[0] = (byte) thread;
                    request[request.length - 1] = (byte) i;
                    byte[] reply = client.call(request);
                    if (reply.length != request.length
                        || reply[0] != thread
                        || reply[reply.length - 1] != (byte) i) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      start.countDown();
      for (Future<Boolean> result : results) {
        assertThat(result.get(20, TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void replyLargerThanTheLimitBreaksTheClient() throws Exception {
    try (FramedMessageServer server =
            FramedMessageServer.builder(network, request -> new byte[2000])
                .listenAddress(ADDRESS)
                .build()
                .start();
        FramedMessageClient client = FramedMessageClient.over(network.connect(ADDRESS), 1000)) {
      assertThatThrownBy(() -> client.call(new byte[1]))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("reply of 2000 bytes exceeds the limit of 1000");
      assertThatThrownBy(() -> client.call(new byte[1])).hasMessageContaining("closed");
    }
  }

  @Test
  void requestOver64KibIsRejectedBeforeSending() throws Exception {
    try (FramedMessageServer server =
            FramedMessageServer.builder(network, request -> request)
                .listenAddress(ADDRESS)
                .build()
                .start();
        FramedMessageClient client =
            FramedMessageClient.connect(network, ADDRESS, Duration.ofSeconds(5))) {
      assertThatThrownBy(() -> client.call(new byte[FramedMessageServer.MAX_FRAME_SIZE + 1]))
          .isInstanceOf(IllegalArgumentException.class);
      assertThat(client.call("ok".getBytes(UTF_8))).asString(UTF_8).isEqualTo("ok");
      assertThat(client.serverAddress()).isEqualTo(ADDRESS);
    }
  }

  @Test
  void readTimeoutBoundsTheWaitForAReply() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    FramedMessageServer.Handler slow =
        request -> {
          release.await();
          return request;
        };
    try (FramedMessageServer server =
            FramedMessageServer.builder(network, slow).listenAddress(ADDRESS).build().start();
        FramedMessageClient client =
            FramedMessageClient.connect(network, ADDRESS, Duration.ofSeconds(5))) {
      client.readTimeout(Duration.ofMillis(100));
      assertThatThrownBy(() -> client.call(new byte[1])).isInstanceOf(SocketTimeoutException.class);
    } finally {
      release.countDown();
    }
  }

  @Test
  void connectingWhereNoServerListensIsRefused() {
    assertThatThrownBy(() -> FramedMessageClient.connect(network, ADDRESS, Duration.ofSeconds(1)))
        .isInstanceOf(java.net.ConnectException.class);
  }
}
