package dev.nitroemu.languages;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Host mode: each program of the matrix, unmodified, under {@code nitro-emu-init} on this host
 * against a fresh in-JVM emulator served on a hybrid vsock directory, checked against the program
 * contract (module README).
 */
class LanguageHostModeTest {

  private static final long ECHO_PORT = 5105;
  private static final long LISTEN_PORT = 5106;
  private static final long ENCLAVE_CID = EnclaveEnvironment.EMULATED_ENCLAVE_CID;

  @TempDir static Path directory;
  private static Path supervisor;

  @BeforeAll
  static void extractSupervisor() throws Exception {
    assumeThat(SupervisorBinary.unavailableReason()).as("nitro-emu-init cannot run here").isEmpty();
    supervisor = SupervisorBinary.extractTo(Files.createDirectories(directory.resolve("bin")));
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Program.class)
  void followsTheProgramContractUnderTheSupervisor(Program program) throws Exception {
    assumeThat(program.unavailableReason()).as("%s cannot run here", program).isEmpty();
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    Path vsock = Files.createTempDirectory(directory, "vsock-");

    try (EnclaveEnvironment environment =
            EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start();
        HybridVsockServices services = HybridVsockServices.serve(environment, vsock, ENCLAVE_CID);
        ParentPeers parent =
            new ParentPeers(
                services.transport().listen(VsockAddress.of(VsockAddress.CID_PARENT, ECHO_PORT)))) {
      NsmDescription before = environment.nsm().describeNsm();
      List<String> command =
          new ArrayList<>(
              List.of(
                  supervisor.toString(),
                  "--vsock-dir",
                  vsock.toString(),
                  "--cid",
                  Long.toString(ENCLAVE_CID),
                  "--",
                  program.path().toString(),
                  HexFormat.of().formatHex(nonce),
                  Long.toString(ECHO_PORT),
                  Long.toString(LISTEN_PORT)));
      ProgramTranscript transcript;
      try (HostRun run =
          HostRun.start(command, Files.createTempFile(directory, "stderr", ".txt"))) {
        if (run.awaitListening(ParentPeers.WAIT)) {
          parent.connectIntoEnclave(
              () ->
                  services
                      .transport()
                      .connect(VsockAddress.of(ENCLAVE_CID, LISTEN_PORT), Duration.ofSeconds(10)));
        }
        transcript = run.finish(ParentPeers.WAIT);
      }

      transcript.assertCompleted();
      transcript.assertNsmSteps(before, environment.verifier(), nonce);
      transcript.assertVsockSteps(ENCLAVE_CID, ECHO_PORT, LISTEN_PORT);
      parent.assertBothDirections();
    }
  }
}
