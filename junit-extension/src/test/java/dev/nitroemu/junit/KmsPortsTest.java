package dev.nitroemu.junit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.kms.KmsMockServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link KmsPorts#assertNotServingKms} passes only on a definite "not KMS" and fails on silence.
 */
@Timeout(60)
class KmsPortsTest {
  private static final Duration SHORT = Duration.ofMillis(300);

  private final ExecutorService peers = Executors.newCachedThreadPool();

  @AfterEach
  void stopPeers() {
    peers.shutdownNow();
  }

  @Test
  void aRefusedConnectionPasses() throws IOException {
    int port;
    try (ServerSocket closedAgain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closedAgain.getLocalPort();
    }
    KmsPorts.assertNotServingKms(port);
  }

  @Test
  void aRunningKmsMockFails() throws IOException {
    try (KmsMockServer kms = KmsMockServer.builder().build().start()) {
      assertThatThrownBy(() -> KmsPorts.assertNotServingKms(kms.port()))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("still answers as KMS");
    }
  }

  @Test
  void aListenerThatNeverAnswersFailsInsteadOfPassingOnTheTimeout() throws IOException {
    try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      peers.submit(
          () -> {
            try (Socket accepted = silent.accept()) {
              accepted
                  .getInputStream()
                  .readAllBytes(); // holds the connection open, answering nothing
            }
            return null;
          });
      assertThatThrownBy(() -> KmsPorts.assertNotServingKms(silent.getLocalPort(), SHORT))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("neither refused the connection nor answered");
    }
  }

  @Test
  void aStrangerAnsweringSomethingElsePasses() throws IOException {
    try (ServerSocket stranger = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      peers.submit(
          () -> {
            try (Socket accepted = stranger.accept()) {
              InputStream in = accepted.getInputStream();
              in.read(new byte[4096]);
              accepted
                  .getOutputStream()
                  .write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(US_ASCII));
              accepted.getOutputStream().flush();
              in.readAllBytes();
            }
            return null;
          });
      KmsPorts.assertNotServingKms(stranger.getLocalPort());
    }
  }
}
