package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/**
 * Key policies decide every key operation: actions, principals and the request's condition context.
 */
class PolicyEnforcementTest {
  private static final String ROOT = "arn:aws:iam::111122223333:root";
  private static final CallerIdentity APP_SESSION =
      new CallerIdentity(
          "AKIAAPP",
          "arn:aws:sts::111122223333:assumed-role/app/i-0123456789abcdef0",
          KmsTestBed.ACCOUNT);
  private static final CallerIdentity OPS_SESSION =
      new CallerIdentity(
          "AKIAOPS", "arn:aws:sts::111122223333:assumed-role/ops/alice", KmsTestBed.ACCOUNT);

  private final KmsTestBed bed = KmsTestBed.inMemory();

  @Test
  void anExplicitDenyOnTheEncryptionContextBeatsTheAllow() {
    String keyId =
        key(
            allowAll()
                + ", {\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Decrypt\", "
                + "\"Resource\": \"*\", \"Condition\": {\"StringNotEquals\": {\"kms:EncryptionContext:stage\": \"prod\"}}}");
    String prod = bed.encrypt(keyId, new byte[] {1}, "{\"stage\": \"prod\"}");
    String dev = bed.encrypt(keyId, new byte[] {2}, "{\"stage\": \"dev\"}");

    assertThat(
            bed.call("Decrypt", decrypt(prod, "{\"stage\": \"prod\"}"))
                .response()
                .get("Plaintext")
                .textValue())
        .isEqualTo("AQ==");
    KmsError denied = bed.error("Decrypt", decrypt(dev, "{\"stage\": \"dev\"}"));
    assertThat(denied.type()).isEqualTo("AccessDeniedException");
    assertThat(denied.getMessage())
        .isEqualTo(
            "User: "
                + ROOT
                + " is not authorized to perform: kms:Decrypt on resource: "
                + bed.arn(keyId)
                + " with an explicit deny in a resource-based policy");
  }

  @Test
  void encryptionContextKeysConditionsSeeTheRequestsKeys() {
    String keyId =
        key(
            adminStatement()
                + ", {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \""
                + ROOT
                + "\"}, "
                + "\"Action\": \"kms:Encrypt\", \"Resource\": \"*\", \"Condition\": {\"ForAnyValue:StringEquals\": "
                + "{\"kms:EncryptionContextKeys\": \"tenant\"}}}");

    assertThat(bed.encrypt(keyId, new byte[] {1}, "{\"tenant\": \"t1\", \"other\": \"x\"}"))
        .isNotEmpty();
    assertThat(
            bed.error(
                    "Encrypt",
                    "{\"KeyId\": \""
                        + keyId
                        + "\", \"Plaintext\": \"AQ==\", \"EncryptionContext\": "
                        + "{\"other\": \"x\"}}")
                .type())
        .isEqualTo("AccessDeniedException");
    assertThat(
            bed.error("Encrypt", "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\"}").type())
        .isEqualTo("AccessDeniedException");
  }

  @Test
  void aRoleInThePolicyAdmitsItsSessionsOnly() {
    String keyId =
        key(
            adminStatement()
                + ", {\"Effect\": \"Allow\", \"Principal\": {\"AWS\": "
                + "\"arn:aws:iam::111122223333:role/app\"}, \"Action\": [\"kms:Encrypt\", \"kms:Decrypt\"], \"Resource\": \"*\"}");

    JsonNode encrypted =
        bed.call(APP_SESSION, "Encrypt", "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\"}")
            .response();
    KmsError denied =
        bed.error(
            OPS_SESSION, "Decrypt", decrypt(encrypted.get("CiphertextBlob").textValue(), "{}"));

    assertThat(denied.type()).isEqualTo("AccessDeniedException");
    assertThat(denied.getMessage())
        .startsWith("User: " + OPS_SESSION.principalArn() + " is not authorized");
  }

