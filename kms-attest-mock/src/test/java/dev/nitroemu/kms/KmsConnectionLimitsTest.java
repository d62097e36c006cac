package dev.nitroemu.kms;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.ConnectionLimits;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * Issue 9: the KMS mock never closed idle connections and had no connection cap, so idle and
 * slowloris connections stayed for ever. On that code each read below waits out its 20 s timeout
 * instead of seeing the server close the connection. Real sockets; waits bounded.
 */
@Timeout(60)
@SuppressWarnings("try") // Sockets opened only to be connected during the try block.
class KmsConnectionLimitsTest {

  private static final int PATIENCE_MILLIS = 20_000;
  private static final ConnectionLimits QUICK =
      ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(300));

  private static Socket connect(KmsMockServer server) throws IOException {
    Socket socket = new Socket("127.0.0.1", server.port());
    socket.setSoTimeout(PATIENCE_MILLIS);
    return socket;
  }

  /**
   * A read that takes a reset for the end of stream: both mean the server closed the connection.
   */
  private static int readOrReset(Socket socket) throws IOException {
    try {
      InputStream in = socket.getInputStream();
      return in.read();
    } catch (SocketException reset) {
      return -1;
    }
  }

  @Test
  void anIdleConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (KmsMockServer server = KmsMockServer.builder().connectionLimits(QUICK).build().start();
        Socket idle = connect(server)) {
      assertThat(readOrReset(idle))
          .as("closed by the server, not by our read timeout")
          .isEqualTo(-1);
    }
  }

  @Test
  void aHalfSentRequestIsClosedAfterTheIdleTimeout() throws Exception {
    try (KmsMockServer server = KmsMockServer.builder().connectionLimits(QUICK).build().start();
        Socket slowloris = connect(server)) {
      slowloris
          .getOutputStream()
          .write(
              ("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"Key")
                  .getBytes(US_ASCII));
      slowloris.getOutputStream().flush();

      assertThat(readOrReset(slowloris))
          .as("closed by the server, not by our read timeout")
          .isEqualTo(-1);
    }
  }

  @Test
  void connectionsBeyondTheCapAreClosedAtOnceAndTheServerKeepsServing() throws Exception {
    ConnectionLimits two = ConnectionLimits.DEFAULT.withMaxConnections(2);
    try (KmsMockServer server = KmsMockServer.builder().connectionLimits(two).build().start()) {
      try (Socket first = connect(server);
          Socket second = connect(server);
          Socket third = connect(server)) {
        assertThat(readOrReset(third)).as("refused at once, not left waiting").isEqualTo(-1);
      }
      try (KmsClient client = KmsTestClients.client(server)) { // Retries while the two closes land.
        assertThat(client.generateRandom(r -> r.numberOfBytes(8)).plaintext().asByteArray())
            .hasSize(8);
      }
    }
  }
}
