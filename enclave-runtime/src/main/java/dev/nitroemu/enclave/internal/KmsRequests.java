package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.EnclaveKmsClient;
import java.util.Map;
import java.util.Objects;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.model.DataKeyPairSpec;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.DeriveSharedSecretRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyPairRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyRequest;
import software.amazon.awssdk.services.kms.model.KeyAgreementAlgorithmSpec;

/**
 * The KMS requests {@link EnclaveKmsClient}'s convenience methods send, built from their arguments
 * (the {@code Recipient} is added when sent); an empty encryption context is left out.
 */
public final class KmsRequests {

  private KmsRequests() {}

  /**
   * Decrypt of {@code ciphertextBlob} made with {@code encryptionContext}; {@code keyId} may be
   * null.
   */
  public static DecryptRequest decrypt(
      byte[] ciphertextBlob, Map<String, String> encryptionContext, String keyId) {
    DecryptRequest.Builder request =
        DecryptRequest.builder()
            .ciphertextBlob(
                SdkBytes.fromByteArray(Objects.requireNonNull(ciphertextBlob, "ciphertextBlob")));
    if (!Objects.requireNonNull(encryptionContext, "encryptionContext").isEmpty()) {
      request.encryptionContext(encryptionContext);
    }
    if (keyId != null) {
      request.keyId(keyId);
    }
    return request.build();
  }

  /** GenerateDataKey under {@code keyId} bound to {@code encryptionContext}. */
  public static GenerateDataKeyRequest generateDataKey(
      String keyId, DataKeySpec spec, Map<String, String> encryptionContext) {
    GenerateDataKeyRequest.Builder request =
        GenerateDataKeyRequest.builder()
            .keyId(Objects.requireNonNull(keyId, "keyId"))
            .keySpec(Objects.requireNonNull(spec, "spec"));
    if (!Objects.requireNonNull(encryptionContext, "encryptionContext").isEmpty()) {
      request.encryptionContext(encryptionContext);
    }
    return request.build();
  }

  /** GenerateDataKeyPair under {@code keyId}. */
  public static GenerateDataKeyPairRequest generateDataKeyPair(String keyId, DataKeyPairSpec spec) {
    return GenerateDataKeyPairRequest.builder()
        .keyId(Objects.requireNonNull(keyId, "keyId"))
        .keyPairSpec(Objects.requireNonNull(spec, "spec"))
        .build();
  }

  /** ECDH DeriveSharedSecret between {@code keyId} and {@code peerPublicKeyDer}. */
  public static DeriveSharedSecretRequest deriveSharedSecret(
      String keyId, byte[] peerPublicKeyDer) {
    return DeriveSharedSecretRequest.builder()
        .keyId(Objects.requireNonNull(keyId, "keyId"))
        .keyAgreementAlgorithm(KeyAgreementAlgorithmSpec.ECDH)
        .publicKey(
            SdkBytes.fromByteArray(Objects.requireNonNull(peerPublicKeyDer, "peerPublicKeyDer")))
        .build();
  }
}
