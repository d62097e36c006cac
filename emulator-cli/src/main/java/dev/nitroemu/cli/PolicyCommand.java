package dev.nitroemu.cli;

import dev.nitroemu.kms.KeyPolicyLint;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code nitro-emu policy}: offline tools for KMS key policies. */
@Command(
    name = "policy",
    mixinStandardHelpOptions = true,
    description = "Offline tools for KMS key policies.",
    subcommands = {PolicyCommand.Lint.class})
final class PolicyCommand extends CliCommand {
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code nitro-emu policy lint FILE}: the warnings the KMS mock gives at CreateKey/PutKeyPolicy,
   * without a running stack. Exit 0 when clean, 1 with warnings (one per line on standard output),
   * 2 when the file cannot be read or is not a valid key policy (one line on standard error).
   */
  @Command(
      name = "lint",
      mixinStandardHelpOptions = true,
      description = {
        "Reports key policy mistakes that silently weaken an attestation gate: empty condition blocks,",
        "ForAllValues:/...IfExists/negated operators on kms:RecipientAttestation:* keys, Decrypt (or",
        "GenerateDataKey*/DeriveSharedSecret) allowed without attestation next to a statement requiring it,",
        "and PCR/ImageSha384 values that are not 96 lower-case hex characters. The policy keeps IAM's meaning;",
        "these are warnings. Exit 0: clean; 1: warnings, one per line; 2: unreadable or invalid policy."
      })
  static final class Lint extends CliCommand implements CommandLine.IExitCodeGenerator {
    @Parameters(index = "0", paramLabel = "FILE", description = "the key policy JSON document")
    String file;

    private int exitCode;

    @Override
    public void run() {
      Path path = env.resolve(file);
      byte[] bytes;
      try {
        bytes = CliSupport.read(path, "policy");
      } catch (CliFailure e) {
        throw new CliFailure(e.getMessage(), 2);
      }
      List<KeyPolicyLint.Warning> warnings;
      try {
        warnings = KeyPolicyLint.lint(new String(bytes, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new CliFailure(path + ": not a valid key policy: " + e.getMessage(), 2);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (warnings.isEmpty()) {
        out.println(path + ": no warnings");
      }
      for (KeyPolicyLint.Warning warning : warnings) {
        out.println(path + ": " + warning);
      }
      out.flush();
      exitCode = warnings.isEmpty() ? 0 : 1;
    }

    @Override
    public int getExitCode() {
      return exitCode;
    }
  }
}
