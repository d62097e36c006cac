package com.example.vault;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;

/** The app's production code: seals secrets with KMS through the SDK's Netty (4.1) async HTTP client. */
public final class SecretVault implements AutoCloseable {
  private final KmsAsyncClient kms;

  public SecretVault(URI endpoint, Region region, AwsCredentialsProvider credentials) {
    this.kms = KmsAsyncClient.builder()
        .endpointOverride(endpoint)
        .region(region)
        .credentialsProvider(credentials)
        .httpClientBuilder(NettyNioAsyncHttpClient.builder())
        .build();
  }

  /** The KMS ciphertext of {@code plaintext} under {@code keyId}. */
  public byte[] seal(String keyId, byte[] plaintext) {
    return kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))
        .join()
        .ciphertextBlob()
        .asByteArray();
  }

  @Override
  public void close() {
    kms.close();
  }
}
