package dev.nitroemu.cli;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu attest}: writes one attestation document from a fresh emulated enclave. Each of
 * {@code --user-data}, {@code --nonce} and {@code --public-key} is at most 1024 bytes (the NSM
 * answers InputTooLarge beyond that); {@code --public-key} refuses private keys and turns PEM into
 * DER (see {@link PublicKeyFile}).
 */
@Command(
    name = "attest",
    mixinStandardHelpOptions = true,
    header =
        "Writes one signed attestation document (raw COSE_Sign1 bytes), from the running stack's NSM if one is up.",
    description = {
      "With a stack running on the state directory (and none of --profile, --debug, --ca, --definite, --offline), "
          + "the document comes from that stack's NSM: its profile, module id and CA, as an enclave app would get "
          + "it. Otherwise a fresh software NSM signs it under the emulator CA. Standard error says which.",
      "--user-data, --nonce and --public-key carry at most 1024 bytes each. --public-key takes a DER or PEM "
          + "public key (PEM is converted to DER SubjectPublicKeyInfo, as KMS expects); a private key is refused."
    })
final class AttestCommand extends CliCommand {
  @Option(names = "--user-data", paramLabel = "HEX", description = "user_data field, hex")
  String userData;

  @Option(names = "--nonce", paramLabel = "HEX", description = "nonce field, hex")
  String nonce;

  @Option(
      names = "--public-key",
      paramLabel = "FILE",
      description = "public_key field: a public key file (DER, or PEM converted to DER)")
  String publicKey;

  @Option(
      names = "--profile",
      paramLabel = "FILE.json",
      description = "nitro-cli build-enclave/describe-eif output")
  String profile;

  @Option(names = "--debug", description = "debug-mode enclave: PCR0/1/2/8 are zero")
  boolean debug;

  @Option(
      names = "--ca",
      paramLabel = "DIR",
      description = "emulator CA directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/ca)")
  String caDir;

  @Option(
      names = "--definite",
      description = "encode the payload as a definite map (A9, pre-2025 hardware)")
  boolean definite;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      required = true,
      description = "where to write the document")
  String out;

  @Option(
      names = "--offline",
      description = "use a fresh software NSM and the CA even when a stack is running")
  boolean offline;

  @Mixin StateDirOption stateDir;

  @Override
  public void run() {
    byte[] userDataBytes = checkSize("--user-data", CliSupport.hex("--user-data", userData));
    byte[] nonceBytes = checkSize("--nonce", CliSupport.hex("--nonce", nonce));
    byte[] publicKeyBytes = null;
    if (publicKey != null) {
      Path file = env.resolve(publicKey);
      publicKeyBytes =
          checkSize("--public-key", PublicKeyFile.bytes(CliSupport.read(file, "public key"), file));
    }
    byte[] publicKeyField = publicKeyBytes;
    boolean ownSettings = profile != null || debug || caDir != null || definite || offline;
    Optional<RunningStack> stack =
        ownSettings ? Optional.empty() : RunningStack.ready(stateDir.resolve(env));
    if (stack.isPresent()) {
      byte[] document =
          stack.get().withNsm(nsm -> attest(nsm, userDataBytes, nonceBytes, publicKeyField));
      written(document, stack.get().describe());
      return;
    }
    byte[] document;
    try (SoftwareNsm nsm =
        CliSupport.softwareNsm(env, caDir, profile, debug)
            .payloadEncoding(definite ? PayloadEncoding.DEFINITE : PayloadEncoding.INDEFINITE)
            .build()) {
      document = attest(nsm, userDataBytes, nonceBytes, publicKeyBytes);
    }
    Path ca = caDir == null ? env.defaultCaDir() : env.resolve(caDir);
    written(
        document,
        "a fresh software NSM under the CA in "
            + ca
            + (ownSettings ? "" : " (no stack is running on " + stateDir.resolve(env) + ")"));
  }

  private static byte[] attest(Nsm nsm, byte[] userData, byte[] nonce, byte[] publicKey) {
    try {
      return nsm.attestation(userData, nonce, publicKey);
    } catch (NsmException e) {
      throw new CliFailure("attestation refused: " + e.getMessage());
    }
  }

  private void written(byte[] document, String source) {
    Path target = env.resolve(out);
    CliSupport.write(target, document, "document");
    String moduleId =
        AttestationDocument.decodePayload(CoseSign1.decode(document).payload()).moduleId();
    spec.commandLine()
        .getOut()
        .printf(
            "wrote %d-byte attestation document for %s to %s%n", document.length, moduleId, target);
    spec.commandLine().getOut().flush();
    spec.commandLine().getErr().println("nitro-emu: attested by " + source);
    spec.commandLine().getErr().flush();
  }

  /**
   * Refuses a field the NSM would refuse, naming the option (the module's own error is
   * InputTooLarge).
   */
  private static byte[] checkSize(String option, byte[] value) {
    if (value != null && value.length > AttestationDocument.MAX_OPTIONAL_FIELD) {
      throw new CliFailure(
          option
              + ": "
              + value.length
              + " bytes; the NSM accepts at most "
              + AttestationDocument.MAX_OPTIONAL_FIELD
              + " (InputTooLarge)",
          2);
    }
    return value;
  }
}
