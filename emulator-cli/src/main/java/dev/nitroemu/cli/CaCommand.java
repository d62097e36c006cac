package dev.nitroemu.cli;

import dev.nitroemu.nsm.EmulatorRootCa;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nitro-emu ca init|export}: creates or exports the emulator root CA. */
@Command(
    name = "ca",
    mixinStandardHelpOptions = true,
    header =
        "Creates (init) or exports (export) the emulator root CA that signs emulated attestation documents.",
    description = {
      "init: create an emulator root CA in DIR (kept if one is already there).",
      "export: write the root certificate (PEM) to --out, or print it."
    })
final class CaCommand extends CliCommand {
  @Parameters(index = "0", paramLabel = "init|export", description = "what to do")
  String action;

  @Option(
      names = "--dir",
      paramLabel = "DIR",
      description = "CA directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/ca)")
  String dir;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "export: where to write root.pem (default: standard output)")
  String out;

  @Override
  public void run() {
    Path caDir = dir == null ? env.defaultCaDir() : env.resolve(dir);
    switch (action) {
      case "init":
        init(caDir);
        break;
      case "export":
        export(caDir);
        break;
      default:
        throw new CliFailure("ca: unknown action '" + action + "' (expected init or export)", 2);
    }
  }

  private void init(Path caDir) {
    boolean existed = Files.isRegularFile(caDir.resolve("root.pem"));
    EmulatorRootCa ca = existed ? CliSupport.loadCa(caDir) : CliSupport.loadOrCreateCa(env, caDir);
    spec.commandLine()
        .getOut()
        .printf(
            "%s emulator root CA in %s%n  subject: %s%n  sha256:  %s%n",
            existed ? "kept existing" : "created",
            caDir,
            ca.certificate().getSubjectX500Principal().getName(),
            HexFormat.of().formatHex(ca.fingerprintSha256()));
  }

  private void export(Path caDir) {
    EmulatorRootCa ca = CliSupport.loadCa(caDir);
    byte[] pem = ca.certificatePem().getBytes(StandardCharsets.US_ASCII);
    if (out == null) {
      spec.commandLine().getOut().print(ca.certificatePem());
      spec.commandLine().getOut().flush();
      return;
    }
    Path target = env.resolve(out);
    CliSupport.write(target, pem, "root certificate");
    spec.commandLine().getOut().printf("wrote the emulator root certificate to %s%n", target);
  }
}
