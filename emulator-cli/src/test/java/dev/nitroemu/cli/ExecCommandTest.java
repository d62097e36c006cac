package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nitro-emu exec}: a host program under nitro-emu-init against a stack's hybrid vsock
 * directory.
 */
class ExecCommandTest {

  @TempDir Path dir;

  record Run(int exitCode, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(Map.of(), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void withoutAStackOnTheDirectoryItSaysHowToStartOne() {
    Run run = run("exec", "--vsock-dir", "vsock", "--", "/bin/true");

    assertThat(run.exitCode()).isEqualTo(StatusCommand.NOT_RUNNING);
    assertThat(run.err()).contains("no NSM service at").contains("nitro-emu start --vsock-dir");
  }

  @Test
  void withoutADirectoryItIsABadArgument() {
    Run run = run("exec", "--", "/bin/true");

    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("give --vsock-dir DIR");
  }

  @Test
  void runsTheProgramWithDevNsmServedAndPassesItsExitStatus() throws Exception {
    assumeThat(SupervisorBinary.unavailableReason()).as("nitro-emu-init cannot run here").isEmpty();
    Path vsock = Files.createDirectories(dir.resolve("vsock"));
    try (EnclaveEnvironment environment =
            EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start();
        HybridVsockServices services = HybridVsockServices.serve(environment, vsock, 16)) {
      // No /dev/nsm on this host: opening it read-only succeeds only through the supervisor.
      assertThat(
              run("exec", "--vsock-dir", "vsock", "--", "/bin/sh", "-c", "exec 3</dev/nsm")
                  .exitCode())
          .isZero();
      assertThat(run("exec", "--vsock-dir", "vsock", "--", "/bin/sh", "-c", "exit 7").exitCode())
          .isEqualTo(7);
      assertThat(services.heartbeats()).as("one 0xB7 heartbeat per run").isEqualTo(2);
      // CID 3 is the parent's: the supervisor refuses it before running anything.
      assertThat(
              run("exec", "--vsock-dir", "vsock", "--enclave-cid", "3", "--", "/bin/true")
                  .exitCode())
          .isEqualTo(125);
      assertThat(services.heartbeats()).isEqualTo(2);
    }
  }
}
