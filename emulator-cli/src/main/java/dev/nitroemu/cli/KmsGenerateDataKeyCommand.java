package dev.nitroemu.cli;

import dev.nitroemu.enclave.EnclaveKmsClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.services.kms.model.DataKeySpec;

/**
 * {@code nitro-emu kms generate-data-key}: GenerateDataKey with Recipient, as kmstool-enclave-cli
 * genkey.
 */
@Command(
    name = "generate-data-key",
    mixinStandardHelpOptions = true,
    description =
        "Makes a data key as an enclave does: GenerateDataKey with Recipient, the plaintext key opened locally"
            + " from CiphertextForRecipient, and the key encrypted under the KMS key (CiphertextBlob) to store beside"
            + " the data. Exit 1 if KMS refuses, 2 for bad arguments.")
final class KmsGenerateDataKeyCommand extends CliCommand {
  @Option(
      names = "--key-id",
      paramLabel = "ID",
      required = true,
      description = "the KMS key (id, ARN or alias/NAME)")
  String keyId;

  @Option(
      names = "--key-spec",
      paramLabel = "SPEC",
      defaultValue = "AES_256",
      description = "AES_256 or AES_128 (default: ${DEFAULT-VALUE})")
  String keySpec;

  @Option(
      names = "--encryption-context",
      paramLabel = "KEY=VALUE",
      description = "encryption context pair; repeatable")
  Map<String, String> encryptionContext = new LinkedHashMap<>();

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description = "write the plaintext data key here, raw (default: base64 on standard output)")
  String out;

  @Option(
      names = "--ciphertext-out",
      paramLabel = "FILE",
      description = "write the encrypted data key (CiphertextBlob) here, raw")
  String ciphertextOut;

  @Mixin KmsOptions kms;

  @Override
  public void run() {
    DataKeySpec spec = DataKeySpec.fromValue(keySpec);
    if (spec == null || spec == DataKeySpec.UNKNOWN_TO_SDK_VERSION) {
      throw new CliFailure("--key-spec: expected AES_256 or AES_128, got '" + keySpec + "'", 2);
    }
    try (KmsEnclaveSession session =
        KmsEnclaveSession.open(env, kms, this.spec.commandLine().getErr())) {
      EnclaveKmsClient.DataKey key =
          session.call(
              "generate-data-key",
              () -> session.client().generateDataKey(keyId, spec, encryptionContext));
      KmsOutput.envelope(env, kms, session);
      if (ciphertextOut != null) {
        CliSupport.write(env.resolve(ciphertextOut), key.ciphertextBlob(), "ciphertext blob");
      } else {
        this.spec
            .commandLine()
            .getErr()
            .println(
                "nitro-emu: the encrypted data key was not saved (--ciphertext-out FILE keeps it)");
      }
      KmsOutput.plaintext(env, this.spec.commandLine().getOut(), out, key.plaintext(), "data key");
    }
  }
}
