package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A loopback TCP port forwarded to a vsock address over the hybrid transport, as an enclave reaches
 * 3:8000.
 */
class LoopbackForwarderTest {

  private static final int ENCLAVE_CID = 21;

  @TempDir Path directory;
  private HybridVsockTransport parent;
  private HybridVsockTransport enclave;

  @BeforeEach
  void transports() throws IOException {
    parent = HybridVsockTransport.parent(directory, "vsock", ENCLAVE_CID);
    enclave = HybridVsockTransport.enclave(directory, "vsock", ENCLAVE_CID);
  }

  @AfterEach
  void close() {
    enclave.close();
    parent.close();
  }

  @Test
  void bytesWrittenToTheLoopbackPortReachTheParentServiceAndComeBack() throws Exception {
    byte[] payload = new byte[300_000];
    new Random(7).nextBytes(payload);
    try (EchoService echo = EchoService.on(parent, VsockAddress.of(VsockAddress.CID_PARENT, 8000));
        LoopbackForwarder forwarder =
            LoopbackForwarder.start(enclave, VsockAddress.of(VsockAddress.CID_PARENT, 8000));
        Socket client =
            new Socket(forwarder.address().getAddress(), forwarder.address().getPort())) {
      client.getOutputStream().write(payload);
      client.shutdownOutput();
      assertThat(client.getInputStream().readAllBytes()).isEqualTo(payload);
      assertThat(forwarder.httpEndpoint().toString())
          .isEqualTo("http://127.0.0.1:" + forwarder.address().getPort());
      assertThat(echo.accepted.take().remoteAddress().cid()).isEqualTo(ENCLAVE_CID);
    }
  }

  @Test
  void aConnectionTheVsockSideRefusesIsClosedAndTheForwarderKeepsServing() throws Exception {
    try (LoopbackForwarder forwarder =
        LoopbackForwarder.start(enclave, VsockAddress.of(VsockAddress.CID_PARENT, 8001))) {
      try (Socket client =
          new Socket(forwarder.address().getAddress(), forwarder.address().getPort())) {
        assertThat(client.getInputStream().read()).isEqualTo(-1); // nobody listens on 3:8001
      }
      try (EchoService echo =
              EchoService.on(parent, VsockAddress.of(VsockAddress.CID_PARENT, 8001));
          Socket client =
              new Socket(forwarder.address().getAddress(), forwarder.address().getPort())) {
        client.getOutputStream().write("again".getBytes(StandardCharsets.UTF_8));
        client.shutdownOutput();
        InputStream in = client.getInputStream();
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("again");
      }
    }
  }
}
