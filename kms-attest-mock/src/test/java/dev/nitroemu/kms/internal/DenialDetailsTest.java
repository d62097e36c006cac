package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reason a denial carries for the audit and request logs: the deciding statement, the failed
 * conditions with expected and presented values, the caller's grants, the refused document; the
 * client's message stays AWS's.
 */
class DenialDetailsTest {
  private static final String ACCOUNT = KmsTestBed.ACCOUNT;
  private static final CallerIdentity ADMIN =
      new CallerIdentity("AKIAADMIN", "arn:aws:iam::" + ACCOUNT + ":user/admin", ACCOUNT);
  private static final CallerIdentity APP =
      new CallerIdentity(
          "AKIAAPP", "arn:aws:sts::" + ACCOUNT + ":assumed-role/app/i-0123456789abcdef0", ACCOUNT);

  private final KmsTestBed bed = KmsTestBed.inMemory();

  @Test
  void anExplicitDenyNamesItsStatementBySidOrByPosition() {
    String keyId =
        key(
            "{\"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"kms:*\", \"Resource\": \"*\"}, "
                + "{\"Sid\": \"NoProdDecrypt\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Decrypt\", "
                + "\"Resource\": \"*\", \"Condition\": {\"StringEquals\": {\"kms:EncryptionContext:stage\": \"prod\"}}}, "
                + "{\"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:DisableKey\", \"Resource\": \"*\"}");
    String blob = bed.encrypt(keyId, new byte[] {1}, "{\"stage\": \"prod\"}");

    KmsError decrypt =
        bed.error(
            "Decrypt",
            "{\"CiphertextBlob\": \""
                + blob
                + "\", \"EncryptionContext\": "
                + "{\"stage\": \"prod\"}}");
    KmsError disable = bed.error("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");

    assertThat(decrypt.getMessage())
        .isEqualTo(
            "User: arn:aws:iam::"
                + ACCOUNT
                + ":root is not authorized to perform: "
                + "kms:Decrypt on resource: "
                + bed.arn(keyId)
                + " with an explicit deny in a resource-based policy");
    JsonNode detail = decrypt.denial();
    assertThat(detail.path("decision").asText()).isEqualTo("ExplicitDeny");
    assertThat(detail.path("statements")).hasSize(1);
    assertThat(detail.path("statements").get(0).path("sid").asText()).isEqualTo("NoProdDecrypt");
    assertThat(detail.path("statements").get(0).path("number").asInt()).isEqualTo(2);
    assertThat(detail.has("callerGrants")).isFalse();
    assertThat(DenialDetails.summary(detail))
        .isEqualTo("explicit Deny in statement 'NoProdDecrypt'");
    assertThat(DenialDetails.summary(disable.denial())).isEqualTo("explicit Deny in statement #3");
  }

  @Test
  void anImplicitDenyShowsTheFailedConditionsOfTheNearMissesAndTheValuesPresented() {
    String keyId =
        key(
            admin()
                + ", {\"Sid\": \"AppDecryptsItsContext\", \"Effect\": \"Allow\", \"Principal\": "
                + "{\"AWS\": \"arn:aws:iam::"
                + ACCOUNT
                + ":role/app\"}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\", "
                + "\"Condition\": {\"StringEquals\": {\"kms:EncryptionContext:tenant\": [\"t1\", \"t2\"], "
                + "\"kms:CallerAccount\": \""
                + ACCOUNT
                + "\"}, \"Null\": {\"kms:EncryptionContext:stage\": \"false\"}}}");
    String blob =
        bed.call(
                ADMIN,
                "Encrypt",
                "{\"KeyId\": \""
                    + keyId
                    + "\", \"Plaintext\": \"AQ==\", "
                    + "\"EncryptionContext\": {\"tenant\": \"t3\"}}")
            .response()
            .get("CiphertextBlob")
            .textValue();

    KmsError denied =
        bed.error(
            APP,
            "Decrypt",
            "{\"CiphertextBlob\": \""
                + blob
                + "\", \"EncryptionContext\": "
                + "{\"tenant\": \"t3\"}}");

    assertThat(denied.getMessage())
        .endsWith("because no resource-based policy allows the kms:Decrypt action");
    JsonNode detail = denied.denial();
    assertThat(detail.path("decision").asText()).isEqualTo("ImplicitDeny");
    assertThat(detail.path("callerGrants").asInt()).isZero();
    JsonNode statements = detail.path("statements");
    assertThat(statements).hasSize(2);
    assertThat(statements.get(0).path("number").asInt()).isEqualTo(1);
    assertThat(statements.get(0).path("unmet").asText()).isEqualTo("Principal");
    JsonNode nearMiss = statements.get(1);
    assertThat(nearMiss.path("unmet").asText()).isEqualTo("Condition");
    assertThat(nearMiss.path("conditions")).hasSize(2); // kms:CallerAccount held
    JsonNode tenant = nearMiss.path("conditions").get(0);
    assertThat(tenant.path("operator").asText()).isEqualTo("StringEquals");
    assertThat(tenant.path("key").asText()).isEqualTo("kms:EncryptionContext:tenant");
    assertThat(tenant.path("expected").toString()).isEqualTo("[\"t1\",\"t2\"]");
    assertThat(tenant.path("presented").toString()).isEqualTo("[\"t3\"]");
    assertThat(nearMiss.path("conditions").get(1).path("presented")).isEmpty();
    assertThat(DenialDetails.summary(detail))
        .isEqualTo(
            "no Allow statement matched: statement 'AppDecryptsItsContext': "
                + "kms:EncryptionContext:tenant StringEquals expected [t1, t2] got t3, "
                + "kms:EncryptionContext:stage Null expected false got nothing");
  }

