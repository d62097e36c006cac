package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class KeyPolicyTest {
  private static final String ACCOUNT = "111122223333";

  /** A one-statement policy around the given statement members. */
  private static String policy(String statementMembers) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":[{" + statementMembers + "}]}";
  }

  private static final String ALLOW_ROOT =
      "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::"
          + ACCOUNT
          + ":root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"";

  private static AbstractThrowableAssert<?, ? extends Throwable> assertMalformed(String json) {
    return assertThatThrownBy(() -> KeyPolicy.parse(json))
        .isInstanceOfSatisfying(
            KmsError.class,
            e -> {
              assertThat(e.type()).isEqualTo("MalformedPolicyDocumentException");
              assertThat(e.status()).isEqualTo(400);
            });
  }

  @Test
  void defaultPolicyIsTheTextGetKeyPolicyReturns() {
    String expected =
        "{\n"
            + "  \"Version\" : \"2012-10-17\",\n"
            + "  \"Id\" : \"key-default-1\",\n"
            + "  \"Statement\" : [ {\n"
            + "    \"Sid\" : \"Enable IAM User Permissions\",\n"
            + "    \"Effect\" : \"Allow\",\n"
            + "    \"Principal\" : {\n"
            + "      \"AWS\" : \"arn:aws:iam::111122223333:root\"\n"
            + "    },\n"
            + "    \"Action\" : \"kms:*\",\n"
            + "    \"Resource\" : \"*\"\n"
            + "  } ]\n"
            + "}";
    assertThat(KeyPolicy.defaultPolicyJson(ACCOUNT)).isEqualTo(expected);
  }

  @Test
  void defaultPolicyParsesToOneAccountRootStatement() {
    KeyPolicy policy = KeyPolicy.parse(KeyPolicy.defaultPolicyJson(ACCOUNT));

    assertThat(policy.id()).isEqualTo("key-default-1");
    assertThat(policy.version()).isEqualTo("2012-10-17");
    assertThat(policy.statements())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.sid()).isEqualTo("Enable IAM User Permissions");
              assertThat(s.effect()).isEqualTo(KeyPolicy.Effect.ALLOW);
              assertThat(s.principals().aws()).containsExactly("arn:aws:iam::111122223333:root");
              assertThat(s.actions()).containsExactly("kms:*");
              assertThat(s.resources()).containsExactly("*");
            });
  }

  @Test
  void defaultPolicyRefusesAnAccountThatIsNotTwelveDigits() {
    assertThatThrownBy(() -> KeyPolicy.defaultPolicyJson("12345"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void jsonIsTheOriginalTextUnchanged() {
    String text = "{ \"Statement\" : {" + ALLOW_ROOT + "} }\n";
    assertThat(KeyPolicy.parse(text).json()).isEqualTo(text);
  }

  @Test
  void statementMayBeAnObjectOrAnArrayAndListsMayBeStrings() {
    KeyPolicy single = KeyPolicy.parse("{\"Statement\":{" + ALLOW_ROOT + "}}");
    KeyPolicy many =
        KeyPolicy.parse(
            "{\"Statement\":[{"
                + ALLOW_ROOT
                + "},{\"Effect\":\"Deny\",\"Principal\":\"*\","
                + "\"Action\":[\"kms:Decrypt\",\"kms:Encrypt\"],\"Resource\":[\"*\"]}]}");

    assertThat(single.statements()).hasSize(1);
    assertThat(many.statements()).hasSize(2);
    assertThat(many.statements().get(1).actions()).containsExactly("kms:Decrypt", "kms:Encrypt");
    assertThat(many.statements().get(1).principals().anyone()).isTrue();
  }

  @Test
  void principalFormsAreNormalized() {
    KeyPolicy policy =
        KeyPolicy.parse(
            policy(
                "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":[\"444455556666\","
                    + "\"arn:aws:iam::111122223333:role/path/app\",\"arn:aws:sts::111122223333:assumed-role/app/i-0abc\"],"
                    + "\"Service\":\"logs.us-east-1.amazonaws.com\"},\"Action\":\"kms:Decrypt\",\"Resource\":\"*\""));

    KeyPolicy.Principals principals = policy.statements().get(0).principals();
    assertThat(principals.anyone()).isFalse();
    assertThat(principals.aws())
        .containsExactly(
            "arn:aws:iam::444455556666:root",
            "arn:aws:iam::111122223333:role/path/app",
            "arn:aws:sts::111122223333:assumed-role/app/i-0abc");
    assertThat(principals.services()).containsExactly("logs.us-east-1.amazonaws.com");
    assertThat(
            KeyPolicy.parse(
                    policy(
                        "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"kms:*\""))
                .statements()
                .get(0)
                .principals()
                .anyone())
        .isTrue();
  }

  @Test
  void notElementsAreRecordedAsNegated() {
    KeyPolicy.Statement statement =
        KeyPolicy.parse(
                policy(
                    "\"Effect\":\"Deny\",\"NotPrincipal\":{\"AWS\":\""
                        + ACCOUNT
                        + "\"},\"NotAction\":\"kms:Describe*\",\"NotResource\":\"arn:aws:kms:*:*:key/other\""))
            .statements()
            .get(0);

    assertThat(statement.principalNegated()).isTrue();
    assertThat(statement.actionNegated()).isTrue();
    assertThat(statement.resourceNegated()).isTrue();
    assertThat(statement.resources()).containsExactly("arn:aws:kms:*:*:key/other");
  }

  @Test
  void missingResourceMeansThisKey() {
    KeyPolicy.Statement statement =
        KeyPolicy.parse(
                policy("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:Encrypt\""))
            .statements()
            .get(0);
    assertThat(statement.resources()).containsExactly("*");
    assertThat(statement.resourceNegated()).isFalse();
  }

  @Test
  void conditionsAreParsedPerOperatorAndKeyWithScalarValuesAsText() {
    KeyPolicy.Statement statement =
        KeyPolicy.parse(
                policy(
                    ALLOW_ROOT
                        + ",\"Condition\":{"
                        + "\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:ImageSha384\":\"AB\",\"kms:CallerAccount\":[\"1\",\"2\"]},"
                        + "\"ForAnyValue:StringLikeIfExists\":{\"kms:EncryptionContextKeys\":\"app*\"},"
                        + "\"Bool\":{\"aws:SecureTransport\":true},\"NumericLessThan\":{\"x:n\":10}}"))
            .statements()
            .get(0);

    assertThat(statement.conditions())
        .extracting(c -> c.operatorName().toString())
        .containsExactly(
            "StringEqualsIgnoreCase",
            "StringEqualsIgnoreCase",
            "ForAnyValue:StringLikeIfExists",
            "Bool",
            "NumericLessThan");
    assertThat(statement.conditions())
        .extracting(PolicyCondition::key)
        .containsExactly(
            "kms:RecipientAttestation:ImageSha384",
            "kms:CallerAccount",
            "kms:EncryptionContextKeys",
            "aws:SecureTransport",
            "x:n");
    assertThat(statement.conditions().get(1).values()).containsExactly("1", "2");
    assertThat(statement.conditions().get(3).values()).containsExactly("true");
    assertThat(statement.conditions().get(4).values()).containsExactly("10");
  }

  @Test
  void notJsonIsMalformed() {
    assertMalformed("not a policy").hasMessage("The key policy is not valid JSON.");
    assertMalformed("{\"Statement\":[{" + ALLOW_ROOT + "}]} trailing");
    assertMalformed("[]");
    assertMalformed("");
  }

  @Test
  void duplicateMembersAreMalformed() {
    assertMalformed("{\"Statement\":{" + ALLOW_ROOT + ",\"Effect\":\"Deny\"}}");
  }

  @Test
  void missingStatementIsMalformed() {
    assertMalformed("{\"Version\":\"2012-10-17\"}").hasMessageContaining("Statement");
    assertMalformed("{\"Statement\":\"text\"}");
    assertMalformed("{\"Statement\":[\"text\"]}");
  }

  @Test
  void unknownElementsAndVersionsAreMalformed() {
    assertMalformed("{\"Statement\":{" + ALLOW_ROOT + "},\"Extra\":1}")
        .hasMessageContaining("Extra");
    assertMalformed(policy(ALLOW_ROOT + ",\"Effects\":\"Allow\"")).hasMessageContaining("Effects");
    assertMalformed("{\"Version\":\"2020-01-01\",\"Statement\":{" + ALLOW_ROOT + "}}");
  }

  @Test
  void effectMustBeAllowOrDenyExactly() {
    assertMalformed(policy("\"Effect\":\"allow\",\"Principal\":\"*\",\"Action\":\"kms:*\""))
        .hasMessageContaining("Effect");
    assertMalformed(policy("\"Effect\":\"Permit\",\"Principal\":\"*\",\"Action\":\"kms:*\""));
    assertMalformed(policy("\"Principal\":\"*\",\"Action\":\"kms:*\""));
  }

  @Test
  void missingPrincipalGivesTheRealMessage() {
    assertMalformed(policy("\"Effect\":\"Allow\",\"Action\":\"kms:*\",\"Resource\":\"*\""))
        .hasMessage("Policy contains a statement with no principal.");
  }

  @Test
  void invalidPrincipalsGiveTheRealMessage() {
    for (String principal :
        List.of(
            "\"someone\"",
            "{}",
            "{\"AWS\":\"arn:aws:iam::*:root\"}",
            "{\"AWS\":\"alice\"}",
            "{\"AWS\":\"arn:aws:iam::12345:root\"}",
            "{\"AWS\":[]}",
            "{\"AWS\":[1]}",
            "{\"Robot\":\"x\"}",
            "{\"Service\":\"not a service\"}")) {
      assertMalformed(
              policy("\"Effect\":\"Allow\",\"Principal\":" + principal + ",\"Action\":\"kms:*\""))
          .hasMessage("Policy contains a statement with one or more invalid principals.");
    }
  }

  @Test
  void missingOrInvalidActionIsMalformed() {
    assertMalformed(policy("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Resource\":\"*\""))
        .hasMessageContaining("no action");
    assertMalformed(policy("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"Decrypt\""));
    assertMalformed(policy("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":[]"));
    assertMalformed(
        policy(
            "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"NotAction\":\"kms:Get*\""));
  }

  @Test
  void invalidResourceIsMalformed() {
    assertMalformed(
        policy(
            "\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":\"key/1\""));
    assertMalformed(
        policy("\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"kms:*\",\"Resource\":5"));
  }

  @Test
  void unknownConditionOperatorIsMalformed() {
    assertMalformed(
            policy(ALLOW_ROOT + ",\"Condition\":{\"StringSortOf\":{\"kms:CallerAccount\":\"1\"}}"))
        .hasMessageContaining("StringSortOf");
    assertMalformed(
        policy(ALLOW_ROOT + ",\"Condition\":{\"NullIfExists\":{\"kms:CallerAccount\":\"true\"}}"));
    assertMalformed(
        policy(ALLOW_ROOT + ",\"Condition\":{\"ForSomeValues:StringEquals\":{\"k:k\":\"v\"}}"));
  }

  @Test
  void badConditionShapesAndValuesAreMalformed() {
    for (String condition :
        List.of(
            "\"x\"",
            "{\"StringEquals\":\"x\"}",
            "{\"StringEquals\":{\"k:k\":[]}}",
            "{\"StringEquals\":{\"k:k\":{\"a\":1}}}",
            "{\"StringEquals\":{\"k:k\":null}}",
            "{\"Bool\":{\"k:k\":\"yes\"}}",
            "{\"Null\":{\"k:k\":\"maybe\"}}",
            "{\"NumericEquals\":{\"k:k\":\"ten\"}}",
            "{\"DateLessThan\":{\"k:k\":\"soon\"}}",
            "{\"IpAddress\":{\"aws:SourceIp\":\"example.com\"}}",
            "{\"IpAddress\":{\"aws:SourceIp\":\"10.0.0.0/33\"}}",
            "{\"BinaryEquals\":{\"k:k\":\"%%%\"}}")) {
      assertMalformed(policy(ALLOW_ROOT + ",\"Condition\":" + condition));
    }
  }

  @Test
  void forAllValuesWithAnEncryptionContextKeyIsOverlyPermissive() {
    assertMalformed(
            policy(
                ALLOW_ROOT
                    + ",\"Condition\":{\"ForAllValues:StringEquals\":"
                    + "{\"kms:EncryptionContext:Department\":\"IT\"}}"))
        .hasMessageStartingWith(
            "OverlyPermissiveCondition: Using the ForAllValues set operator with a single-valued");
    // The multi-valued key is the right one to use with ForAllValues.
    assertThat(
            KeyPolicy.parse(
                    policy(
                        ALLOW_ROOT
                            + ",\"Condition\":{\"ForAllValues:StringEquals\":"
                            + "{\"kms:EncryptionContextKeys\":\"Department\"}}"))
                .statements())
        .hasSize(1);
  }

  @Test
  void documentsLargerThan32KibAreMalformed() {
    String base = "{\"Statement\":{" + ALLOW_ROOT + ",\"Sid\":\"";
    String fits = base + "x".repeat(KeyPolicy.MAX_POLICY_BYTES - base.length() - 3) + "\"}}";
    String tooBig = base + "x".repeat(KeyPolicy.MAX_POLICY_BYTES - base.length() - 2) + "\"}}";

    assertThat(fits).hasSize(KeyPolicy.MAX_POLICY_BYTES);
    assertThat(KeyPolicy.parse(fits).statements()).hasSize(1);
    assertMalformed(tooBig).hasMessageContaining("32768");
  }

  @Test
  void latin1SupplementCountsTwoBytesTowardTheLimit() {
    String base = "{\"Statement\":{" + ALLOW_ROOT + ",\"Sid\":\"";
    int room = KeyPolicy.MAX_POLICY_BYTES - base.length() - 3;
    String text = base + "\u00e9".repeat(room / 2 + 1) + "\"}}";
    assertThat(text.length()).isLessThanOrEqualTo(KeyPolicy.MAX_POLICY_BYTES);
    assertMalformed(text).hasMessageContaining("maximum size");
  }

  @Test
  void charactersOutsideTheAllowedRangeAreMalformed() {
    assertMalformed(policy(ALLOW_ROOT + ",\"Sid\":\"caf\u0100\""))
        .hasMessageContaining("characters");
    assertMalformed(policy(ALLOW_ROOT + ",\"Sid\":\"bell\u0007\""));
    // Tab, CR, LF and Latin-1 are allowed.
    assertThat(
            KeyPolicy.parse("{\t\"Statement\":\r\n{" + ALLOW_ROOT + ",\"Sid\":\"caf\u00e9\"}}")
                .statements()
                .get(0)
                .sid())
        .isEqualTo("caf\u00e9");
  }

  @Test
  void aNitroEnclavePolicyFromTheKmsGuideParses() throws Exception {
    String json =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"Enable enclave data processing\","
            + "\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:role/data-processing\"},"
            + "\"Action\":[\"kms:Decrypt\",\"kms:GenerateDataKey\",\"kms:GenerateRandom\"],\"Resource\":\"*\","
            + "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:ImageSha384\":\""
            + "9fedcba8abcdef7654321000000000000000000000000000000000000000000000000000000000000000000000000000\","
            + "\"kms:RecipientAttestation:PCR1\":\""
            + "0".repeat(96)
            + "\"}}}]}";

    KeyPolicy policy = KeyPolicy.parse(json);

    JsonNode tree = new ObjectMapper().readTree(policy.json());
    assertThat(tree.at("/Statement/0/Sid").asText()).isEqualTo("Enable enclave data processing");
    assertThat(policy.statements().get(0).conditions()).hasSize(2);
  }
}
