package dev.nitroemu.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu console}: an enclave's console output until it ends, as {@code nitro-cli
 * console}.
 */
@Command(
    name = "console",
    mixinStandardHelpOptions = true,
    header =
        "Prints an enclave's console (the newest lines, then what follows) until it ends, as nitro-cli console.",
    description =
        "Only enclaves run with --debug-mode have a readable console (as with nitro-cli).")
final class EnclaveConsoleCommand extends CliCommand {
  @Mixin StateDirOption stateDir;

  @Option(
      names = "--enclave-id",
      required = true,
      paramLabel = "ID",
      description = "the enclave (describe-enclaves' EnclaveID)")
  String enclaveId;

  @Option(
      names = "--disconnect-timeout",
      paramLabel = "SECONDS",
      description = "stop after this many seconds (default: when the enclave ends)")
  Long disconnectSeconds;

  @Override
  public void run() {
    if (disconnectSeconds != null && disconnectSeconds < 1) {
      throw new CliFailure(
          "--disconnect-timeout: must be at least 1, was " + disconnectSeconds,
          EnclaveControl.E_INVALID_ARGUMENT);
    }
    stream(
        stateDir.resolve(env),
        enclaveId,
        disconnectSeconds == null ? null : Duration.ofSeconds(disconnectSeconds),
        spec.commandLine().getOut());
  }

  /**
   * Prints the console of enclave {@code id} of the stack on {@code stateDir}; see {@link
   * EnclaveControl.Session#streamConsole}.
   */
  static void stream(Path stateDir, String id, Duration timeout, PrintWriter out) {
    try (EnclaveControl.Session session = EnclaveControl.Session.open(stateDir)) {
      session.call(EnclaveControl.request("console").put("id", id));
      session.streamConsole(out, timeout);
    }
  }
}
