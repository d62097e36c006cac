package dev.nitroemu.enclavetests.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.security.SecureRandom;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The KMS flow with attestation: a secret encrypted under a key whose policy names the enclave's
 * PCR0 decrypts inside the enclave through {@code Recipient}; a key bound to another PCR0, and a
 * decrypt without attestation, are denied. Emulated, the keys come from the declared policies;
 * nightly, run-nightly.sh creates real keys from the same files.
 */
@NitroEnclaveTest(kmsKeys = {"kms/conformance-secret.json", "kms/conformance-wrong-pcr.json"})
class KmsRecipientConformanceTest {

  private static final Map<String, String> CONTEXT = Map.of("suite", "nitro-emu-conformance");
  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void aSecretUnderAPcr0BoundKeyDecryptsInsideTheEnclave(
      KmsClient kms, EnclaveKmsClient enclave, EnclaveRuntimeInfo info) {
    byte[] secret = random(32);
    byte[] ciphertext = encrypt(kms, info.kmsKeyId("conformance-secret"), secret);

    assertThat(enclave.decrypt(ciphertext, CONTEXT)).isEqualTo(secret);
  }

  @Test
  void aKeyBoundToAnotherPcr0DeniesTheEnclave(
      KmsClient kms, EnclaveKmsClient enclave, EnclaveRuntimeInfo info) {
    byte[] ciphertext = encrypt(kms, info.kmsKeyId("conformance-wrong-pcr"), random(32));

    assertThatThrownBy(() -> enclave.decrypt(ciphertext, CONTEXT))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException"));
  }

  @Test
  void decryptWithoutAnAttestationIsDenied(KmsClient kms, EnclaveRuntimeInfo info) {
    byte[] ciphertext = encrypt(kms, info.kmsKeyId("conformance-secret"), random(32));

    assertThatThrownBy(
            () ->
                kms.decrypt(
                    r ->
                        r.ciphertextBlob(SdkBytes.fromByteArray(ciphertext))
                            .encryptionContext(CONTEXT)))
        .isInstanceOfSatisfying(
            KmsException.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException"));
  }

  @Test
  void aDataKeyArrivesOnlyInsideTheEnvelopeAndItsBlobDecryptsBack(
      EnclaveKmsClient enclave, EnclaveRuntimeInfo info) {
    EnclaveKmsClient.DataKey dataKey =
        enclave.generateDataKey(info.kmsKeyId("conformance-secret"), DataKeySpec.AES_256, CONTEXT);

    assertThat(dataKey.plaintext()).hasSize(32);
    assertThat(enclave.decrypt(dataKey.ciphertextBlob(), CONTEXT)).isEqualTo(dataKey.plaintext());
  }

  private static byte[] encrypt(KmsClient kms, String keyId, byte[] plaintext) {
    return kms.encrypt(
            r ->
                r.keyId(keyId)
                    .plaintext(SdkBytes.fromByteArray(plaintext))
                    .encryptionContext(CONTEXT))
        .ciphertextBlob()
        .asByteArray();
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
