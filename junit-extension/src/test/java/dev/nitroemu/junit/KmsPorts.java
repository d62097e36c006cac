package dev.nitroemu.junit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/**
 * Checks that a KMS mock no longer serves on a port. It passes only on a definite answer: the
 * connection is refused (nothing listens), the peer closes or resets it without answering, or it
 * answers with something that is not the KMS mock (no {@code x-amzn-RequestId}), e.g. another
 * process that reused the port. Silence is not an answer: a connect or read that times out fails.
 */
final class KmsPorts {

  /** How long to wait for a refusal or an answer before failing. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private KmsPorts() {}

  /**
   * Asserts that nothing on {@code port} answers as the KMS mock, waiting {@link #DEFAULT_TIMEOUT}
   * at most.
   */
  static void assertNotServingKms(int port) {
    assertNotServingKms(port, DEFAULT_TIMEOUT);
  }

  /**
   * Asserts that nothing on {@code port} answers as the KMS mock, waiting {@code timeout} at most.
   */
  static void assertNotServingKms(int port, Duration timeout) {
    int millis = (int) timeout.toMillis();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), millis);
      socket.setSoTimeout(millis);
      socket
          .getOutputStream()
          .write(
              ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.ListKeys\r\n"
                      + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}")
                  .getBytes(US_ASCII));
      assertThat(readSome(socket.getInputStream()))
          .as("port %s still answers as KMS", port)
          .doesNotContainIgnoringCase("x-amzn-RequestId");
    } catch (ConnectException refused) {
      // Nothing listens: the definite answer expected after close.
    } catch (SocketTimeoutException e) {
      fail(
          "port "
              + port
              + " neither refused the connection nor answered within "
              + timeout
              + ": cannot tell whether the KMS mock still serves there",
          e);
    } catch (SocketException closedByPeer) {
      // Reset, or closed while we wrote: whatever is there does not serve KMS.
    } catch (IOException e) {
      fail("cannot check port " + port + ": " + e, e);
    }
  }

  private static String readSome(InputStream in) throws IOException {
    byte[] buffer = new byte[4096];
    int n = in.read(buffer);
    return n < 0 ? "" : new String(buffer, 0, n, US_ASCII);
  }
}
