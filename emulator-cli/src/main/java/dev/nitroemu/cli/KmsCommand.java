package dev.nitroemu.cli;

import picocli.CommandLine.Command;

/**
 * {@code nitro-emu kms}: the enclave side of KMS calls with {@code Recipient}, as
 * kmstool-enclave-cli.
 */
@Command(
    name = "kms",
    mixinStandardHelpOptions = true,
    description =
        "The enclave side of KMS, as kmstool-enclave-cli does it: a fresh RSA-2048 key pair, an attestation"
            + " document binding its public key (from the running stack's NSM, else an offline emulated NSM), the KMS"
            + " call with Recipient, and the CiphertextForRecipient envelope opened locally. Plaintext goes to --out"
            + " (raw bytes) or to standard output (one line of base64); which NSM attests is said on standard error.",
    subcommands = {KmsDecryptCommand.class, KmsGenerateDataKeyCommand.class})
final class KmsCommand extends CliCommand {
  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getErr());
    throw new CliFailure("kms: name a subcommand: decrypt or generate-data-key", 2);
  }
}
