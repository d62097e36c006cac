package dev.nitroemu.cli;

import dev.nitroemu.nsm.EnclaveProfile;
import java.io.PrintWriter;
import java.util.HexFormat;
import java.util.Optional;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code nitro-emu pcrs}: prints the boot PCRs an enclave profile yields. */
@Command(
    name = "pcrs",
    mixinStandardHelpOptions = true,
    header =
        "Prints PCR0..15 of the running stack's enclave, or of a profile, as key policies compare them.",
    description = {
      "With a stack running on the state directory (and none of --profile, --debug, --iam-role, "
          + "--instance-id, --offline), the values its NSM reports; otherwise those an emulated enclave with "
          + "the profile reports at boot.",
      "Standard error says which."
    })
final class PcrsCommand extends CliCommand {
  @Option(
      names = "--profile",
      paramLabel = "FILE.json",
      description = "nitro-cli build-enclave/describe-eif output (default: the built-in profile)")
  String profile;

  @Option(names = "--debug", description = "debug mode: PCR0/1/2/8 read as zero")
  boolean debug;

  @Option(
      names = "--iam-role",
      paramLabel = "ARN",
      description = "IAM role of the parent instance (sets PCR3)")
  String iamRole;

  @Option(
      names = "--instance-id",
      paramLabel = "ID",
      description = "parent instance id (sets PCR4)")
  String instanceId;

  @Option(
      names = "--offline",
      description = "compute from the profile even when a stack is running")
  boolean offline;

  @Mixin StateDirOption stateDir;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    HexFormat hex = HexFormat.of();
    boolean ownSettings =
        profile != null || debug || iamRole != null || instanceId != null || offline;
    Optional<RunningStack> stack =
        ownSettings ? Optional.empty() : RunningStack.ready(stateDir.resolve(env));
    if (stack.isPresent()) {
      TreeMap<Integer, byte[]> pcrs =
          stack
              .get()
              .withNsm(
                  nsm -> {
                    TreeMap<Integer, byte[]> values = new TreeMap<>();
                    for (int index = 0; index < EnclaveProfile.BOOT_PCRS; index++) {
                      values.put(index, nsm.describePcr(index).data());
                    }
                    return values;
                  });
      pcrs.forEach((index, value) -> out.printf("PCR%-2d %s%n", index, hex.formatHex(value)));
      note("PCRs reported by " + stack.get().describe());
      return;
    }
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
    enclave
        .bootPcrs()
        .forEach((index, value) -> out.printf("PCR%-2d %s%n", index, hex.formatHex(value)));
    note(
        "PCRs of "
            + (profile == null ? "the built-in profile" : "the profile " + env.resolve(profile))
            + (ownSettings ? "" : " (no stack is running on " + stateDir.resolve(env) + ")"));
  }

  private void note(String source) {
    spec.commandLine().getOut().flush();
    spec.commandLine().getErr().println("nitro-emu: " + source);
    spec.commandLine().getErr().flush();
  }
}
