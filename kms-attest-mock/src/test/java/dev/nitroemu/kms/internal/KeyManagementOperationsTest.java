package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeyManagementOperationsTest {
  private final KmsTestBed bed = KmsTestBed.inMemory();

  @Test
  void createKeyMakesAnEnabledSymmetricKeyWithTheDefaultPolicy() {
    KmsResult result = bed.call("CreateKey", "{\"Description\": \"orders\"}");
    JsonNode metadata = result.response().get("KeyMetadata");
    String keyId = metadata.get("KeyId").textValue();

    assertThat(KeyIdentifiers.isKeyId(keyId)).isTrue();
    assertThat(metadata.get("Arn").textValue())
        .isEqualTo("arn:aws:kms:eu-west-1:111122223333:key/" + keyId);
    assertThat(metadata.get("AWSAccountId").textValue()).isEqualTo(KmsTestBed.ACCOUNT);
    assertThat(metadata.get("Description").textValue()).isEqualTo("orders");
    assertThat(metadata.get("Enabled").booleanValue()).isTrue();
    assertThat(metadata.get("KeyState").textValue()).isEqualTo("Enabled");
    assertThat(metadata.get("KeySpec").textValue()).isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(metadata.get("CustomerMasterKeySpec").textValue()).isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(metadata.get("KeyUsage").textValue()).isEqualTo("ENCRYPT_DECRYPT");
    assertThat(metadata.get("EncryptionAlgorithms"))
        .extracting(JsonNode::textValue)
        .containsExactly("SYMMETRIC_DEFAULT");
    assertThat(metadata.get("Origin").textValue()).isEqualTo("AWS_KMS");
    assertThat(metadata.get("KeyManager").textValue()).isEqualTo("CUSTOMER");
    assertThat(metadata.get("MultiRegion").booleanValue()).isFalse();
    assertThat(metadata.get("CurrentKeyMaterialId").textValue()).matches("[0-9a-f]{64}");
    assertThat(metadata.get("CreationDate").decimalValue())
        .isEqualByComparingTo(BigDecimal.valueOf(bed.clock.instant().toEpochMilli(), 3));
    assertThat(metadata.has("DeletionDate")).isFalse();
    assertThat(result.resources()).containsExactly(metadata.get("Arn").textValue());
    assertThat(result.recipient()).isNull();
    assertThat(
            bed.call("GetKeyPolicy", "{\"KeyId\": \"" + keyId + "\"}")
                .response()
                .get("Policy")
                .textValue())
        .isEqualTo(KeyPolicy.defaultPolicyJson(KmsTestBed.ACCOUNT));
    assertThat(bed.createKey("{}").get("Description").textValue()).isEmpty();
  }

  @Test
  void createKeyMakesRsaEncryptionAndEccKeyAgreementKeys() {
    JsonNode rsa = bed.createKey("{\"KeySpec\": \"RSA_3072\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}");
    JsonNode ecc =
        bed.createKey("{\"KeySpec\": \"ECC_NIST_P384\", \"KeyUsage\": \"KEY_AGREEMENT\"}");
    JsonNode deprecatedSpec =
        bed.createKey(
            "{\"CustomerMasterKeySpec\": \"RSA_2048\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}");

    assertThat(rsa.get("KeySpec").textValue()).isEqualTo("RSA_3072");
    assertThat(rsa.get("EncryptionAlgorithms"))
        .extracting(JsonNode::textValue)
        .containsExactly("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256");
    assertThat(rsa.has("CurrentKeyMaterialId")).isFalse();
    assertThat(ecc.get("KeyUsage").textValue()).isEqualTo("KEY_AGREEMENT");
    assertThat(ecc.get("KeyAgreementAlgorithms"))
        .extracting(JsonNode::textValue)
        .containsExactly("ECDH");
    assertThat(ecc.has("EncryptionAlgorithms")).isFalse();
    assertThat(deprecatedSpec.get("KeySpec").textValue()).isEqualTo("RSA_2048");
    String rsaId = rsa.get("KeyId").textValue();
    assertThat(bed.store.find(rsaId, bed.clock.instant()).spec()).isEqualTo(KmsKeySpec.RSA_3072);
  }

  @Test
  void createKeyRefusesInvalidRequestsAsKmsDoes() {
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"AES_256\"}",
        "ValidationException",
        "1 validation error detected: Value 'AES_256' at 'keySpec' failed to satisfy constraint: Member must "
            + "satisfy enum value set: "
            + KmsKeySpec.AWS_KEY_SPECS);
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"RSA_2048\", \"CustomerMasterKeySpec\": \"RSA_2048\", \"KeyUsage\": "
            + "\"ENCRYPT_DECRYPT\"}",
        "ValidationException",
        "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"RSA_2048\"}",
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
    assertError(
        "CreateKey",
        "{\"KeyUsage\": \"SIGN_VERIFY\"}",
        "ValidationException",
        "KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT");
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"ECC_NIST_P256\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}",
        "ValidationException",
        "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256");
    assertError(
        "CreateKey",
        "{\"Description\": \"" + "d".repeat(8193) + "\"}",
        "ValidationException",
        null);
    assertError(
        "CreateKey",
        "{\"Description\": 5}",
        "SerializationException",
        "NUMBER_VALUE can not be converted to a String");
  }

  @Test
  void createKeyRefusesRealKeyKindsTheMockDoesNotImplement() {
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"ML_DSA_65\", \"KeyUsage\": \"SIGN_VERIFY\"}",
        "UnsupportedOperationException",
        "KeySpec ML_DSA_65 with KeyUsage SIGN_VERIFY is not supported by the "
            + "nitro-emu KMS mock.");
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"SM2\", \"KeyUsage\": \"SIGN_VERIFY\"}",
        "UnsupportedOperationException",
        null);
    assertError(
        "CreateKey",
        "{\"KeySpec\": \"ECC_NIST_EDWARDS25519\", \"KeyUsage\": \"SIGN_VERIFY\"}",
        "UnsupportedOperationException",
        null);
    assertError(
        "CreateKey", "{\"Origin\": \"AWS_CLOUDHSM\"}", "UnsupportedOperationException", null);
    assertError(
        "CreateKey",
        "{\"Origin\": \"EXTERNAL_KEY_STORE\", \"MultiRegion\": true}",
        "UnsupportedOperationException",
        null);
    assertThat(bed.store.keys(KmsTestBed.ACCOUNT, bed.clock.instant())).isEmpty();
  }

  @Test
  void createKeyChecksTheGivenPolicy() {
    assertError(
        "CreateKey", "{\"Policy\": \"{not json\"}", "MalformedPolicyDocumentException", null);
    String strangerOnly = policy("arn:aws:iam::444455556666:root", "kms:*");
    assertError(
        "CreateKey",
        "{\"Policy\": " + KmsTestBed.JSON.valueToTree(strangerOnly) + "}",
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.");
    assertError(
        "CreateKey",
        "{\"Policy\": \"{\\\"Statement\\\": \\\"\u20ac\\\"}\"}",
        "ValidationException",
        null);

    JsonNode bypassed =
        bed.createKey(
            "{\"Policy\": "
                + KmsTestBed.JSON.valueToTree(strangerOnly)
                + ", \"BypassPolicyLockoutSafetyCheck\": true}");
    assertThat(bed.store.find(bypassed.get("KeyId").textValue(), bed.clock.instant()).policyJson())
        .isEqualTo(strangerOnly);
  }

  @Test
  void describeKeyAcceptsEveryIdentifierFormButOnlyForTheCallersAccount() {
    String keyId = bed.symmetricKey();
    bed.call(
        "CreateAlias", "{\"AliasName\": \"alias/described\", \"TargetKeyId\": \"" + keyId + "\"}");

    for (String id : List.of(keyId, bed.arn(keyId), "alias/described")) {
      JsonNode metadata =
          bed.call("DescribeKey", "{\"KeyId\": \"" + id + "\"}").response().get("KeyMetadata");
      assertThat(metadata.get("KeyId").textValue()).isEqualTo(keyId);
    }
    assertError(
        KmsTestBed.OTHER_ACCOUNT,
        "DescribeKey",
        "{\"KeyId\": \"" + bed.arn(keyId) + "\"}",
        "NotFoundException",
        "Key '" + bed.arn(keyId) + "' does not exist");
    assertError(
        "DescribeKey",
        "{}",
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    assertError(
        "DescribeKey",
        "{\"KeyId\": \"\"}",
        "ValidationException",
        "1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must have length "
            + "greater than or equal to 1");
  }

  @Test
  void listKeysPagesThroughTheAccountsKeysWithMarkers() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(bed.symmetricKey());
    }
    List<String> listed = new ArrayList<>();
    String marker = null;
    int pages = 0;
    do {
      String body =
          marker == null ? "{\"Limit\": 2}" : "{\"Limit\": 2, \"Marker\": \"" + marker + "\"}";
      JsonNode page = bed.call("ListKeys", body).response();
      page.get("Keys")
          .forEach(
              k -> {
                listed.add(k.get("KeyId").textValue());
                assertThat(k.get("KeyArn").textValue())
                    .isEqualTo(bed.arn(k.get("KeyId").textValue()));
              });
      boolean truncated = page.get("Truncated").booleanValue();
      assertThat(page.has("NextMarker")).isEqualTo(truncated);
      marker = truncated ? page.get("NextMarker").textValue() : null;
      pages++;
    } while (marker != null);

    assertThat(pages).isEqualTo(3);
    assertThat(listed).containsExactlyElementsOf(created.stream().sorted().toList());
    assertThat(bed.call("ListKeys", "{}").response().get("Keys")).hasSize(5);
    assertThat(bed.call(KmsTestBed.OTHER_ACCOUNT, "ListKeys", "{}").response().get("Keys"))
        .isEmpty();
    assertError(
        "ListKeys",
        "{\"Limit\": 0}",
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value "
            + "greater than or equal to 1");
    assertError(
        "ListKeys",
        "{\"Limit\": \"two\"}",
        "SerializationException",
        "STRING_VALUE can not be converted to an Integer");
    assertError("ListKeys", "{\"Marker\": \"***\"}", "ValidationException", null);
  }

  @Test
  void disabledKeysRefuseCryptographyUntilEnabledAgain() {
    String keyId = bed.symmetricKey();
    String encrypt = "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQID\"}";

    assertThat(bed.call("DisableKey", "{\"KeyId\": \"" + keyId + "\"}").response().isEmpty())
        .isTrue();
    bed.call("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");
    JsonNode metadata = describe(keyId);
    assertThat(metadata.get("Enabled").booleanValue()).isFalse();
    assertThat(metadata.get("KeyState").textValue()).isEqualTo("Disabled");
    assertError("Encrypt", encrypt, "DisabledException", bed.arn(keyId) + " is disabled.");

    bed.call("EnableKey", "{\"KeyId\": \"" + bed.arn(keyId) + "\"}");
    assertThat(describe(keyId).get("KeyState").textValue()).isEqualTo("Enabled");
    assertThat(bed.call("Encrypt", encrypt).response().has("CiphertextBlob")).isTrue();
    assertError(
        "EnableKey",
        "{\"KeyId\": \"alias/none\"}",
        "NotFoundException",
        "Invalid keyId 'alias/none'");
  }

  @Test
  void scheduledDeletionBlocksTheKeyAndCanBeCancelled() {
    String keyId = bed.symmetricKey();
    String arn = bed.arn(keyId);

    JsonNode scheduled =
        bed.call("ScheduleKeyDeletion", "{\"KeyId\": \"" + keyId + "\"}").response();
    assertThat(scheduled.get("KeyId").textValue()).isEqualTo(arn);
    assertThat(scheduled.get("KeyState").textValue()).isEqualTo("PendingDeletion");
    assertThat(scheduled.get("PendingWindowInDays").intValue()).isEqualTo(30);
    assertThat(scheduled.get("DeletionDate").decimalValue())
        .isEqualByComparingTo(
            BigDecimal.valueOf(bed.clock.instant().plus(Duration.ofDays(30)).toEpochMilli(), 3));
    JsonNode metadata = describe(keyId);
    assertThat(metadata.get("KeyState").textValue()).isEqualTo("PendingDeletion");
    assertThat(metadata.get("PendingDeletionWindowInDays").intValue()).isEqualTo(30);
    assertThat(metadata.get("DeletionDate")).isEqualTo(scheduled.get("DeletionDate"));
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQID\"}",
        "KMSInvalidStateException",
        arn + " is pending deletion.");
    assertError(
        "EnableKey",
        "{\"KeyId\": \"" + keyId + "\"}",
        "KMSInvalidStateException",
        arn + " is pending deletion.");
    assertError(
        "ScheduleKeyDeletion",
        "{\"KeyId\": \"" + keyId + "\"}",
        "KMSInvalidStateException",
        arn + " is pending deletion.");
    assertThat(bed.call("GetKeyPolicy", "{\"KeyId\": \"" + keyId + "\"}").response().has("Policy"))
        .isTrue();

    assertThat(
            bed.call("CancelKeyDeletion", "{\"KeyId\": \"" + keyId + "\"}")
                .response()
                .get("KeyId")
                .textValue())
        .isEqualTo(arn);
    assertThat(describe(keyId).get("KeyState").textValue()).isEqualTo("Disabled");
    assertThat(describe(keyId).has("DeletionDate")).isFalse();
    assertError(
        "CancelKeyDeletion",
        "{\"KeyId\": \"" + keyId + "\"}",
        "KMSInvalidStateException",
        arn + " is not pending deletion.");
  }

  @Test
  void deletionWindowMustBeSevenToThirtyDays() {
    String keyId = bed.symmetricKey();

    assertError(
        "ScheduleKeyDeletion",
        "{\"KeyId\": \"" + keyId + "\", \"PendingWindowInDays\": 6}",
        "ValidationException",
        "PendingWindowInDays should be between 7 and 30, but it is 6");
    assertError(
        "ScheduleKeyDeletion",
        "{\"KeyId\": \"" + keyId + "\", \"PendingWindowInDays\": 31}",
        "ValidationException",
        "PendingWindowInDays should be between 7 and 30, but it is 31");
    assertError(
        "ScheduleKeyDeletion",
        "{\"KeyId\": \"" + keyId + "\", \"PendingWindowInDays\": 0}",
        "ValidationException",
        "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy "
            + "constraint: Member must have value greater than or equal to 1");
    assertThat(describe(keyId).get("KeyState").textValue()).isEqualTo("Enabled");
    JsonNode week =
        bed.call(
                "ScheduleKeyDeletion", "{\"KeyId\": \"" + keyId + "\", \"PendingWindowInDays\": 7}")
            .response();
    assertThat(week.get("PendingWindowInDays").intValue()).isEqualTo(7);
  }

  @Test
  void aKeyIsGoneOnceItsDeletionDatePasses() {
    String keyId = bed.symmetricKey();
    String blob = bed.encrypt(keyId, new byte[] {7}, null);
    bed.call(
        "CreateAlias",
        "{\"AliasName\": \"alias/short-lived\", \"TargetKeyId\": \"" + keyId + "\"}");
    bed.call("ScheduleKeyDeletion", "{\"KeyId\": \"" + keyId + "\", \"PendingWindowInDays\": 7}");

    bed.clock.advance(Duration.ofDays(7));

    assertError(
        "DescribeKey",
        "{\"KeyId\": \"" + keyId + "\"}",
        "NotFoundException",
        "Key '" + bed.arn(keyId) + "' does not exist");
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \"" + blob + "\"}",
        "AccessDeniedException",
        "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you "
            + "are not allowed to access.");
    assertThat(bed.call("ListAliases", "{}").response().get("Aliases")).isEmpty();
    assertThat(bed.call("ListKeys", "{}").response().get("Keys")).isEmpty();
  }

  @Test
  void putKeyPolicyReplacesThePolicyTextExactly() {
    String keyId = bed.symmetricKey();
    String newPolicy =
        policy("arn:aws:iam::111122223333:root", "kms:*").replace("\"Effect\"", "\n  \"Effect\"");

    KmsResult put =
        bed.call(
            "PutKeyPolicy",
            "{\"KeyId\": \""
                + keyId
                + "\", \"PolicyName\": \"default\", \"Policy\": "
                + KmsTestBed.JSON.valueToTree(newPolicy)
                + "}");

    assertThat(put.response().isEmpty()).isTrue();
    JsonNode got =
        bed.call(
                "GetKeyPolicy",
                "{\"KeyId\": \"" + bed.arn(keyId) + "\", \"PolicyName\": \"default\"}")
            .response();
    assertThat(got.get("Policy").textValue()).isEqualTo(newPolicy);
    assertThat(got.get("PolicyName").textValue()).isEqualTo("default");
  }

  @Test
  void putKeyPolicyRefusesBadPoliciesAndOtherPolicyNames() {
    String keyId = bed.symmetricKey();
    String stranger =
        KmsTestBed.JSON.valueToTree(policy("arn:aws:iam::444455556666:root", "kms:*")).toString();
    String base = "{\"KeyId\": \"" + keyId + "\", \"Policy\": ";

    assertError("PutKeyPolicy", base + "\"[]\"}", "MalformedPolicyDocumentException", null);
    assertError(
        "PutKeyPolicy",
        base + stranger + "}",
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.");
    assertError(
        "PutKeyPolicy",
        "{\"KeyId\": \"" + keyId + "\"}",
        "ValidationException",
        "1 validation error detected: Value null at 'policy' failed to satisfy constraint: Member must not be null");
    assertError(
        "PutKeyPolicy",
        base + stranger + ", \"PolicyName\": \"other\"}",
        "ValidationException",
        null);
    assertError(
        "GetKeyPolicy",
        "{\"KeyId\": \"" + keyId + "\", \"PolicyName\": \"other\"}",
        "NotFoundException",
        null);
    assertError(
        "PutKeyPolicy",
        "{\"KeyId\": \"alias/x\", \"Policy\": " + stranger + "}",
        "NotFoundException",
        null);
    assertThat(
            bed.call("GetKeyPolicy", "{\"KeyId\": \"" + keyId + "\"}")
                .response()
                .get("Policy")
                .textValue())
        .isEqualTo(KeyPolicy.defaultPolicyJson(KmsTestBed.ACCOUNT));

    bed.call("PutKeyPolicy", base + stranger + ", \"BypassPolicyLockoutSafetyCheck\": true}");
    assertError(
        "GetKeyPolicy",
        "{\"KeyId\": \"" + keyId + "\"}",
        "AccessDeniedException",
        "User: arn:aws:iam::111122223333:root is not authorized to perform: kms:GetKeyPolicy on resource: "
            + bed.arn(keyId)
            + " because no resource-based policy allows the kms:GetKeyPolicy action");
  }

  static String policy(String principal, String action) {
    return "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \""
        + principal
        + "\"}, \"Action\": \""
        + action
        + "\", \"Resource\": \"*\"}]}";
  }

  private JsonNode describe(String keyId) {
    return bed.call("DescribeKey", "{\"KeyId\": \"" + keyId + "\"}").response().get("KeyMetadata");
  }

  private void assertError(String operation, String body, String type, String message) {
    assertError(KmsTestBed.ROOT, operation, body, type, message);
  }

  private void assertError(
      CallerIdentity caller, String operation, String body, String type, String message) {
    KmsError error = bed.error(caller, operation, body);
    assertThat(error.type()).as(operation + " " + body).isEqualTo(type);
    if (message != null) {
      assertThat(error.getMessage()).isEqualTo(message);
    }
  }
}
