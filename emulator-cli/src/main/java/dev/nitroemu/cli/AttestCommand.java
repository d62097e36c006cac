package dev.nitroemu.cli;

import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code nitro-emu attest}: writes one attestation document from a fresh emulated enclave. */
@Command(
    name = "attest",
    mixinStandardHelpOptions = true,
    description = "Writes one signed attestation document (raw COSE_Sign1 bytes).")
final class AttestCommand extends CliCommand {
  @Option(names = "--user-data", paramLabel = "HEX", description = "user_data field, hex")
  String userData;

  @Option(names = "--nonce", paramLabel = "HEX", description = "nonce field, hex")
  String nonce;

  @Option(names = "--public-key", paramLabel = "FILE.der", description = "public_key field, read from a file")
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
    byte[] userDataBytes = CliSupport.hex("--user-data", userData);
    byte[] nonceBytes = CliSupport.hex("--nonce", nonce);
    byte[] publicKeyBytes = publicKey == null ? null : CliSupport.read(env.resolve(publicKey), "public key");
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
}
