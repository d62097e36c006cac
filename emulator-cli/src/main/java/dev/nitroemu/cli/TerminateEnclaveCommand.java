package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.container.NitroCliJson;
import java.io.PrintWriter;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu terminate-enclave}: ends one enclave of the running stack, or all, as nitro-cli
 * does.
 */
@Command(
    name = "terminate-enclave",
    mixinStandardHelpOptions = true,
    header =
        "Terminates an enclave of the running stack (or --all), printing nitro-cli's JSON per enclave.",
    description = "Prints {EnclaveName, EnclaveID, Terminated} for each enclave terminated.")
final class TerminateEnclaveCommand extends CliCommand {
  @Mixin StateDirOption stateDir;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Which which;

  /** --enclave-id ID or --all. */
  static final class Which {
    @Option(
        names = "--enclave-id",
        paramLabel = "ID",
        description = "the enclave (describe-enclaves' EnclaveID)")
    String enclaveId;

    @Option(names = "--all", description = "every enclave of the stack")
    boolean all;
  }

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try (EnclaveControl.Session session = EnclaveControl.Session.open(stateDir.resolve(env))) {
      JsonNode answer =
          session.call(
              which.all
                  ? EnclaveControl.request("terminate").put("all", true)
                  : EnclaveControl.request("terminate").put("id", which.enclaveId));
      for (JsonNode terminated : answer.path("terminated")) {
        err.println(
            "Successfully terminated enclave " + terminated.path("EnclaveID").asText() + ".");
        err.flush();
        out.println(NitroCliJson.pretty(terminated));
      }
      out.flush();
    }
  }
}
