package dev.nitroemu.cli;

import dev.nitroemu.container.NitroCliJson;
import dev.nitroemu.enclave.EifException;
import dev.nitroemu.enclave.EifFile;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code nitro-emu describe-eif FILE}: what {@code nitro-cli describe-eif} prints, read by
 * nitro-emu's own reader.
 */
@Command(
    name = "describe-eif",
    mixinStandardHelpOptions = true,
    description = {
      "Prints an EIF's version, PCR0/1/2 (and PCR8 when signed), signature and CRC checks and metadata,",
      "as nitro-cli describe-eif does. Exit 1 for a file that is not an intact EIF."
    })
final class DescribeEifCommand extends CliCommand {
  @Parameters(index = "0", paramLabel = "FILE", description = "the .eif file")
  String file;

  @Override
  public void run() {
    EifFile eif = readIntact(file, env);
    spec.commandLine().getOut().println(NitroCliJson.pretty(EifDescription.describe(eif)));
  }

  /** Reads an EIF and refuses a bad CRC or signature, each as one line. */
  static EifFile readIntact(String file, NitroEmu.CliEnvironment env) {
    try {
      return EifFile.read(env.resolve(file)).requireIntact();
    } catch (EifException e) {
      throw new CliFailure(file + ": " + e.getMessage());
    } catch (NoSuchFileException e) {
      throw new CliFailure(file + ": no such file");
    } catch (IOException e) {
      throw new CliFailure(file + ": cannot read: " + e.getMessage());
    }
  }
}
