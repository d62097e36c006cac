package dev.nitroemu.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu kms decrypt}: Decrypt with Recipient, the envelope opened here, as
 * kmstool-enclave-cli decrypt.
 */
@Command(
    name = "decrypt",
    mixinStandardHelpOptions = true,
    description =
        "Decrypts a KMS ciphertext blob as an enclave does: Decrypt with Recipient (a fresh attestation document"
            + " for this call's RSA key), then opens CiphertextForRecipient locally. Exit 1 if KMS refuses (e.g. the"
            + " key policy's kms:RecipientAttestation conditions do not match), 2 for bad arguments.")
final class KmsDecryptCommand extends CliCommand {
  @Option(
      names = "--ciphertext-blob",
      paramLabel = "FILE",
      required = true,
      description =
          "the ciphertext blob: raw bytes (as fileb:// sends them) or base64 text (as --output text prints it)")
  String ciphertextBlob;

  @Option(
      names = "--key-id",
      paramLabel = "ID",
      description = "the KMS key that must have encrypted it (optional for symmetric keys)")
  String keyId;

  @Option(
      names = "--encryption-context",
      paramLabel = "KEY=VALUE",
      description = "encryption context pair; repeatable")
  Map<String, String> encryptionContext = new LinkedHashMap<>();

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "write the plaintext here, raw (default: base64 on standard output)")
  String out;

  @Mixin KmsOptions kms;

  @Override
  public void run() {
    byte[] blob = CliSupport.readBlob(env.resolve(ciphertextBlob), "ciphertext blob");
    try (KmsEnclaveSession session =
        KmsEnclaveSession.open(env, kms, spec.commandLine().getErr())) {
      byte[] plaintext =
          session.call("decrypt", () -> session.client().decrypt(blob, encryptionContext, keyId));
      KmsOutput.envelope(env, kms, session);
      KmsOutput.plaintext(env, spec.commandLine().getOut(), out, plaintext, "plaintext");
    }
  }
}
