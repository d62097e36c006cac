package com.example.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

// The app's own Netty 4.1 client and the harness's KMS mock in one JVM.
@NitroEnclaveTest(kmsKeys = "kms/enclave-secret.json")
class SecretVaultTest {

  @Test
  void theAppSealsOverItsNettyClientAndOnlyTheEnclaveOpens(
      KmsClient kms, EnclaveKmsClient enclave, EnclaveRuntimeInfo info) {
    byte[] secret = "api-token".getBytes(StandardCharsets.UTF_8);
    byte[] blob;
    try (SecretVault vault =
        new SecretVault(info.kmsEndpoint(), Region.of(info.region()), info.credentials())) {
      blob = vault.seal(info.kmsKeyId("enclave-secret"), secret);
    }

    assertThat(enclave.decrypt(blob)).isEqualTo(secret);
    // Outside the enclave (no Recipient) the key policy refuses.
    assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
        .isInstanceOf(KmsException.class);
  }
}