  @Test
  void whenNoStatementCameCloseEachSaysWhatItLacksAndTheCallersGrantsAreCounted() {
    String keyId =
        key(
            admin()
                + ", {\"Sid\": \"AppEncrypts\", \"Effect\": \"Allow\", \"Principal\": "
                + "{\"AWS\": \"arn:aws:iam::"
                + ACCOUNT
                + ":role/app\"}, \"Action\": \"kms:Encrypt\", \"Resource\": \"*\"}");
    bed.call(
        ADMIN,
        "CreateGrant",
        "{\"KeyId\": \""
            + keyId
            + "\", \"GranteePrincipal\": \"arn:aws:iam::"
            + ACCOUNT
            + ":role/app\", \"Operations\": [\"GenerateDataKey\"]}");
    String blob =
        bed.call(APP, "Encrypt", "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\"}")
            .response()
            .get("CiphertextBlob")
            .textValue();

    KmsError denied = bed.error(APP, "Decrypt", "{\"CiphertextBlob\": \"" + blob + "\"}");

    assertThat(denied.denial().path("callerGrants").asInt()).isEqualTo(1);
    assertThat(DenialDetails.summary(denied.denial()))
        .isEqualTo(
            "no Allow statement matched and none of the caller's "
                + "1 grant permits the call: statement #1 does not match the principal; statement 'AppEncrypts' does not match "
                + "the action");
  }

  @Test
  void aLongPolicyIsCutInTheDetailAndTheLineCountsTheRest() {
    PolicyCondition account =
        new PolicyCondition(
            PolicyCondition.OperatorName.parse("StringEquals").orElseThrow(),
            "kms:CallerAccount",
            List.of("111111111111"));
    List<PolicyDenial.StatementOutcome> outcomes = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      outcomes.add(
          i <= 2
              ? new PolicyDenial.StatementOutcome(
                  i == 2 ? "line\nbreak" : null,
                  i,
                  PolicyDenial.Unmet.CONDITION,
                  List.of(new PolicyDenial.FailedCondition(account, List.of(ACCOUNT))))
              : new PolicyDenial.StatementOutcome(
                  null, i, PolicyDenial.Unmet.PRINCIPAL, List.of()));
    }

    ObjectNode detail =
        DenialDetails.policy(
            new PolicyDenial(PolicyEvaluator.Decision.IMPLICIT_DENY, outcomes),
            0,
            null,
            Instant.now());
    ObjectNode wide =
        DenialDetails.policy(
            new PolicyDenial(PolicyEvaluator.Decision.IMPLICIT_DENY, outcomes.subList(2, 20)),
            0,
            null,
            Instant.now());

