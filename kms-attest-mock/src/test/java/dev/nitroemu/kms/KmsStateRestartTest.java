package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MacAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

/**
 * Signing and HMAC keys, tags, descriptions and moved aliases survive a restart over the same state
 * directory: signatures and MACs made before still verify after.
 */
@Timeout(120)
class KmsStateRestartTest {
  @TempDir Path state;

  private static final SdkBytes MESSAGE = SdkBytes.fromUtf8String("made before the restart");

  @Test
  void newKeyKindsTagsAndAliasesSurviveARestart() throws IOException {
    String k1;
    String hmac;
    String rsa;
    SdkBytes signature;
    SdkBytes rsaSignature;
    SdkBytes mac;
    SdkBytes publicKey;
    try (KmsMockServer server = KmsMockServer.builder().stateDirectory(state).build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      k1 =
          kms.createKey(
                  r ->
                      r.keySpec(KeySpec.ECC_SECG_P256_K1)
                          .keyUsage(KeyUsageType.SIGN_VERIFY)
                          .tags(Tag.builder().tagKey("custody").tagValue("hot").build()))
              .keyMetadata()
              .keyId();
      hmac =
          kms.createKey(r -> r.keySpec(KeySpec.HMAC_512).keyUsage(KeyUsageType.GENERATE_VERIFY_MAC))
              .keyMetadata()
              .keyId();
      rsa =
          kms.createKey(r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.SIGN_VERIFY))
              .keyMetadata()
              .keyId();
      String other =
          kms.createKey(r -> r.keySpec(KeySpec.RSA_3072).keyUsage(KeyUsageType.SIGN_VERIFY))
              .keyMetadata()
              .keyId();
      kms.createAlias(r -> r.aliasName("alias/signer").targetKeyId(other));
      kms.updateAlias(r -> r.aliasName("alias/signer").targetKeyId(rsa));
      kms.updateKeyDescription(r -> r.keyId(k1).description("bitcoin custody"));
      kms.tagResource(r -> r.keyId(k1).tags(Tag.builder().tagKey("chain").tagValue("btc").build()));
      signature =
          kms.sign(
                  r ->
                      r.keyId(k1)
                          .message(MESSAGE)
                          .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
              .signature();
      rsaSignature =
          kms.sign(
                  r ->
                      r.keyId("alias/signer")
                          .message(MESSAGE)
                          .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PSS_SHA_384))
              .signature();
      mac =
          kms.generateMac(
                  r -> r.keyId(hmac).message(MESSAGE).macAlgorithm(MacAlgorithmSpec.HMAC_SHA_512))
              .mac();
      publicKey = kms.getPublicKey(r -> r.keyId(k1)).publicKey();
    }

    try (KmsMockServer server = KmsMockServer.builder().stateDirectory(state).build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      assertThat(kms.getPublicKey(r -> r.keyId(k1)).publicKey()).isEqualTo(publicKey);
      assertThat(
              kms.verify(
                      r ->
                          r.keyId(k1)
                              .message(MESSAGE)
                              .signature(signature)
                              .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
                  .signatureValid())
          .isTrue();
      assertThat(
              kms.verify(
                      r ->
                          r.keyId("alias/signer")
                              .message(MESSAGE)
                              .signature(rsaSignature)
                              .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PSS_SHA_384))
                  .signatureValid())
          .isTrue();
      assertThat(
              kms.verifyMac(
                      r ->
                          r.keyId(hmac)
                              .message(MESSAGE)
                              .mac(mac)
                              .macAlgorithm(MacAlgorithmSpec.HMAC_SHA_512))
                  .macValid())
          .isTrue();
      assertThat(kms.listResourceTags(r -> r.keyId(k1)).tags())
          .extracting(Tag::tagKey, Tag::tagValue)
          .containsExactly(tuple("chain", "btc"), tuple("custody", "hot"));
      assertThat(kms.describeKey(r -> r.keyId(k1)).keyMetadata().description())
          .isEqualTo("bitcoin custody");
      assertThat(kms.describeKey(r -> r.keyId("alias/signer")).keyMetadata().keyId())
          .isEqualTo(rsa);
    }
  }
}
