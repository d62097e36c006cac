package dev.nitroemu.junit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** Checks that a KMS mock no longer serves on a port, robust against another process reusing the port. */
final class KmsPorts {

  private KmsPorts() {}

  /** Passes if nothing listens on {@code port}, or whatever listens there now does not answer as the KMS mock. */
  static void assertNotServingKms(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      socket.setSoTimeout(2000);
      socket.getOutputStream().write(("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.ListKeys\r\n"
          + "Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}").getBytes(US_ASCII));
      assertThat(readSome(socket.getInputStream())).as("port %s still answers as KMS", port)
          .doesNotContainIgnoringCase("x-amzn-RequestId");
    } catch (ConnectException | SocketTimeoutException expected) {
      // Refused (nothing there) or silent (someone else's port): either way not our KMS.
    } catch (IOException e) {
      // Reset or closed by a stranger: not our KMS either.
    }
  }

  private static String readSome(InputStream in) throws IOException {
    byte[] buffer = new byte[4096];
    int n = in.read(buffer);
    return n < 0 ? "" : new String(buffer, 0, n, US_ASCII);
  }
}
