package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AliasOperationsTest {
  private final KmsTestBed bed = KmsTestBed.inMemory();
  private final String keyId = bed.symmetricKey();

  @Test
  void anAliasNamesItsKeyInCryptographicCallsAndIsListed() {
    KmsResult created = createAlias("alias/orders", bed.arn(keyId));

    assertThat(created.response().isEmpty()).isTrue();
    assertThat(created.resources()).containsExactly(bed.arn(keyId));
    JsonNode encrypted =
        bed.call("Encrypt", "{\"KeyId\": \"alias/orders\", \"Plaintext\": \"AQID\"}").response();
    assertThat(encrypted.get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
    JsonNode aliases = bed.call("ListAliases", "{}").response();
    assertThat(aliases.get("Truncated").booleanValue()).isFalse();
    JsonNode entry = aliases.get("Aliases").get(0);
    assertThat(entry.get("AliasName").textValue()).isEqualTo("alias/orders");
    assertThat(entry.get("AliasArn").textValue())
        .isEqualTo("arn:aws:kms:eu-west-1:111122223333:alias/orders");
    assertThat(entry.get("TargetKeyId").textValue()).isEqualTo(keyId);
    BigDecimal now = BigDecimal.valueOf(bed.clock.instant().toEpochMilli(), 3);
    assertThat(entry.get("CreationDate").decimalValue()).isEqualByComparingTo(now);
    assertThat(entry.get("LastUpdatedDate").decimalValue()).isEqualByComparingTo(now);
  }

  @Test
  void aDeletedAliasNoLongerResolves() {
    createAlias("alias/temp", keyId);

    assertThat(bed.call("DeleteAlias", "{\"AliasName\": \"alias/temp\"}").response().isEmpty())
        .isTrue();

    assertError(
        "DescribeKey",
        "{\"KeyId\": \"alias/temp\"}",
        "NotFoundException",
        "Alias arn:aws:kms:eu-west-1:111122223333:alias/temp is not found.");
    assertError(
        "DeleteAlias",
        "{\"AliasName\": \"alias/temp\"}",
        "NotFoundException",
        "Alias arn:aws:kms:eu-west-1:111122223333:alias/temp is not found.");
  }

  @Test
  void aliasNamesAreUniquePerAccount() {
    createAlias("alias/shared", keyId);
    String otherKey =
        bed.call(KmsTestBed.OTHER_ACCOUNT, "CreateKey", "{}")
            .response()
            .get("KeyMetadata")
            .get("KeyId")
            .textValue();

    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/shared\", \"TargetKeyId\": \"" + bed.symmetricKey() + "\"}",
        "AlreadyExistsException",
        "An alias with the name arn:aws:kms:eu-west-1:111122223333:alias/shared already exists");
    bed.call(
        KmsTestBed.OTHER_ACCOUNT,
        "CreateAlias",
        "{\"AliasName\": \"alias/shared\", \"TargetKeyId\": \"" + otherKey + "\"}");
    assertThat(
            bed.call(KmsTestBed.OTHER_ACCOUNT, "DescribeKey", "{\"KeyId\": \"alias/shared\"}")
                .response()
                .get("KeyMetadata")
                .get("KeyId")
                .textValue())
        .isEqualTo(otherKey);
    assertThat(bed.call("ListAliases", "{}").response().get("Aliases")).hasSize(1);
  }

  @Test
  void aliasNamesAreValidatedAsKmsDoes() {
    String target = "\", \"TargetKeyId\": \"" + keyId + "\"}";
    assertError(
        "CreateAlias",
        "{\"AliasName\": \"orders" + target,
        "ValidationException",
        "Alias must start with the prefix \"alias/\". Please see "
            + "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/with space" + target,
        "ValidationException",
        "1 validation error detected: Value 'alias/with space' at 'aliasName' failed to satisfy constraint: Member "
            + "must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
    assertError(
        "CreateAlias", "{\"AliasName\": \"alias/aws/ebs" + target, "NotAuthorizedException", null);
    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/my:alias" + target,
        "ValidationException",
        "alias/my:alias contains invalid characters for an alias");
    assertError(
        "CreateAlias", "{\"AliasName\": \"alias/" + target, "InvalidAliasNameException", null);
    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/" + "a".repeat(251) + target,
        "ValidationException",
        null);
    assertError(
        "CreateAlias",
        "{\"TargetKeyId\": \"" + keyId + "\"}",
        "ValidationException",
        "1 validation error detected: Value null at 'aliasName' failed to satisfy constraint: Member must not be null");
    assertThat(bed.call("ListAliases", "{}").response().get("Aliases")).isEmpty();
  }

  @Test
  void aliasesMustTargetExistingUsableKeysByIdOrArn() {
    createAlias("alias/first", keyId);
    String doomed = bed.symmetricKey();
    bed.call("ScheduleKeyDeletion", "{\"KeyId\": \"" + doomed + "\"}");

    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/second\", \"TargetKeyId\": \"alias/first\"}",
        "ValidationException",
        "Aliases must refer to keys. Not aliases");
    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/second\", \"TargetKeyId\": \"" + doomed + "\"}",
        "KMSInvalidStateException",
        bed.arn(doomed) + " is pending deletion.");
    String unknown = "9d7f5c1e-2b3a-4c5d-8e9f-0a1b2c3d4e5f";
    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/second\", \"TargetKeyId\": \"" + unknown + "\"}",
        "NotFoundException",
        "Key '" + bed.arn(unknown) + "' does not exist");
    assertError(
        KmsTestBed.OTHER_ACCOUNT,
        "CreateAlias",
        "{\"AliasName\": \"alias/second\", \"TargetKeyId\": \"" + bed.arn(keyId) + "\"}",
        "NotFoundException",
        null);
  }

  @Test
  void listAliasesFiltersByKeyAndPages() {
    String otherKey = bed.symmetricKey();
    List<String> names = List.of("alias/a", "alias/b", "alias/c", "alias/d");
    for (String name : names) {
      createAlias(name, keyId);
    }
    createAlias("alias/z", otherKey);

    JsonNode filtered =
        bed.call("ListAliases", "{\"KeyId\": \"" + bed.arn(otherKey) + "\"}").response();
    assertThat(filtered.get("Aliases"))
        .extracting(a -> a.get("AliasName").textValue())
        .containsExactly("alias/z");

    List<String> paged = new ArrayList<>();
    String body = "{\"KeyId\": \"" + keyId + "\", \"Limit\": 3}";
    JsonNode page = bed.call("ListAliases", body).response();
    page.get("Aliases").forEach(a -> paged.add(a.get("AliasName").textValue()));
    assertThat(page.get("Truncated").booleanValue()).isTrue();
    String marker = page.get("NextMarker").textValue();
    page =
        bed.call("ListAliases", body.replace("}", ", \"Marker\": \"" + marker + "\"}")).response();
    page.get("Aliases").forEach(a -> paged.add(a.get("AliasName").textValue()));
    assertThat(page.get("Truncated").booleanValue()).isFalse();
    assertThat(paged).containsExactlyElementsOf(names);

    assertError(
        "ListAliases", "{\"KeyId\": \"alias/a\"}", "NotFoundException", "Invalid keyId 'alias/a'");
    assertError(
        "ListAliases",
        "{\"Limit\": 101}",
        "ValidationException",
        "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value "
            + "less than or equal to 100");
  }

  @Test
  void aliasOperationsAreAuthorizedOnTheTargetKeysPolicy() {
    String locked =
        bed.createKey(
                "{\"Policy\": "
                    + KmsTestBed.JSON.valueToTree(
                        KeyManagementOperationsTest.policy(
                            "arn:aws:iam::111122223333:root", "kms:PutKeyPolicy"))
                    + "}")
            .get("KeyId")
            .textValue();

    assertError(
        "CreateAlias",
        "{\"AliasName\": \"alias/locked\", \"TargetKeyId\": \"" + locked + "\"}",
        "AccessDeniedException",
        "User: arn:aws:iam::111122223333:root is not authorized to perform: kms:CreateAlias on resource: "
            + bed.arn(locked)
            + " because no resource-based policy allows the kms:CreateAlias action");
  }

  private KmsResult createAlias(String name, String target) {
    return bed.call(
        "CreateAlias", "{\"AliasName\": \"" + name + "\", \"TargetKeyId\": \"" + target + "\"}");
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
