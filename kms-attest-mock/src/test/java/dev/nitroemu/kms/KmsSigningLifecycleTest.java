package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Clock;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.GrantOperation;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MacAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.OriginType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

/**
 * Signing and HMAC keys and tags together with the rest of the key lifecycle, through the
 * unmodified AWS SDK: grants for Sign and GenerateMac, multi-Region signing keys and replica tags,
 * LocalStack's {@code _custom_id_} on a multi-Region key, and what imported key material does not
 * cover.
 */
@Timeout(60)
class KmsSigningLifecycleTest {
  private static final String ACCOUNT = "111122223333";
  private static final String ADMIN_ROLE = "arn:aws:iam::" + ACCOUNT + ":role/admin";
  private static final String APP_ROLE = "arn:aws:iam::" + ACCOUNT + ":role/app";
  private static final KmsCredentials ADMIN =
      new KmsCredentials(
          "admin", "admin-secret", "arn:aws:sts::" + ACCOUNT + ":assumed-role/admin/console");
  private static final KmsCredentials APP =
      new KmsCredentials(
          "app", "app-secret", "arn:aws:sts::" + ACCOUNT + ":assumed-role/app/i-0123456789abcdef0");
  private static final String ADMIN_ONLY_POLICY =
      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
          + "\"Principal\":{\"AWS\":\""
          + ADMIN_ROLE
          + "\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}";
  private static final SdkBytes MESSAGE = SdkBytes.fromUtf8String("release build 1.2.3");

  private static KmsMockServer server() throws IOException {
    return KmsMockServer.builder()
        .accountId(ACCOUNT)
        .credentials(ADMIN, APP)
        .additionalRegions("eu-west-1")
        .build()
        .start();
  }

  private static KmsClient client(KmsMockServer server, String region, KmsCredentials credentials) {
    return KmsTestClients.at(
        server,
        region,
        credentials.accessKeyId(),
        credentials.secretAccessKey(),
        Clock.systemUTC());
  }

  @Test
  void grantsLetAnotherPrincipalSignAndMac() throws IOException {
    try (KmsMockServer server = server();
        KmsClient admin = client(server, "us-east-1", ADMIN);
        KmsClient app = client(server, "us-east-1", APP)) {
      String signer =
          admin
              .createKey(
                  r ->
                      r.keySpec(KeySpec.ECC_NIST_P256)
                          .keyUsage(KeyUsageType.SIGN_VERIFY)
                          .policy(ADMIN_ONLY_POLICY))
              .keyMetadata()
              .keyId();
      String hmac =
          admin
              .createKey(
                  r ->
                      r.keySpec(KeySpec.HMAC_256)
                          .keyUsage(KeyUsageType.GENERATE_VERIFY_MAC)
                          .policy(ADMIN_ONLY_POLICY))
              .keyMetadata()
              .keyId();
      assertThat(
              KmsTestClients.error(
                      () ->
                          app.sign(
                              r ->
                                  r.keyId(signer)
                                      .message(MESSAGE)
                                      .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256)))
                  .errorCode())
          .isEqualTo("AccessDeniedException");

      admin.createGrant(
          r -> r.keyId(signer).granteePrincipal(APP_ROLE).operations(GrantOperation.SIGN));
      admin.createGrant(
          r -> r.keyId(hmac).granteePrincipal(APP_ROLE).operations(GrantOperation.GENERATE_MAC));

      SdkBytes signature =
          app.sign(
                  r ->
                      r.keyId(signer)
                          .message(MESSAGE)
                          .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
              .signature();
      assertThat(
              admin
                  .verify(
                      r ->
                          r.keyId(signer)
                              .message(MESSAGE)
                              .signature(signature)
                              .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
                  .signatureValid())
          .isTrue();
      assertThat(
              KmsTestClients.error(
                      () ->
                          app.verify(
                              r ->
                                  r.keyId(signer)
                                      .message(MESSAGE)
                                      .signature(signature)
                                      .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256)))
                  .errorCode())
          .as("Verify was not granted")
          .isEqualTo("AccessDeniedException");
      assertThat(
              app.generateMac(
                      r ->
                          r.keyId(hmac)
                              .message(MESSAGE)
                              .macAlgorithm(MacAlgorithmSpec.HMAC_SHA_256))
                  .mac()
                  .asByteArray())
          .hasSize(32);
      assertThat(
              KmsTestClients.error(
                      () ->
                          admin.createGrant(
                              r ->
                                  r.keyId(signer)
                                      .granteePrincipal(APP_ROLE)
                                      .operations(GrantOperation.GENERATE_MAC)))
                  .errorMessage())
          .isEqualTo(
              "The operation GenerateMac is not supported by arn:aws:kms:us-east-1:"
                  + ACCOUNT
                  + ":key/"
                  + signer
                  + ".");
    }
  }

