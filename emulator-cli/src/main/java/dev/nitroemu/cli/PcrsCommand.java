package dev.nitroemu.cli;

import dev.nitroemu.nsm.EnclaveProfile;
import java.io.PrintWriter;
import java.util.HexFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nitro-emu pcrs}: prints the boot PCRs an enclave profile yields. */
@Command(
    name = "pcrs",
    mixinStandardHelpOptions = true,
    description = "Prints the PCRs 0..15 an emulated enclave with this profile reports at boot.")
final class PcrsCommand extends CliCommand {
  @Option(names = "--profile", paramLabel = "FILE.json", description = "nitro-cli build-enclave/describe-eif output (default: the built-in profile)")
  String profile;

  @Option(names = "--debug", description = "debug mode: PCR0/1/2/8 read as zero")
  boolean debug;

  @Option(names = "--iam-role", paramLabel = "ARN", description = "IAM role of the parent instance (sets PCR3)")
  String iamRole;

  @Option(names = "--instance-id", paramLabel = "ID", description = "parent instance id (sets PCR4)")
  String instanceId;

  @Override
  public void run() {
    EnclaveProfile base = CliSupport.profile(env, profile);
    EnclaveProfile.Builder builder = base.toBuilder().debug(debug || base.debug());
    try {
      if (iamRole != null) {
        builder.iamRoleArn(iamRole);
      }
      if (instanceId != null) {
        builder.instanceId(instanceId);
      }
    } catch (IllegalArgumentException e) {
      throw new CliFailure(e.getMessage(), 2);
    }
    EnclaveProfile enclave = builder.build();
    PrintWriter out = spec.commandLine().getOut();
    HexFormat hex = HexFormat.of();
    enclave.bootPcrs().forEach((index, value) -> out.printf("PCR%-2d %s%n", index, hex.formatHex(value)));
  }
}