    assertThat(detail.path("statements")).hasSize(16);
    assertThat(detail.path("moreStatements").asInt()).isEqualTo(4);
    assertThat(DenialDetails.summary(detail))
        .isEqualTo(
            "no Allow statement matched: statement #1: kms:CallerAccount "
                + "StringEquals expected 111111111111 got "
                + ACCOUNT
                + "; statement 'line\nbreak': kms:CallerAccount "
                + "StringEquals expected 111111111111 got "
                + ACCOUNT
                + "; 4 more statements");
    assertThat(DenialDetails.summary(wide))
        .isEqualTo(
            "no Allow statement matched: statement #3 does not match the "
                + "principal; statement #4 does not match the principal; statement #5 does not match the principal; "
                + "statement #6 does not match the principal; 14 more statements");
  }

  @Test
  void aStaleDocumentIsRefusedWithWhatItPresented() throws Exception {
    var clock = KmsTestBed.inMemory().clock; // a settable clock of the type the test bed takes
    EmulatorRootCa root = EmulatorRootCa.generate(clock);
    SoftwareNsm enclave = SoftwareNsm.builder().rootCa(root).clock(clock).build();
    KmsTestBed trusting = KmsTestBed.trusting(root.certificate(), clock);
    String blob = trusting.encrypt(trusting.symmetricKey(), new byte[] {1}, null);
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    byte[] document =
        enclave.attestation(null, null, rsa.generateKeyPair().getPublic().getEncoded());
    clock.advance(Duration.ofMinutes(6));

    KmsError refused =
        trusting.error(
            "Decrypt",
            "{\"CiphertextBlob\": \""
                + blob
                + "\", \"Recipient\": "
                + "{\"KeyEncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\", \"AttestationDocument\": \""
                + KmsTestBed.b64(document)
                + "\"}}");

    ObjectNode detail = refused.denial();
    assertThat(detail.path("decision").asText()).isEqualTo("AttestationRefused");
    assertThat(refused.getMessage())
        .contains(detail.path("reason").asText())
        .contains("older than the maximum age");
    JsonNode attestation = detail.path("attestation");
    assertThat(attestation.path("moduleId").asText()).isEqualTo(enclave.moduleId());
    assertThat(attestation.path("ageSeconds").asLong()).isEqualTo(360);
    assertThat(attestation.path("pcr0").asText())
        .isEqualTo(HexFormat.of().formatHex(enclave.describePcr(0).data()));
    assertThat(attestation.has("pcr1") && attestation.has("pcr2") && attestation.has("pcr8"))
        .isTrue();
    assertThat(attestation.has("pcr3")).isFalse();
    assertThat(DenialDetails.summary(detail))
        .startsWith("attestation document refused: attestation document timestamp ")
        .contains(
            "; attestation document: module "
                + enclave.moduleId()
                + ", PCR0 "
                + attestation.path("pcr0").asText().substring(0, 16)
                + "..., PCR1 ")
        .endsWith(", age 360 s");
  }

  @Test
  void aCiphertextOfAKeyTheCallerCannotSeeSaysWhichKeyItNamesButTheClientDoesNotLearnIt() {
    String keyId = bed.symmetricKey();
    String blob = bed.encrypt(keyId, new byte[] {1}, null);

    KmsError denied =
        bed.error(KmsTestBed.OTHER_ACCOUNT, "Decrypt", "{\"CiphertextBlob\": \"" + blob + "\"}");

    assertThat(denied.type()).isEqualTo("AccessDeniedException");
    assertThat(new String(KmsJson.errorBody(denied), StandardCharsets.UTF_8)).doesNotContain(keyId);
    assertThat(DenialDetails.summary(denied.denial()))
        .isEqualTo(
            "the ciphertext names key "
                + keyId
                + ", which account "
                + KmsTestBed.OTHER_ACCOUNT_ID
                + " does not have in "
                + KmsTestBed.REGION);
  }

  @Test
  void onlyDenialsCarryADetailAndItNeverReachesTheWire() {
    String keyId =
        key(
            admin()
                + ", {\"Sid\": \"AppEncrypts\", \"Effect\": \"Allow\", \"Principal\": "
                + "{\"AWS\": \"arn:aws:iam::"
                + ACCOUNT
                + ":role/app\"}, \"Action\": \"kms:Encrypt\", \"Resource\": \"*\"}");

    KmsError notFound = bed.error("DescribeKey", "{\"KeyId\": \"alias/none\"}");
    KmsError denied = bed.error(APP, "DescribeKey", "{\"KeyId\": \"" + keyId + "\"}");

    assertThat(notFound.denial()).isNull();
    assertThat(denied.denial()).isNotNull();
    assertThat(new String(KmsJson.errorBody(denied), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"__type\":\"AccessDeniedException\",\"Message\":\"" + denied.getMessage() + "\"}");
  }

  private String key(String statements) {
    String policy = "{\"Version\": \"2012-10-17\", \"Statement\": [" + statements + "]}";
    return bed.call(
            ADMIN,
            "CreateKey",
            "{\"BypassPolicyLockoutSafetyCheck\": true, \"Policy\": "
                + KmsTestBed.JSON.valueToTree(policy)
                + "}")
        .response()
        .get("KeyMetadata")
        .get("KeyId")
        .textValue();
  }

  private static String admin() {
    return "{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \""
        + ADMIN.principalArn()
        + "\"}, \"Action\": \"kms:*\", "
        + "\"Resource\": \"*\"}";
  }
}