  @Test
  void aMultiRegionSigningKeySignsInEachRegionAndReplicasHaveTheirOwnTags() throws IOException {
    try (KmsMockServer server = server();
        KmsClient east = client(server, "us-east-1", ADMIN);
        KmsClient west = client(server, "eu-west-1", ADMIN)) {
      String keyId =
          east.createKey(
                  r ->
                      r.keySpec(KeySpec.ECC_SECG_P256_K1)
                          .keyUsage(KeyUsageType.SIGN_VERIFY)
                          .multiRegion(true)
                          .tags(Tag.builder().tagKey("region-role").tagValue("primary").build()))
              .keyMetadata()
              .keyId();
      var replicated =
          east.replicateKey(
              r ->
                  r.keyId(keyId)
                      .replicaRegion("eu-west-1")
                      .tags(Tag.builder().tagKey("region-role").tagValue("replica").build()));

      assertThat(replicated.replicaTags())
          .containsExactly(Tag.builder().tagKey("region-role").tagValue("replica").build());
      assertThat(west.listResourceTags(r -> r.keyId(keyId)).tags())
          .extracting(Tag::tagValue)
          .containsExactly("replica");
      assertThat(east.listResourceTags(r -> r.keyId(keyId)).tags())
          .extracting(Tag::tagValue)
          .containsExactly("primary");
      assertThat(west.getPublicKey(r -> r.keyId(keyId)).publicKey())
          .isEqualTo(east.getPublicKey(r -> r.keyId(keyId)).publicKey());
      SdkBytes signature =
          west.sign(
                  r ->
                      r.keyId(keyId)
                          .message(MESSAGE)
                          .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
              .signature();
      assertThat(
              east.verify(
                      r ->
                          r.keyId(keyId)
                              .message(MESSAGE)
                              .signature(signature)
                              .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256))
                  .signatureValid())
          .isTrue();
    }
  }

  @Test
  void localStackIdsAndImportedMaterialFitTheKeyKind() throws IOException {
    try (KmsMockServer server = server();
        KmsClient kms = client(server, "us-east-1", ADMIN)) {
      String mrk = "mrk-" + UUID.randomUUID().toString().replace("-", "");
      assertThat(
              kms.createKey(
                      r ->
                          r.multiRegion(true)
                              .tags(Tag.builder().tagKey("_custom_id_").tagValue(mrk).build()))
                  .keyMetadata()
                  .keyId())
          .isEqualTo(mrk);
      assertError(
          () ->
              kms.createKey(
                  r ->
                      r.multiRegion(true)
                          .tags(
                              Tag.builder()
                                  .tagKey("_custom_id_")
                                  .tagValue(UUID.randomUUID().toString())
                                  .build())),
          "ValidationException",
          "_custom_id_ of a multi-Region key must be mrk- and 32 hex digits.");
      assertError(
          () ->
              kms.createKey(
                  r ->
                      r.keySpec(KeySpec.HMAC_256)
                          .keyUsage(KeyUsageType.GENERATE_VERIFY_MAC)
                          .origin(OriginType.EXTERNAL)),
          "UnsupportedOperationException",
          "Importing key material into HMAC keys is not supported by the nitro-emu KMS mock.");
      assertError(
          () ->
              kms.createKey(
                  r ->
                      r.origin(OriginType.EXTERNAL)
                          .tags(
                              Tag.builder()
                                  .tagKey("_custom_key_material_")
                                  .tagValue("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
                                  .build())),
          "ValidationException",
          "_custom_key_material_ does not apply to keys with Origin EXTERNAL: import their key material.");
      // An EXTERNAL signing key waits for its material like any other.
      String external =
          kms.createKey(
                  r ->
                      r.keySpec(KeySpec.ECC_SECG_P256_K1)
                          .keyUsage(KeyUsageType.SIGN_VERIFY)
                          .origin(OriginType.EXTERNAL))
              .keyMetadata()
              .keyId();
      assertError(
          () ->
              kms.sign(
                  r ->
                      r.keyId(external)
                          .message(MESSAGE)
                          .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256)),
          "KMSInvalidStateException",
          "arn:aws:kms:us-east-1:" + ACCOUNT + ":key/" + external + " is pending import.");
    }
  }
}
