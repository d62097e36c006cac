package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Parent and enclave over hybrid vsock, both directions, with a real image in real Docker. */
@RequiresDocker
class EnclaveContainerChannelTest {

  private static EnclaveContainer enclave;

  @BeforeAll
  static void start() {
    enclave =
        new EnclaveContainer(ProbeImages.probe())
            .withEnclaveName("probe")
            .waitingFor(EnclaveWaits.listeningOnVsockPort(ProbeImages.PORT));
    enclave.start();
  }

  @AfterAll
  static void stop() {
    if (enclave != null) {
      enclave.stop();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 65_537, 1 << 20})
  void theParentReachesAnEnclavePortWithAnyPayload(int size) throws Exception {
    byte[] payload = Probe.pattern(size);
    assertThat(Probe.call(enclave, "ECHO", payload)).isEqualTo(payload);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1 << 20})
  void theEnclaveReachesAParentPortAtCid3(int size) throws Exception {
    byte[] payload = Probe.pattern(size);
    try (VsockListener parent = enclave.listenOnParent(7001)) {
      ExecutorService single = Executors.newSingleThreadExecutor();
      try {
        Future<VsockAddress> served =
            single.submit(
                () -> {
                  try (VsockConnection fromEnclave = parent.accept()) {
                    byte[] got = Probe.read(new DataInputStream(fromEnclave.inputStream()));
                    byte[] reply = new byte[got.length];
                    for (int i = 0; i < got.length; i++) {
                      reply[i] = (byte) ~got[i];
                    }
                    Probe.write(new DataOutputStream(fromEnclave.outputStream()), reply);
                    return fromEnclave.remoteAddress();
                  }
                });
        byte[] answer = Probe.call(enclave, "CALL_PARENT", 7001, payload);
        for (int i = 0; i < payload.length; i++) {
          assertThat(answer[i]).isEqualTo((byte) ~payload[i]);
        }
        assertThat(answer).hasSize(size);
        assertThat(served.get().cid()).isEqualTo(enclave.enclaveCid());
      } finally {
        single.shutdownNow();
      }
    }
  }

  @Test
  void manyConnectionsAtOnceAllGetTheirOwnAnswer() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> answers = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        byte[] payload = ("connection " + i).getBytes(StandardCharsets.UTF_8);
        answers.add(
            pool.submit(
                () -> java.util.Arrays.equals(Probe.call(enclave, "ECHO", payload), payload)));
      }
      for (Future<Boolean> answer : answers) {
        assertThat(answer.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void describeHasNitroCliShapeAndTheConsoleReachesTheTest() throws Exception {
    JsonNode described = new ObjectMapper().readTree(enclave.describe());
    assertThat(described.get("EnclaveName").asText()).isEqualTo("probe");
    assertThat(described.get("EnclaveCID").asLong())
        .isEqualTo(enclave.enclaveCid())
        .isGreaterThanOrEqualTo(16);
    assertThat(described.get("EnclaveID").asText()).matches("i-[0-9a-f]+-enc[0-9a-f]{16}");
    assertThat(described.get("MemoryMiB").asInt()).isEqualTo(EnclaveContainer.DEFAULT_MEMORY_MIB);
    assertThat(described.get("NumberOfCPUs").asInt()).isEqualTo(EnclaveContainer.DEFAULT_CPU_COUNT);
    assertThat(described.get("State").asText()).isEqualTo("RUNNING");
    assertThat(described.get("Flags").asText()).isEqualTo("NONE");
    assertThat(described.get("ProcessID").asLong()).isPositive();
    assertThat(described.at("/Measurements/PCR0").asText())
        .isEqualTo(enclave.measurements().hex(0));
    assertThat(enclave.consoleOutput()).contains("probe enclave listening on vsock port 5000");
  }
}
