package dev.nitroemu.cli;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu attest}: writes one attestation document from a fresh emulated enclave. Each of
 * {@code --user-data}, {@code --nonce} and {@code --public-key} is at most 1024 bytes (the NSM answers
 * InputTooLarge beyond that); {@code --public-key} refuses private keys and turns PEM into DER (see
 * {@link PublicKeyFile}).
 */
@Command(
    name = "attest",
    mixinStandardHelpOptions = true,
    description = {
      "Writes one signed attestation document (raw COSE_Sign1 bytes).",
      "--user-data, --nonce and --public-key carry at most 1024 bytes each. --public-key takes a DER or PEM",
      "public key (PEM is converted to DER SubjectPublicKeyInfo, as KMS expects); a private key is refused."
    })
final class AttestCommand extends CliCommand {
  @Option(names = "--user-data", paramLabel = "HEX", description = "user_data field, hex")
  String userData;

  @Option(names = "--nonce", paramLabel = "HEX", description = "nonce field, hex")
  String nonce;

  @Option(names = "--public-key", paramLabel = "FILE", description = "public_key field: a public key file (DER, or PEM converted to DER)")
  String publicKey;

  @Option(names = "--profile", paramLabel = "FILE.json", description = "nitro-cli build-enclave/describe-eif output")
  String profile;

  @Option(names = "--debug", description = "debug-mode enclave: PCR0/1/2/8 are zero")
  boolean debug;

  @Option(names = "--ca", paramLabel = "DIR", description = "emulator CA directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/ca)")
  String caDir;

  @Option(names = "--definite", description = "encode the payload as a definite map (A9, pre-2025 hardware)")
  boolean definite;

  @Option(names = "--out", paramLabel = "FILE", required = true, description = "where to write the document")
  String out;

  @Override
  public void run() {
    byte[] userDataBytes = checkSize("--user-data", CliSupport.hex("--user-data", userData));
    byte[] nonceBytes = checkSize("--nonce", CliSupport.hex("--nonce", nonce));
    byte[] publicKeyBytes = null;
    if (publicKey != null) {
      Path file = env.resolve(publicKey);
      publicKeyBytes = checkSize("--public-key", PublicKeyFile.bytes(CliSupport.read(file, "public key"), file));
    }
    byte[] document;
    try (SoftwareNsm nsm = CliSupport.softwareNsm(env, caDir, profile, debug)
        .payloadEncoding(definite ? PayloadEncoding.DEFINITE : PayloadEncoding.INDEFINITE)
        .build()) {
      document = nsm.attestation(userDataBytes, nonceBytes, publicKeyBytes);
      Path target = env.resolve(out);
      CliSupport.write(target, document, "document");
      spec.commandLine()
          .getOut()
          .printf("wrote %d-byte attestation document for %s to %s%n", document.length, nsm.moduleId(), target);
    } catch (NsmException e) {
      throw new CliFailure("attestation refused: " + e.getMessage());
    }
  }

  /** Refuses a field the NSM would refuse, naming the option (the module's own error is InputTooLarge). */
  private static byte[] checkSize(String option, byte[] value) {
    if (value != null && value.length > AttestationDocument.MAX_OPTIONAL_FIELD) {
      throw new CliFailure(option + ": " + value.length + " bytes; the NSM accepts at most "
          + AttestationDocument.MAX_OPTIONAL_FIELD + " (InputTooLarge)", 2);
    }
    return value;
  }
}