  @Test
  void callerAccountConditionsSeeTheCallersAccount() {
    String keyId =
        key(
            adminStatement()
                + ", {\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": "
                + "\"kms:Encrypt\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"kms:CallerAccount\": "
                + "[\"999999999999\", \""
                + KmsTestBed.ACCOUNT
                + "\"]}}}, {\"Effect\": \"Allow\", \"Principal\": \"*\", "
                + "\"Action\": \"kms:Decrypt\", \"Resource\": \"*\", \"Condition\": {\"StringEquals\": "
                + "{\"kms:CallerAccount\": \"999999999999\"}}}");
    String blob = bed.encrypt(keyId, new byte[] {1}, null);

    assertThat(bed.error("Decrypt", decrypt(blob, "{}")).type()).isEqualTo("AccessDeniedException");
  }

  @Test
  void reEncryptNeedsReEncryptFromOnTheSourceAndReEncryptToOnTheDestination() {
    String sourceOnlyTo =
        key(adminStatement() + ", " + allow("kms:Encrypt") + ", " + allow("kms:ReEncryptTo"));
    String destinationOnlyFrom =
        key(adminStatement() + ", " + allow("kms:Encrypt") + ", " + allow("kms:ReEncryptFrom"));
    String blob = bed.encrypt(sourceOnlyTo, new byte[] {1}, null);
    String otherBlob = bed.encrypt(destinationOnlyFrom, new byte[] {1}, null);

    KmsError from =
        bed.error(
            "ReEncrypt",
            "{\"CiphertextBlob\": \""
                + blob
                + "\", \"DestinationKeyId\": \""
                + destinationOnlyFrom
                + "\"}");
    assertThat(from.getMessage())
        .contains("kms:ReEncryptFrom on resource: " + bed.arn(sourceOnlyTo));
    KmsError to =
        bed.error(
            "ReEncrypt",
            "{\"CiphertextBlob\": \""
                + otherBlob
                + "\", \"DestinationKeyId\": \""
                + destinationOnlyFrom
                + "\"}");
    assertThat(to.getMessage())
        .contains("kms:ReEncryptTo on resource: " + bed.arn(destinationOnlyFrom));
    JsonNode moved =
        bed.call(
                "ReEncrypt",
                "{\"CiphertextBlob\": \""
                    + otherBlob
                    + "\", \"DestinationKeyId\": \""
                    + sourceOnlyTo
                    + "\"}")
            .response();
    assertThat(moved.get("KeyId").textValue()).isEqualTo(bed.arn(sourceOnlyTo));
  }

  @Test
  void aDeniedStateChangeChangesNothing() {
    String keyId = key(adminStatement());

    KmsError denied = bed.error("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");

    assertThat(denied.getMessage()).contains("kms:DisableKey");
    assertThat(
            bed.call("DescribeKey", "{\"KeyId\": \"" + keyId + "\"}")
                .response()
                .get("KeyMetadata")
                .get("KeyState")
                .textValue())
        .isEqualTo("Enabled");
  }

  private String key(String statements) {
    String policy = "{\"Version\": \"2012-10-17\", \"Statement\": [" + statements + "]}";
    return bed.createKey("{\"Policy\": " + KmsTestBed.JSON.valueToTree(policy) + "}")
        .get("KeyId")
        .textValue();
  }

  private static String adminStatement() {
    return "{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \""
        + ROOT
        + "\"}, \"Action\": [\"kms:DescribeKey\", "
        + "\"kms:PutKeyPolicy\", \"kms:GetKeyPolicy\"], \"Resource\": \"*\"}";
  }

  private static String allowAll() {
    return "{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \""
        + ROOT
        + "\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}";
  }

  private static String allow(String action) {
    return "{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \""
        + ROOT
        + "\"}, \"Action\": \""
        + action
        + "\", \"Resource\": \"*\"}";
  }

  private static String decrypt(String blob, String context) {
    return "{\"CiphertextBlob\": \"" + blob + "\", \"EncryptionContext\": " + context + "}";
  }
}
