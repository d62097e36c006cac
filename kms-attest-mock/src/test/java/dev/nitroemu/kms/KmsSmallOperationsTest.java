package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.DataKeyPairSpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyPairWithoutPlaintextResponse;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.ListKeyPoliciesResponse;

/**
 * UpdateAlias, UpdateKeyDescription, ListKeyPolicies, GenerateDataKeyPairWithoutPlaintext,
 * CancelKeyDeletion and the NotFoundException for well-formed multi-Region ids, through the
 * unmodified AWS SDK.
 */
@Timeout(60)
class KmsSmallOperationsTest {
  private KmsMockServer server;
  private KmsClient kms;

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
  }

  private String arn(String keyId) {
    return "arn:aws:kms:us-east-1:000000000000:key/" + keyId;
  }

  @Test
  void updateAliasMovesAnAliasBetweenKeysOfTheSameKind() {
    String first = kms.createKey(r -> r.description("first")).keyMetadata().keyId();
    String second = kms.createKey(r -> r.description("second")).keyMetadata().keyId();
    kms.createAlias(r -> r.aliasName("alias/app").targetKeyId(first));
    Instant created = kms.listAliases().aliases().get(0).creationDate();

    kms.updateAlias(r -> r.aliasName("alias/app").targetKeyId(arn(second)));

    AliasListEntry alias = kms.listAliases().aliases().get(0);
    assertThat(alias.targetKeyId()).isEqualTo(second);
    assertThat(alias.creationDate()).isEqualTo(created);
    assertThat(alias.lastUpdatedDate()).isAfterOrEqualTo(created);
    assertThat(kms.describeKey(r -> r.keyId("alias/app")).keyMetadata().keyId()).isEqualTo(second);

    String signing =
        kms.createKey(r -> r.keySpec(KeySpec.ECC_NIST_P256).keyUsage(KeyUsageType.SIGN_VERIFY))
            .keyMetadata()
            .keyId();
    assertError(
        () -> kms.updateAlias(r -> r.aliasName("alias/app").targetKeyId(signing)),
        "ValidationException",
        "Alias alias/app cannot be moved to "
            + arn(signing)
            + ": the new target key must have the same key type"
            + " (symmetric, asymmetric or HMAC) and key usage as the current one (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).");
    assertError(
        () -> kms.updateAlias(r -> r.aliasName("alias/missing").targetKeyId(first)),
        "NotFoundException",
        "Alias arn:aws:kms:us-east-1:000000000000:alias/missing is not found.");
    assertError(
        () -> kms.updateAlias(r -> r.aliasName("alias/app").targetKeyId("alias/other")),
        "ValidationException",
        "Aliases must refer to keys. Not aliases");
    assertError(
        () -> kms.updateAlias(r -> r.aliasName("app").targetKeyId(first)),
        "ValidationException",
        "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");

    kms.scheduleKeyDeletion(r -> r.keyId(first).pendingWindowInDays(7));
    assertError(
        () -> kms.updateAlias(r -> r.aliasName("alias/app").targetKeyId(first)),
        "KMSInvalidStateException",
        arn(first) + " is pending deletion.");
    // The current target may be pending deletion: the alias moves away from it.
    kms.createAlias(r -> r.aliasName("alias/second").targetKeyId(second));
    kms.scheduleKeyDeletion(r -> r.keyId(second).pendingWindowInDays(7));
    String third = kms.createKey(r -> r.description("third")).keyMetadata().keyId();
    kms.updateAlias(r -> r.aliasName("alias/second").targetKeyId(third));
    assertThat(kms.describeKey(r -> r.keyId("alias/second")).keyMetadata().keyId())
        .isEqualTo(third);
  }

  @Test
  void updateKeyDescriptionChangesOnlyTheDescription() {
    String keyId = kms.createKey(r -> r.description("before")).keyMetadata().keyId();
    kms.disableKey(r -> r.keyId(keyId));

    kms.updateKeyDescription(r -> r.keyId(arn(keyId)).description("after"));

    assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().description()).isEqualTo("after");
    assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
        .isEqualTo(KeyState.DISABLED);
    kms.updateKeyDescription(r -> r.keyId(keyId).description(""));
    assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().description()).isEmpty();
    assertError(
        () -> kms.updateKeyDescription(r -> r.keyId(keyId).description("x".repeat(8193))),
        "ValidationException",
        "1 validation error detected: Value '"
            + "x".repeat(8193)
            + "' at 'description' failed to satisfy constraint: "
            + "Member must have length less than or equal to 8192");
    assertError(
        () -> kms.updateKeyDescription(r -> r.keyId(keyId)),
        "ValidationException",
        "1 validation error detected: Value null at 'description' failed to satisfy constraint: Member must not be null");
    kms.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(7));
    assertError(
        () -> kms.updateKeyDescription(r -> r.keyId(keyId).description("late")),
        "KMSInvalidStateException",
        arn(keyId) + " is pending deletion.");
  }

  @Test
  void listKeyPoliciesNamesTheDefaultPolicyInEveryState() {
    String keyId = kms.createKey(r -> r.description("policies")).keyMetadata().keyId();
    kms.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(30));

    ListKeyPoliciesResponse policies = kms.listKeyPolicies(r -> r.keyId(keyId));

    assertThat(policies.policyNames()).containsExactly("default");
    assertThat(policies.truncated()).isFalse();
    assertError(
        () -> kms.listKeyPolicies(r -> r.keyId("alias/x")),
        "NotFoundException",
        "Invalid keyId 'alias/x'");
  }

  @Test
  void generateDataKeyPairWithoutPlaintextReturnsNoPrivateKey() throws Exception {
    String keyId = kms.createKey(r -> r.description("wraps pairs")).keyMetadata().keyId();

    GenerateDataKeyPairWithoutPlaintextResponse pair =
        kms.generateDataKeyPairWithoutPlaintext(
            r ->
                r.keyId(keyId)
                    .keyPairSpec(DataKeyPairSpec.ECC_NIST_P256)
                    .encryptionContext(Map.of("app", "x")));

    assertThat(pair.keyId()).isEqualTo(arn(keyId));
    assertThat(pair.keyPairSpec()).isEqualTo(DataKeyPairSpec.ECC_NIST_P256);
    assertThat(pair.keyMaterialId()).isNotBlank();
    byte[] privateKey =
        kms.decrypt(
                r ->
                    r.ciphertextBlob(pair.privateKeyCiphertextBlob())
                        .encryptionContext(Map.of("app", "x")))
            .plaintext()
            .asByteArray();
    PrivateKey parsed =
        KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(privateKey));
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(parsed);
    signer.update(new byte[] {1});
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(
        KeyFactory.getInstance("EC")
            .generatePublic(new X509EncodedKeySpec(pair.publicKey().asByteArray())));
    verifier.update(new byte[] {1});
    assertThat(verifier.verify(signature))
        .as("the public key belongs to the encrypted private key")
        .isTrue();
    String signing =
        kms.createKey(r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.SIGN_VERIFY))
            .keyMetadata()
            .keyId();
    assertError(
        () ->
            kms.generateDataKeyPairWithoutPlaintext(
                r -> r.keyId(signing).keyPairSpec(DataKeyPairSpec.RSA_2048)),
        "InvalidKeyUsageException",
        arn(signing)
            + " key usage is SIGN_VERIFY which is not valid for GenerateDataKeyPairWithoutPlaintext.");
  }

  @Test
  void cancelKeyDeletionLeavesTheKeyDisabled() {
    String keyId = kms.createKey(r -> r.description("reprieved")).keyMetadata().keyId();
    assertError(
        () -> kms.cancelKeyDeletion(r -> r.keyId(keyId)),
        "KMSInvalidStateException",
        arn(keyId) + " is not pending deletion.");
    kms.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(7));

    assertThat(kms.cancelKeyDeletion(r -> r.keyId(keyId)).keyId()).isEqualTo(arn(keyId));

    assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
        .isEqualTo(KeyState.DISABLED);
    assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().deletionDate()).isNull();
  }

  @Test
  void aWellFormedUnknownMultiRegionIdIsNotFoundByArn() {
    String mrk = "mrk-d3b95762d3b95762d3b95762d3b95762";
    String notFound = "Key 'arn:aws:kms:us-east-1:000000000000:key/" + mrk + "' does not exist";

    assertError(() -> kms.describeKey(r -> r.keyId(mrk)), "NotFoundException", notFound);
    assertError(() -> kms.describeKey(r -> r.keyId(arn(mrk))), "NotFoundException", notFound);
    assertError(
        () -> kms.encrypt(r -> r.keyId(mrk).plaintext(SdkBytes.fromUtf8String("x"))),
        "NotFoundException",
        notFound);
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(mrk)
                        .message(SdkBytes.fromUtf8String("x"))
                        .signingAlgorithm("ECDSA_SHA_256")),
        "NotFoundException",
        notFound);
    assertError(
        () -> kms.tagResource(r -> r.keyId(mrk).tags(t -> t.tagKey("k").tagValue("v"))),
        "NotFoundException",
        notFound);
    assertError(
        () -> kms.describeKey(r -> r.keyId("mrk-fake-key-id")),
        "NotFoundException",
        "Invalid keyId 'mrk-fake-key-id'");
    assertError(
        () -> kms.describeKey(r -> r.keyId("134f2428cec14b25a1ae9048164dba47")),
        "NotFoundException",
        "Invalid keyId '134f2428cec14b25a1ae9048164dba47'");
  }
}
