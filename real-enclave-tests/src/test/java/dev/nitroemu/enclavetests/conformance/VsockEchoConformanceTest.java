package dev.nitroemu.enclavetests.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.FramedMessageClient;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import dev.nitroemu.vsock.FramedMessageServer;
import java.io.IOException;
import java.net.ConnectException;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * vsock between the enclave and its parent (CID 3) through the injected transport: length-prefixed
 * frames come back unchanged, and a port nobody listens on refuses the connection.
 *
 * <p>On hardware the parent's {@code ResultCollector --echo-port} answers at {@value
 * #ECHO_ADDRESS_VARIABLE} (default {@code vsock://3:5006}); emulated, the test plays the parent on
 * the environment's vsock network, at CID 3 as well.
 */
@NitroEnclaveTest
class VsockEchoConformanceTest {

  /** Where the parent's echo service listens, as the enclave image sets it. */
  static final String ECHO_ADDRESS_VARIABLE = "NITRO_PARENT_ECHO_ADDRESS";

  private static final SecureRandom RANDOM = new SecureRandom();

  private FramedMessageServer emulatedParent;

  @AfterEach
  void stopEmulatedParent() throws IOException {
    if (emulatedParent != null) {
      emulatedParent.close();
    }
  }

  @Test
  void theParentEchoesFramesOfEverySizeBack(VsockTransport transport, EnclaveRuntimeInfo info)
      throws IOException {
    try (FramedMessageClient client =
        FramedMessageClient.connect(
            transport, parentEcho(transport, info), Duration.ofSeconds(10))) {
      client.readTimeout(Duration.ofSeconds(30));
      for (int size : new int[] {0, 1, 4096, FramedMessageServer.MAX_FRAME_SIZE}) {
        byte[] frame = random(size);
        assertThat(client.call(frame)).as("%d-byte frame", size).isEqualTo(frame);
      }
    }
  }

  @Test
  void aPortNobodyListensOnRefusesTheConnection(VsockTransport transport) {
    assertThatThrownBy(
            () ->
                transport
                    .connect(
                        VsockAddress.of(VsockAddress.CID_PARENT, 59_999), Duration.ofSeconds(10))
                    .close())
        .isInstanceOf(ConnectException.class);
  }

  private VsockAddress parentEcho(VsockTransport transport, EnclaveRuntimeInfo info)
      throws IOException {
    if (info.mode() == NitroMode.REAL) {
      String configured = System.getenv(ECHO_ADDRESS_VARIABLE);
      return VsockAddress.parse(
          configured == null || configured.isBlank() ? "vsock://3:5006" : configured.trim());
    }
    emulatedParent =
        FramedMessageServer.builder(transport, request -> request)
            .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
            .build()
            .start();
    return emulatedParent.localAddress();
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
