package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parent's end of the 0xB7 boot heartbeat over hybrid vsock. */
class HeartbeatServerTest {

  private static final VsockAddress HEARTBEAT =
      VsockAddress.of(VsockAddress.CID_PARENT, HeartbeatServer.PORT);

  @TempDir Path directory;

  @Test
  void echoesTheHeartbeatByteAndCountsIt() throws IOException {
    try (HybridVsockTransport parent = HybridVsockTransport.parent(directory, "vsock", 16);
        HybridVsockTransport enclave = HybridVsockTransport.enclave(directory, "vsock", 16);
        HeartbeatServer server = HeartbeatServer.start(parent)) {
      int answer = beat(enclave, HeartbeatServer.HEARTBEAT);

      assertThat(answer).isEqualTo(0xB7);
      assertThat(server.beats()).isEqualTo(1);
    }
  }

  @Test
  void closesUnansweredOnAnyOtherByte() throws IOException {
    try (HybridVsockTransport parent = HybridVsockTransport.parent(directory, "vsock", 16);
        HybridVsockTransport enclave = HybridVsockTransport.enclave(directory, "vsock", 16);
        HeartbeatServer server = HeartbeatServer.start(parent)) {
      int answer = beat(enclave, 0x42);

      assertThat(answer).as("end of stream").isEqualTo(-1);
      assertThat(server.beats()).isZero();
    }
  }

  private static int beat(HybridVsockTransport enclave, int b) throws IOException {
    try (VsockConnection connection = enclave.connect(HEARTBEAT, Duration.ofSeconds(5))) {
      connection.outputStream().write(b);
      connection.outputStream().flush();
      connection.readTimeout(Duration.ofSeconds(10));
      return connection.inputStream().read();
    }
  }
}
