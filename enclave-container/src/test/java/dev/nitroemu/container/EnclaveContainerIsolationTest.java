package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a container shares with an enclave: no network but vsock, a memory cap, nothing kept across
 * a restart.
 */
@RequiresDocker
class EnclaveContainerIsolationTest {

  private static EnclaveContainer probe(int memoryMib) {
    return new EnclaveContainer(ProbeImages.probe())
        .withMemoryMib(memoryMib)
        .withCpuCount(1)
        .waitingFor(EnclaveWaits.listeningOnVsockPort(ProbeImages.PORT));
  }

  @Test
  void onlyVsockLeavesTheEnclaveAndTheMemoryCapIsVisible() throws Exception {
    try (EnclaveContainer enclave = probe(256)) {
      enclave.start();
      assertThat(Probe.text(enclave, "DNS", "kms.us-east-1.amazonaws.com"))
          .startsWith("FAILED java.net.UnknownHostException");
      int kmsPort = enclave.environment().info().kmsEndpoint().getPort();
      // The KMS mock listens on the host's loopback: from inside, that address is the container's
      // own.
      assertThat(Probe.text(enclave, "TCP", "127.0.0.1:" + kmsPort))
          .startsWith("FAILED java.net.ConnectException");
      // The host seen from Docker's default bridge: unreachable without a network.
      assertThat(Probe.text(enclave, "TCP", "172.17.0.1:" + kmsPort))
          .startsWith("FAILED")
          .containsIgnoringCase("unreachable");
      assertThat(Probe.text(enclave, "MEMORY"))
          .contains("limit=" + (256L << 20))
          .contains("cpus=1");
    }
  }

  @Test
  void aFileWrittenBeforeARestartIsGoneAfterIt() throws Exception {
    try (EnclaveContainer enclave = probe(256)) {
      enclave.start();
      assertThat(Probe.text(enclave, "WRITE_FILE", "/var/lib/probe/state", "before restart"))
          .isEqualTo("written");
      assertThat(Probe.text(enclave, "READ_FILE", "/var/lib/probe/state"))
          .isEqualTo("before restart");
      long cidBefore = enclave.enclaveCid();
      enclave.stop();
      enclave.start();
      assertThat(Probe.text(enclave, "READ_FILE", "/var/lib/probe/state")).isEqualTo("ABSENT");
      assertThat(enclave.enclaveCid()).isGreaterThanOrEqualTo(16);
      assertThat(cidBefore).isGreaterThanOrEqualTo(16);
    }
  }

  @Test
  void theExitCodeAndAnOutOfMemoryEndAreReported() throws Exception {
    try (EnclaveContainer exiting = probe(128)) {
      exiting.start();
      assertThat(Probe.text(exiting, "EXIT", 3)).isEqualTo("exiting");
      Optional<EnclaveTermination> ended = exiting.awaitTermination(Duration.ofSeconds(30));
      assertThat(ended)
          .hasValueSatisfying(
              t -> {
                assertThat(t.exitCode()).isEqualTo(3);
                assertThat(t.outOfMemory()).isFalse();
              });
      assertThat(exiting.describe()).contains("\"State\": \"TERMINATED\"");
    }
    try (EnclaveContainer allocating = probe(128)) {
      allocating.start();
      try {
        Probe.call(allocating, "ALLOCATE");
      } catch (java.io.IOException expected) {
        // the enclave dies mid-call
      }
      Optional<EnclaveTermination> ended = allocating.awaitTermination(Duration.ofSeconds(60));
      assertThat(ended)
          .hasValueSatisfying(
              t -> {
                assertThat(t.outOfMemory()).isTrue();
                assertThat(t.exitCode()).isEqualTo(137);
              });
    }
  }
}
