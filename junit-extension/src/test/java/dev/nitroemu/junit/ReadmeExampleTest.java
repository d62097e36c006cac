package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

// readme-example {
@NitroEnclaveTest(kmsKeys = "kms/enclave-secret.json") // alias + key policy naming ${PCR0}
class ReadmeExampleTest {

  @Test
  void onlyTheEnclaveDecryptsTheSecret(
      KmsClient kms, EnclaveKmsClient enclave, EnclaveRuntimeInfo info) {
    SdkBytes secret = SdkBytes.fromUtf8String("db-password");
    SdkBytes blob =
        kms.encrypt(r -> r.keyId(info.kmsKeyId("enclave-secret")).plaintext(secret))
            .ciphertextBlob();

    // Decrypt with a fresh attestation document as Recipient; the policy checks the enclave's PCR0.
    assertThat(enclave.decrypt(blob.asByteArray())).isEqualTo(secret.asByteArray());
  }
}
// }
