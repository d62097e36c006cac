package dev.nitroemu.kms.internal;

import static dev.nitroemu.kms.internal.PolicyEvaluator.Decision.ALLOW;
import static dev.nitroemu.kms.internal.PolicyEvaluator.Decision.EXPLICIT_DENY;
import static dev.nitroemu.kms.internal.PolicyEvaluator.Decision.IMPLICIT_DENY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyEvaluatorTest {
  private static final String ACCOUNT = "111122223333";
  private static final String OTHER_ACCOUNT = "444455556666";
  private static final String KEY_ARN =
      "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  private static final String ROOT = "arn:aws:iam::111122223333:root";
  private static final String ALICE = "arn:aws:iam::111122223333:user/Alice";
  private static final String ROLE = "arn:aws:iam::111122223333:role/enclave-parent";
  private static final String SESSION =
      "arn:aws:sts::111122223333:assumed-role/enclave-parent/i-0123456789abcdef0";
  private static final String PCR0 = "ab".repeat(48);
  private static final String ZEROS = "0".repeat(96);

  private static PolicyEvaluator.Decision decide(
      String policyJson, String action, String principal, Map<String, List<String>> context) {
    String account = principal.split(":")[4];
    return PolicyEvaluator.evaluate(
        KeyPolicy.parse(policyJson),
        new AuthorizationRequest(action, principal, account, KEY_ARN, context));
  }

  private static PolicyEvaluator.Decision decide(
      String policyJson, String action, String principal) {
    return decide(policyJson, action, principal, Map.of());
  }

  private static String policy(String... statements) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", statements) + "]}";
  }

  private static String statement(String effect, String principal, String action, String extra) {
    return "{\"Effect\":\""
        + effect
        + "\",\"Principal\":"
        + principal
        + ",\"Action\":"
        + action
        + ",\"Resource\":\"*\""
        + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }

  private static Map<String, List<String>> attested(String pcr0) {
    Map<String, List<String>> context = new HashMap<>();
    context.put("kms:RecipientAttestation:ImageSha384", List.of(pcr0));
    context.put("kms:RecipientAttestation:PCR0", List.of(pcr0));
    return context;
  }

  private static final String ATTESTED_DECRYPT =
      statement(
          "Allow",
          "{\"AWS\":\"" + ROLE + "\"}",
          "\"kms:Decrypt\"",
          "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:ImageSha384\":\""
              + PCR0
              + "\"}}");

  @Test
  void defaultPolicyAdmitsEveryPrincipalOfTheAccountForEveryAction() {
    String defaults = KeyPolicy.defaultPolicyJson(ACCOUNT);

    assertThat(decide(defaults, "kms:Decrypt", ROOT)).isEqualTo(ALLOW);
    assertThat(decide(defaults, "kms:PutKeyPolicy", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(defaults, "kms:GenerateDataKey", SESSION)).isEqualTo(ALLOW);
  }

  @Test
  void defaultPolicyImplicitlyDeniesOtherAccounts() {
    assertThat(
            decide(
                KeyPolicy.defaultPolicyJson(ACCOUNT),
                "kms:Decrypt",
                "arn:aws:iam::444455556666:root"))
        .isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void explicitDenyWinsOverAllow() {
    String json =
        policy(
            statement("Allow", "\"*\"", "\"kms:*\"", ""),
            statement("Deny", "{\"AWS\":\"" + ALICE + "\"}", "\"kms:Decrypt\"", ""));

    assertThat(decide(json, "kms:Decrypt", ALICE)).isEqualTo(EXPLICIT_DENY);
    assertThat(decide(json, "kms:Encrypt", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Decrypt", ROOT)).isEqualTo(ALLOW);
  }

  @Test
  void noMatchingStatementIsAnImplicitDeny() {
    String json = policy(statement("Allow", "{\"AWS\":\"" + ALICE + "\"}", "\"kms:Encrypt\"", ""));

    assertThat(decide(json, "kms:Decrypt", ALICE)).isEqualTo(IMPLICIT_DENY);
    assertThat(decide(json, "kms:Encrypt", "arn:aws:iam::111122223333:user/Bob"))
        .isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void roleArnAdmitsItsSessionsButNotOtherRoles() {
    String json =
        policy(
            statement(
                "Allow",
                "{\"AWS\":\"arn:aws:iam::111122223333:role/ops/enclave-parent\"}",
                "\"kms:Decrypt\"",
                ""));

    assertThat(decide(json, "kms:Decrypt", SESSION)).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Decrypt", "arn:aws:sts::111122223333:assumed-role/other/i-0123"))
        .isEqualTo(IMPLICIT_DENY);
    assertThat(
            decide(
                json,
                "kms:Decrypt",
                "arn:aws:sts::444455556666:assumed-role/enclave-parent/i-0123"))
        .isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void exactPrincipalArnAndBareAccountIdMatch() {
    String user =
        policy(statement("Allow", "{\"AWS\":[\"" + ALICE + "\"]}", "\"kms:Decrypt\"", ""));
    String account =
        policy(statement("Allow", "{\"AWS\":\"" + OTHER_ACCOUNT + "\"}", "\"kms:Decrypt\"", ""));

    assertThat(decide(user, "kms:Decrypt", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(user, "kms:Decrypt", ROOT)).isEqualTo(IMPLICIT_DENY);
    assertThat(decide(account, "kms:Decrypt", "arn:aws:iam::444455556666:user/Carol"))
        .isEqualTo(ALLOW);
    assertThat(decide(account, "kms:Decrypt", ALICE)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void wildcardPrincipalAdmitsEveryone() {
    String json = policy(statement("Allow", "{\"AWS\":\"*\"}", "\"kms:Encrypt\"", ""));
    assertThat(decide(json, "kms:Encrypt", "arn:aws:iam::444455556666:user/Carol"))
        .isEqualTo(ALLOW);
  }

  @Test
  void serviceAndFederatedPrincipalsNeverMatchSignedCallers() {
    String json =
        policy(
            statement(
                "Allow",
                "{\"Service\":\"logs.us-east-1.amazonaws.com\","
                    + "\"Federated\":\"cognito-identity.amazonaws.com\"}",
                "\"kms:*\"",
                ""));
    assertThat(decide(json, "kms:Encrypt", ROOT)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void actionsMatchIgnoringCaseWithWildcards() {
    String json =
        policy(
            statement(
                "Allow", "\"*\"", "[\"KMS:decrypt\",\"kms:Generate*\",\"kms:Describe?ey\"]", ""));

    assertThat(decide(json, "kms:Decrypt", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:GenerateDataKeyPair", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:DescribeKey", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Encrypt", ALICE)).isEqualTo(IMPLICIT_DENY);
    assertThat(decide(json, "kms:ReEncryptFrom", ALICE)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void notActionAppliesToEveryOtherAction() {
    String json =
        policy(
            statement("Allow", "\"*\"", "\"kms:*\"", ""),
            "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"NotAction\":[\"kms:Describe*\",\"kms:Get*\"],\"Resource\":\"*\"}");

    assertThat(decide(json, "kms:DescribeKey", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Decrypt", ALICE)).isEqualTo(EXPLICIT_DENY);
  }

  @Test
  void resourcesMatchTheKeyArnWithWildcards() {
    String thisKey =
        "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\""
            + KEY_ARN
            + "\"}";
    String anyKey =
        "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"arn:aws:kms:*:111122223333:key/*\"}";
    String otherKey =
        "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"arn:aws:kms:us-east-1:111122223333:key/other\"}";
    String notThisKey =
        "{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"NotResource\":\""
            + KEY_ARN
            + "\"}";

    assertThat(decide(policy(thisKey), "kms:Decrypt", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(policy(anyKey), "kms:Decrypt", ALICE)).isEqualTo(ALLOW);
    assertThat(decide(policy(otherKey), "kms:Decrypt", ALICE)).isEqualTo(IMPLICIT_DENY);
    assertThat(decide(policy(notThisKey), "kms:Decrypt", ALICE)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void notPrincipalDenySparesOnlyACallerWhoseEveryIdentityIsListed() {
    String allowAll = statement("Allow", "\"*\"", "\"kms:*\"", "");
    String denyAllButSession =
        "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":[\""
            + SESSION
            + "\",\""
            + ROLE
            + "\",\""
            + ACCOUNT
            + "\"]},\"Action\":\"kms:*\",\"Resource\":\"*\"}";
    String denyAllButRole =
        "{\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\""
            + ROLE
            + "\"},\"Action\":\"kms:*\","
            + "\"Resource\":\"*\"}";

    assertThat(decide(policy(allowAll, denyAllButSession), "kms:Decrypt", SESSION))
        .isEqualTo(ALLOW);
    assertThat(decide(policy(allowAll, denyAllButSession), "kms:Decrypt", ALICE))
        .isEqualTo(EXPLICIT_DENY);
    // IAM: without the session and account ARNs the session is not excluded.
    assertThat(decide(policy(allowAll, denyAllButRole), "kms:Decrypt", SESSION))
        .isEqualTo(EXPLICIT_DENY);
  }

  @Test
  void attestationConditionAllowsTheMatchingEnclaveOnly() {
    String json = policy(ATTESTED_DECRYPT);

    assertThat(decide(json, "kms:Decrypt", SESSION, attested(PCR0))).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Decrypt", SESSION, attested(PCR0.toUpperCase()))).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Decrypt", SESSION, attested("cd".repeat(48))))
        .isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void requestWithoutAttestationFailsEveryAttestationCondition() {
    String equals = policy(ATTESTED_DECRYPT);
    String like =
        policy(
            statement(
                "Allow",
                "\"*\"",
                "\"kms:Decrypt\"",
                "\"Condition\":{\"StringLike\":{\"kms:RecipientAttestation:PCR0\":\"*\"}}"));

    assertThat(decide(equals, "kms:Decrypt", SESSION)).isEqualTo(IMPLICIT_DENY);
    assertThat(decide(like, "kms:Decrypt", SESSION)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void debugEnclaveIsDeniedUnlessThePolicyAllowsZeros() {
    String allowsZeros =
        policy(
            statement(
                "Allow",
                "{\"AWS\":\"" + ROLE + "\"}",
                "\"kms:Decrypt\"",
                "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:ImageSha384\":[\""
                    + PCR0
                    + "\",\""
                    + ZEROS
                    + "\"]}}"));

    assertThat(decide(policy(ATTESTED_DECRYPT), "kms:Decrypt", SESSION, attested(ZEROS)))
        .isEqualTo(IMPLICIT_DENY);
    assertThat(decide(allowsZeros, "kms:Decrypt", SESSION, attested(ZEROS))).isEqualTo(ALLOW);
  }

  @Test
  void denyWithNullConditionForbidsDecryptOutsideAnEnclave() {
    String json =
        policy(
            statement("Allow", "{\"AWS\":\"" + ACCOUNT + "\"}", "\"kms:*\"", ""),
            statement(
                "Deny",
                "\"*\"",
                "\"kms:Decrypt\"",
                "\"Condition\":{\"Null\":{\"kms:RecipientAttestation:ImageSha384\":\"true\"}}"));

    assertThat(decide(json, "kms:Decrypt", SESSION)).isEqualTo(EXPLICIT_DENY);
    assertThat(decide(json, "kms:Decrypt", SESSION, attested(PCR0))).isEqualTo(ALLOW);
    assertThat(decide(json, "kms:Encrypt", SESSION)).isEqualTo(ALLOW);
  }

  @Test
  void anUnconditionalAllowMakesAnAttestationStatementMoot() {
    // aws-nitro-enclaves-sdk-c #157: another statement granted Decrypt without a condition.
    String json =
        policy(
            ATTESTED_DECRYPT,
            statement("Allow", "{\"AWS\":\"" + ROLE + "\"}", "\"kms:Decrypt\"", ""));
    assertThat(decide(json, "kms:Decrypt", SESSION)).isEqualTo(ALLOW);
  }

  @Test
  void principalKeysAreDerivedAndPrincipalArnOfASessionIsItsRole() {
    String byRole =
        policy(
            statement(
                "Allow",
                "\"*\"",
                "\"kms:Decrypt\"",
                "\"Condition\":{\"ArnEquals\":{\"aws:PrincipalArn\":\""
                    + ROLE
                    + "\"},"
                    + "\"StringEquals\":{\"kms:CallerAccount\":\""
                    + ACCOUNT
                    + "\"}}"));

    assertThat(decide(byRole, "kms:Decrypt", SESSION)).isEqualTo(ALLOW);
    assertThat(decide(byRole, "kms:Decrypt", SESSION, Map.of("aws:PrincipalArn", List.of(SESSION))))
        .isEqualTo(ALLOW);
    assertThat(decide(byRole, "kms:Decrypt", ALICE)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void givenContextKeysWinOverDerivedOnesAndMatchInAnyCase() {
    String json =
        policy(
            statement(
                "Allow",
                "\"*\"",
                "\"kms:Decrypt\"",
                "\"Condition\":{\"StringEquals\":{\"kms:CallerAccount\":\"999999999999\","
                    + "\"kms:EncryptionContext:Department\":\"IT\"}}"));
    Map<String, List<String>> context = new HashMap<>();
    context.put("KMS:CALLERACCOUNT", List.of("999999999999"));
    context.put("kms:encryptioncontext:department", List.of("IT"));

    assertThat(decide(json, "kms:Decrypt", ALICE, context)).isEqualTo(ALLOW);
    context.put("kms:encryptioncontext:department", List.of("it"));
    assertThat(decide(json, "kms:Decrypt", ALICE, context)).isEqualTo(IMPLICIT_DENY);
  }

  @Test
  void conditionBlocksAreAndedAndValuesOred() {
    String json =
        policy(
            statement(
                "Allow",
                "\"*\"",
                "\"kms:Decrypt\"",
                "\"Condition\":{\"StringEquals\":{\"kms:RecipientAttestation:PCR0\":[\""
                    + PCR0
                    + "\",\""
                    + ZEROS
                    + "\"]},"
                    + "\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR8\":\""
                    + ZEROS
                    + "\"}}"));
    Map<String, List<String>> context = attested(PCR0);

    assertThat(decide(json, "kms:Decrypt", SESSION, context)).isEqualTo(IMPLICIT_DENY);
    context.put("kms:RecipientAttestation:PCR8", List.of(ZEROS));
    assertThat(decide(json, "kms:Decrypt", SESSION, context)).isEqualTo(ALLOW);
  }

  @Test
  void accessDeniedCarriesTheRealMessageForms() {
    AuthorizationRequest request =
        new AuthorizationRequest("kms:Decrypt", SESSION, ACCOUNT, KEY_ARN, Map.of());

    KmsError implicit = PolicyEvaluator.accessDenied(request, IMPLICIT_DENY);
    KmsError explicit = PolicyEvaluator.accessDenied(request, EXPLICIT_DENY);

    assertThat(implicit.type()).isEqualTo("AccessDeniedException");
    assertThat(implicit.status()).isEqualTo(400);
    assertThat(implicit)
        .hasMessage(
            "User: "
                + SESSION
                + " is not authorized to perform: kms:Decrypt on resource: "
                + KEY_ARN
                + " because no resource-based policy allows the kms:Decrypt action");
    assertThat(explicit)
        .hasMessage(
            "User: "
                + SESSION
                + " is not authorized to perform: kms:Decrypt on resource: "
                + KEY_ARN
                + " with an explicit deny in a resource-based policy");
    assertThatThrownBy(() -> PolicyEvaluator.accessDenied(request, ALLOW))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void explainAgreesWithEvaluateStatementByStatement() {
    String denyDebug =
        "{\"Sid\":\"NoDebug\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:*\","
            + "\"Resource\":\"*\",\"Condition\":{\"StringEquals\":{\"kms:RecipientAttestation:PCR0\":\""
            + ZEROS
            + "\"}}}";
    KeyPolicy policy =
        KeyPolicy.parse(
            policy(
                statement("Allow", "{\"AWS\":\"" + ALICE + "\"}", "\"kms:Encrypt\"", ""),
                ATTESTED_DECRYPT,
                denyDebug));
    AuthorizationRequest debug =
        new AuthorizationRequest("kms:Decrypt", SESSION, ACCOUNT, KEY_ARN, attested(ZEROS));
    AuthorizationRequest plain =
        new AuthorizationRequest("kms:Decrypt", SESSION, ACCOUNT, KEY_ARN, Map.of());
    AuthorizationRequest matching =
        new AuthorizationRequest("kms:Decrypt", SESSION, ACCOUNT, KEY_ARN, attested(PCR0));

    PolicyDenial explicit = PolicyEvaluator.explain(policy, debug);
    PolicyDenial implicit = PolicyEvaluator.explain(policy, plain);

    assertThat(PolicyEvaluator.evaluate(policy, debug))
        .isEqualTo(explicit.decision())
        .isEqualTo(EXPLICIT_DENY);
    assertThat(explicit.statements())
        .containsExactly(new PolicyDenial.StatementOutcome("NoDebug", 3, null, List.of()));
    assertThat(PolicyEvaluator.evaluate(policy, plain))
        .isEqualTo(implicit.decision())
        .isEqualTo(IMPLICIT_DENY);
    assertThat(implicit.statements())
        .extracting(PolicyDenial.StatementOutcome::number, PolicyDenial.StatementOutcome::unmet)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(1, PolicyDenial.Unmet.PRINCIPAL),
            org.assertj.core.groups.Tuple.tuple(2, PolicyDenial.Unmet.CONDITION));
    PolicyDenial.FailedCondition failed = implicit.statements().get(1).failed().get(0);
    assertThat(failed.condition().key()).isEqualTo("kms:RecipientAttestation:ImageSha384");
    assertThat(failed.condition().values()).containsExactly(PCR0);
    assertThat(failed.presented()).isEmpty();
    assertThatThrownBy(() -> PolicyEvaluator.explain(policy, matching))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void lockoutSafetyCheckRefusesAPolicyTheCallerCouldNotReplace() {
    String decryptOnly =
        policy(statement("Allow", "{\"AWS\":\"" + ALICE + "\"}", "\"kms:Decrypt\"", ""));
    KeyPolicy defaults = KeyPolicy.parse(KeyPolicy.defaultPolicyJson(ACCOUNT));

    PolicyEvaluator.checkLockoutSafety(defaults, ALICE, ACCOUNT, KEY_ARN);
    assertThatThrownBy(
            () ->
                PolicyEvaluator.checkLockoutSafety(
                    KeyPolicy.parse(decryptOnly), ALICE, ACCOUNT, KEY_ARN))
        .isInstanceOfSatisfying(
            KmsError.class,
            e -> {
              assertThat(e.type()).isEqualTo("MalformedPolicyDocumentException");
              assertThat(e)
                  .hasMessage(
                      "The new key policy will not allow you to update the key policy in the future.");
            });
  }
}
