package dev.nitroemu.cli;

import dev.nitroemu.container.NitroCliJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code nitro-emu describe-enclaves}: the running stack's enclaves as nitro-cli's JSON array. */
@Command(
    name = "describe-enclaves",
    mixinStandardHelpOptions = true,
    header =
        "Lists the running stack's enclaves as nitro-cli describe-enclaves does (a JSON array).",
    description =
        "EnclaveName, EnclaveID, ProcessID, EnclaveCID, NumberOfCPUs, CPUIDs, MemoryMiB, State, Flags,"
            + " Measurements per enclave; [] when none runs.")
final class DescribeEnclavesCommand extends CliCommand {
  @Mixin StateDirOption stateDir;

  @Override
  public void run() {
    try (EnclaveControl.Session session = EnclaveControl.Session.open(stateDir.resolve(env))) {
      spec.commandLine()
          .getOut()
          .println(
              NitroCliJson.pretty(
                  session.call(EnclaveControl.request("describe")).path("enclaves")));
      spec.commandLine().getOut().flush();
    }
  }
}
