package dev.nitroemu.kms;

import static dev.nitroemu.kms.ImportKeyMaterialFixtures.parameters;
import static dev.nitroemu.kms.KmsTestClients.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlgorithmSpec;
import software.amazon.awssdk.services.kms.model.ExpirationModelType;
import software.amazon.awssdk.services.kms.model.GetParametersForImportResponse;
import software.amazon.awssdk.services.kms.model.ImportState;
import software.amazon.awssdk.services.kms.model.ImportType;
import software.amazon.awssdk.services.kms.model.IncludeKeyMaterial;
import software.amazon.awssdk.services.kms.model.KeyMaterialState;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.OriginType;
import software.amazon.awssdk.services.kms.model.RotationsListEntry;

/**
 * Importing symmetric key material with an unmodified AWS SDK v2 client, the material wrapped with
 * {@code openssl pkeyutl} exactly as AWS's import guide shows: import tokens, expiry, key policy
 * conditions and rotations ({@link ImportAsymmetricKeyMaterialSdkTest} imports private keys).
 */
@Timeout(120)
class ImportKeyMaterialSdkTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private final MutableTestClock clock = new MutableTestClock(start);

  @TempDir Path state;
  @TempDir Path work;

  @Test
  void symmetricMaterialRoundTripsThroughOpensslAndExpires() throws Exception {
    Openssl openssl = new Openssl(work);
    byte[] material = new byte[32];
    RANDOM.nextBytes(material);
    String keyId;
    SdkBytes secret;
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      KeyMetadata created =
          kms.createKey(r -> r.origin(OriginType.EXTERNAL).description("imported")).keyMetadata();
      keyId = created.keyId();
      assertThat(created.keyState()).isEqualTo(KeyState.PENDING_IMPORT);
      assertThat(created.enabled()).isFalse();
      assertThat(created.origin()).isEqualTo(OriginType.EXTERNAL);
      assertThat(created.currentKeyMaterialId()).isNull();
      AwsErrorDetails pending = error(() -> encrypt(kms, keyId));
      assertThat(pending.errorCode()).isEqualTo("KMSInvalidStateException");
      assertThat(pending.errorMessage()).isEqualTo(arn(server, keyId) + " is pending import.");

      GetParametersForImportResponse parameters =
          parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_256);
      assertThat(parameters.keyId()).isEqualTo(arn(server, keyId));
      assertThat(parameters.parametersValidTo()).isEqualTo(start.plus(Duration.ofHours(24)));
      byte[] wrapped =
          openssl.wrap("RSAES_OAEP_SHA_256", parameters.publicKey().asByteArray(), material);
      AwsErrorDetails noValidTo =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(keyId)
                              .importToken(parameters.importToken())
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))));
      assertThat(noValidTo.errorCode()).isEqualTo("ValidationException");
      assertThat(noValidTo.errorMessage())
          .isEqualTo("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");

      String materialId =
          kms.importKeyMaterial(
                  r ->
                      r.keyId(keyId)
                          .importToken(parameters.importToken())
                          .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                          .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE))
              .keyMaterialId();
      KeyMetadata imported = kms.describeKey(r -> r.keyId(keyId)).keyMetadata();
      assertThat(imported.keyState()).isEqualTo(KeyState.ENABLED);
      assertThat(imported.expirationModel())
          .isEqualTo(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE);
      assertThat(imported.currentKeyMaterialId()).isEqualTo(materialId).matches("[0-9a-f]{64}");
      secret = encrypt(kms, keyId);

      assertThat(kms.deleteImportedKeyMaterial(r -> r.keyId(keyId)).keyMaterialId())
          .isEqualTo(materialId);
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.PENDING_IMPORT);
      assertThat(error(() -> kms.decrypt(r -> r.ciphertextBlob(secret))).errorMessage())
          .isEqualTo(arn(server, keyId) + " is pending import.");

      GetParametersForImportResponse again = parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_1);
      byte[] rewrapped =
          openssl.wrap("RSAES_OAEP_SHA_1", again.publicKey().asByteArray(), material);
      Instant validTo = start.plus(Duration.ofHours(1));
      kms.importKeyMaterial(
          r ->
              r.keyId(keyId)
                  .importToken(again.importToken())
                  .encryptedKeyMaterial(SdkBytes.fromByteArray(rewrapped))
                  .validTo(validTo));
      KeyMetadata expiring = kms.describeKey(r -> r.keyId(keyId)).keyMetadata();
      assertThat(expiring.keyState()).isEqualTo(KeyState.ENABLED);
      assertThat(expiring.validTo()).isEqualTo(validTo);
      assertThat(expiring.expirationModel()).isEqualTo(ExpirationModelType.KEY_MATERIAL_EXPIRES);
      assertThat(decrypt(kms, secret)).isEqualTo("imported secret");

      clock.advance(Duration.ofHours(2));
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.PENDING_IMPORT);
      assertThat(error(() -> encrypt(kms, keyId)).errorCode())
          .isEqualTo("KMSInvalidStateException");
      GetParametersForImportResponse third =
          parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_256);
      byte[] other = new byte[32];
      RANDOM.nextBytes(other);
      byte[] wrongMaterial =
          openssl.wrap("RSAES_OAEP_SHA_256", third.publicKey().asByteArray(), other);
      AwsErrorDetails incorrect =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(keyId)
                              .importToken(third.importToken())
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(wrongMaterial))
                              .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)));
      assertThat(incorrect.errorCode()).isEqualTo("IncorrectKeyMaterialException");
      byte[] right = openssl.wrap("RSAES_OAEP_SHA_256", third.publicKey().asByteArray(), material);
      kms.importKeyMaterial(
          r ->
              r.keyId(keyId)
                  .importToken(third.importToken())
                  .encryptedKeyMaterial(SdkBytes.fromByteArray(right))
                  .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE));
    }

    try (KmsMockServer restarted = server();
        KmsClient kms = client(restarted)) {
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.ENABLED);
      assertThat(decrypt(kms, secret)).isEqualTo("imported secret");
    }
  }

  @Test
  void importTokensExpireAfter24HoursAndBelongToTheirKey() throws Exception {
    Openssl openssl = new Openssl(work);
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId = kms.createKey(r -> r.origin(OriginType.EXTERNAL)).keyMetadata().keyId();
      String otherKey = kms.createKey(r -> r.origin(OriginType.EXTERNAL)).keyMetadata().keyId();
      GetParametersForImportResponse parameters =
          parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_256);
      byte[] material = new byte[32];
      byte[] wrapped =
          openssl.wrap("RSAES_OAEP_SHA_256", parameters.publicKey().asByteArray(), material);

      AwsErrorDetails foreign =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(otherKey)
                              .importToken(parameters.importToken())
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                              .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)));
      assertThat(foreign.errorCode()).isEqualTo("InvalidImportTokenException");
      AwsErrorDetails garbage =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(keyId)
                              .importToken(SdkBytes.fromUtf8String("not a token"))
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                              .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)));
      assertThat(garbage.errorCode()).isEqualTo("InvalidImportTokenException");
      AwsErrorDetails unwrappable =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(keyId)
                              .importToken(parameters.importToken())
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(new byte[256]))
                              .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)));
      assertThat(unwrappable.errorCode()).isEqualTo("InvalidCiphertextException");

      clock.advance(Duration.ofHours(24));
      AwsErrorDetails expired =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(keyId)
                              .importToken(parameters.importToken())
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                              .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)));
      assertThat(expired.errorCode()).isEqualTo("ExpiredImportTokenException");

      String generated = kms.createKey(r -> {}).keyMetadata().keyId();
      AwsErrorDetails notExternal =
          error(() -> parameters(kms, generated, AlgorithmSpec.RSAES_OAEP_SHA_256));
      assertThat(notExternal.errorCode()).isEqualTo("UnsupportedOperationException");
      assertThat(notExternal.errorMessage())
          .isEqualTo(
              arn(server, generated) + " origin is AWS_KMS which is not valid for this operation.");
      assertThat(error(() -> kms.deleteImportedKeyMaterial(r -> r.keyId(generated))).errorMessage())
          .isEqualTo(
              arn(server, generated) + " origin is AWS_KMS which is not valid for this operation.");
      assertThat(error(() -> parameters(kms, keyId, AlgorithmSpec.RSAES_PKCS1_V1_5)).errorCode())
          .isEqualTo("ValidationException");
      assertThat(server.auditLog().events())
          .filteredOn(e -> e.eventName().equals("ImportKeyMaterial"))
          .allSatisfy(
              e -> {
                assertThat(e.requestParameters().path("keyId").asText()).isIn(keyId, otherKey);
                assertThat(e.requestParameters().path("expirationModel").asText())
                    .isEqualTo("KEY_MATERIAL_DOES_NOT_EXPIRE");
                assertThat(e.requestParameters().has("importToken")).isFalse();
                assertThat(e.requestParameters().has("encryptedKeyMaterial")).isFalse();
              });
      assertThat(server.auditLog().events())
          .filteredOn(e -> e.eventName().equals("GetParametersForImport"))
          .allSatisfy(e -> assertThat(e.responseElements().isNull()).isTrue());
    }
  }

  @Test
  void keyPoliciesSeeTheWrappingAlgorithmAndTheExpirationModel() throws Exception {
    Openssl openssl = new Openssl(work);
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
            + "\"arn:aws:iam::000000000000:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
            + "\"Principal\":\"*\",\"Action\":\"kms:GetParametersForImport\",\"Resource\":\"*\",\"Condition\":"
            + "{\"StringEquals\":{\"kms:WrappingAlgorithm\":\"RSAES_OAEP_SHA_1\"}}},{\"Effect\":\"Deny\",\"Principal\":"
            + "\"*\",\"Action\":\"kms:ImportKeyMaterial\",\"Resource\":\"*\",\"Condition\":{\"StringEquals\":"
            + "{\"kms:ExpirationModel\":\"KEY_MATERIAL_DOES_NOT_EXPIRE\"}}}]}";
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId =
          kms.createKey(r -> r.origin(OriginType.EXTERNAL).policy(policy)).keyMetadata().keyId();
      AwsErrorDetails sha1 = error(() -> parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_1));
      assertThat(sha1.errorCode()).isEqualTo("AccessDeniedException");
      assertThat(sha1.errorMessage()).endsWith("with an explicit deny in a resource-based policy");
      GetParametersForImportResponse parameters =
          parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_256);
      byte[] material = new byte[32];
      byte[] wrapped =
          openssl.wrap("RSAES_OAEP_SHA_256", parameters.publicKey().asByteArray(), material);
      assertThat(
              error(
                      () ->
                          kms.importKeyMaterial(
                              r ->
                                  r.keyId(keyId)
                                      .importToken(parameters.importToken())
                                      .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                                      .expirationModel(
                                          ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)))
                  .errorCode())
          .isEqualTo("AccessDeniedException");
      kms.importKeyMaterial(
          r ->
              r.keyId(keyId)
                  .importToken(parameters.importToken())
                  .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                  .validTo(start.plus(Duration.ofDays(30))));
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.ENABLED);
    }
  }

  @Test
  void newSymmetricMaterialWaitsForAnOnDemandRotation() throws Exception {
    Openssl openssl = new Openssl(work);
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId = kms.createKey(r -> r.origin(OriginType.EXTERNAL)).keyMetadata().keyId();
      byte[] first = new byte[32];
      RANDOM.nextBytes(first);
      String firstId = importMaterial(kms, openssl, keyId, first, null);
      SdkBytes old = encrypt(kms, keyId);
      AwsErrorDetails nothingPending = error(() -> kms.rotateKeyOnDemand(r -> r.keyId(keyId)));
      assertThat(nothingPending.errorCode()).isEqualTo("KMSInvalidStateException");

      byte[] second = new byte[32];
      RANDOM.nextBytes(second);
      String secondId = importMaterial(kms, openssl, keyId, second, ImportType.NEW_KEY_MATERIAL);
      List<RotationsListEntry> pending =
          kms.listKeyRotations(
                  r -> r.keyId(keyId).includeKeyMaterial(IncludeKeyMaterial.ALL_KEY_MATERIAL))
              .rotations();
      assertThat(pending)
          .extracting(RotationsListEntry::keyMaterialId)
          .containsExactly(firstId, secondId);
      assertThat(pending)
          .extracting(RotationsListEntry::keyMaterialState)
          .containsExactly(KeyMaterialState.CURRENT, KeyMaterialState.PENDING_ROTATION);
      assertThat(pending)
          .extracting(RotationsListEntry::importState)
          .containsExactly(ImportState.IMPORTED, ImportState.IMPORTED);
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId())
          .isEqualTo(firstId);

      kms.rotateKeyOnDemand(r -> r.keyId(keyId));
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId())
          .isEqualTo(secondId);
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations())
          .singleElement()
          .extracting(RotationsListEntry::keyMaterialId)
          .isEqualTo(secondId);
      assertThat(kms.decrypt(r -> r.ciphertextBlob(old)).keyMaterialId()).isEqualTo(firstId);

      kms.deleteImportedKeyMaterial(r -> r.keyId(keyId).keyMaterialId(firstId));
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.PENDING_IMPORT);
      importMaterial(kms, openssl, keyId, first, ImportType.EXISTING_KEY_MATERIAL);
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.ENABLED);
      assertThat(decrypt(kms, old)).isEqualTo("imported secret");
    }
  }

  private String importMaterial(
      KmsClient kms, Openssl openssl, String keyId, byte[] material, ImportType type)
      throws Exception {
    GetParametersForImportResponse parameters =
        parameters(kms, keyId, AlgorithmSpec.RSAES_OAEP_SHA_256);
    byte[] wrapped =
        openssl.wrap("RSAES_OAEP_SHA_256", parameters.publicKey().asByteArray(), material);
    return kms.importKeyMaterial(
            r ->
                r.keyId(keyId)
                    .importToken(parameters.importToken())
                    .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                    .importType(type)
                    .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE))
        .keyMaterialId();
  }

  private static SdkBytes encrypt(KmsClient kms, String keyId) {
    return kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("imported secret")))
        .ciphertextBlob();
  }

  private static String decrypt(KmsClient kms, SdkBytes blob) {
    return kms.decrypt(r -> r.ciphertextBlob(blob)).plaintext().asUtf8String();
  }

  private static String arn(KmsMockServer server, String keyId) {
    return "arn:aws:kms:" + server.region() + ":" + server.accountId() + ":key/" + keyId;
  }

  private KmsMockServer server() throws IOException {
    return ImportKeyMaterialFixtures.server(clock, state);
  }

  private KmsClient client(KmsMockServer server) {
    return ImportKeyMaterialFixtures.client(server, clock);
  }
}
