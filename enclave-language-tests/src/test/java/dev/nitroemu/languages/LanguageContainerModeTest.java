package dev.nitroemu.languages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.nitroemu.container.EnclaveContainer;
import dev.nitroemu.container.EnclaveTermination;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.testcontainers.DockerClientFactory;

/**
 * Container mode: each program of the matrix, unmodified, in a {@code FROM scratch} image built
 * from this machine's files, run by {@code EnclaveContainer.withSupervisor()} (nitro-emu-init as
 * PID 1, Docker's default seccomp profile minus its AF_VSOCK denial), checked against the program
 * contract (module README).
 */
class LanguageContainerModeTest {

  private static final long ECHO_PORT = 5205;
  private static final long LISTEN_PORT = 5206;
  private static final Duration POLL = Duration.ofMillis(100);

  @ParameterizedTest(name = "{0}")
  @EnumSource(Program.class)
  void followsTheProgramContractInAContainer(Program program) throws Exception {
    assumeThat(DockerClientFactory.instance().isDockerAvailable())
        .as(
            "Docker is not available (no daemon at DOCKER_HOST or /var/run/docker.sock):"
                + " container mode needs one; .ci/run starts Debian's dockerd")
        .isTrue();
    assumeThat(program.unavailableReason()).as("%s cannot run here", program).isEmpty();
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    Path staging = Files.createDirectories(Path.of("target", "image-staging"));
    List<String> arguments =
        List.of(
            HexFormat.of().formatHex(nonce), Long.toString(ECHO_PORT), Long.toString(LISTEN_PORT));

    try (ProgramContainer enclave =
        new ProgramContainer(ProgramImages.image(program, arguments, staging), ECHO_PORT)) {
      enclave.withSupervisor();
      try {
        enclave.start();
      } catch (RuntimeException e) {
        throw new AssertionError(
            program + " did not start as an enclave; console:\n" + enclave.consoleOutput(), e);
      }
      if (awaitListening(enclave)) {
        enclave.parent().connectIntoEnclave(() -> enclave.connect(LISTEN_PORT));
      }
      Optional<EnclaveTermination> end = enclave.awaitTermination(ParentPeers.WAIT);
      assertThat(end).as("the program ended; console:\n%s", enclave.consoleOutput()).isPresent();
      ProgramTranscript transcript =
          new ProgramTranscript(
              (int) end.get().exitCode(),
              enclave.consoleOutput().lines().toList(),
              "console (stdout and stderr)");

      transcript.assertCompleted();
      transcript.assertNsmSteps(enclave.before(), enclave.environment().verifier(), nonce);
      transcript.assertVsockSteps(enclave.enclaveCid(), ECHO_PORT, LISTEN_PORT);
      enclave.parent().assertBothDirections();
    }
  }

  /**
   * Polls the console (at most {@link ParentPeers#WAIT}) for step 1; false if the enclave ended.
   */
  private static boolean awaitListening(EnclaveContainer enclave) throws InterruptedException {
    long deadline = System.nanoTime() + ParentPeers.WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      if (enclave.consoleOutput().lines().anyMatch(line -> line.startsWith("listening "))) {
        return true;
      }
      if (enclave.termination().isPresent()) {
        return false;
      }
      Thread.sleep(POLL.toMillis());
    }
    return false;
  }
}
