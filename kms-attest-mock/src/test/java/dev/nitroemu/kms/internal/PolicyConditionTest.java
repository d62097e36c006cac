package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyConditionTest {
  /**
   * Evaluates one condition test written as in a policy against a context (keys already
   * lower-case).
   */
  private static boolean test(
      String operator, String key, List<String> values, Map<String, List<String>> context) {
    PolicyCondition.OperatorName name = PolicyCondition.OperatorName.parse(operator).orElseThrow();
    return new PolicyCondition(name, key, values).test(context);
  }

  private static Map<String, List<String>> context(String key, String... values) {
    Map<String, List<String>> context = new HashMap<>();
    context.put(key.toLowerCase(), Arrays.asList(values));
    return context;
  }

  private static final Map<String, List<String>> EMPTY = Map.of();

  @Test
  void operatorNamesParseWithQualifiersAndIfExistsIgnoringCase() {
    PolicyCondition.OperatorName name =
        PolicyCondition.OperatorName.parse("forallvalues:stringnotequalsifexists").orElseThrow();

    assertThat(name.qualifier()).isEqualTo(PolicyCondition.SetQualifier.FOR_ALL_VALUES);
    assertThat(name.operator()).isEqualTo(ConditionOperator.STRING_NOT_EQUALS);
    assertThat(name.ifExists()).isTrue();
    assertThat(name).hasToString("ForAllValues:StringNotEqualsIfExists");
    assertThat(PolicyCondition.OperatorName.parse("ForAnyValue:ForAllValues:StringEquals"))
        .isEmpty();
    assertThat(PolicyCondition.OperatorName.parse("IfExists")).isEmpty();
    assertThat(PolicyCondition.OperatorName.parse("ForAnyValue:Null")).isEmpty();
  }

  @Test
  void keysAreComparedIgnoringCase() {
    assertThat(
            test(
                "StringEquals",
                "KMS:RecipientAttestation:pcr0",
                List.of("ab"),
                context("kms:recipientattestation:pcr0", "ab")))
        .isTrue();
  }

  @Test
  void stringEqualsIsCaseSensitiveAndIgnoreCaseIsNot() {
    Map<String, List<String>> context = context("k:pcr", "ABCDEF");

    assertThat(test("StringEquals", "k:pcr", List.of("abcdef"), context)).isFalse();
    assertThat(test("StringEquals", "k:pcr", List.of("abcdef", "ABCDEF"), context)).isTrue();
    assertThat(test("StringEqualsIgnoreCase", "k:pcr", List.of("abcdef"), context)).isTrue();
    assertThat(test("StringNotEqualsIgnoreCase", "k:pcr", List.of("abcdef"), context)).isFalse();
    assertThat(test("StringNotEquals", "k:pcr", List.of("abcdef"), context)).isTrue();
  }

  @Test
  void stringLikeUsesWildcardsAndIsCaseSensitive() {
    Map<String, List<String>> context =
        context("aws:principalarn", "arn:aws:iam::111122223333:role/app-prod");

    assertThat(
            test("StringLike", "aws:PrincipalArn", List.of("arn:aws:iam::*:role/app-*"), context))
        .isTrue();
    assertThat(
            test("StringLike", "aws:PrincipalArn", List.of("arn:aws:iam::*:role/APP-*"), context))
        .isFalse();
    assertThat(
            test(
                "StringLike",
                "aws:PrincipalArn",
                List.of("arn:aws:iam::111122223333:role/app-pro?"),
                context))
        .isTrue();
    assertThat(test("StringNotLike", "aws:PrincipalArn", List.of("*:role/app-*"), context))
        .isFalse();
    assertThat(test("StringNotLike", "aws:PrincipalArn", List.of("*:user/*"), context)).isTrue();
  }

  @Test
  void missingKeyFailsPositiveOperatorsAndSatisfiesNegatedOnes() {
    assertThat(test("StringEquals", "kms:RecipientAttestation:ImageSha384", List.of("00"), EMPTY))
        .isFalse();
    assertThat(test("StringLike", "k:k", List.of("*"), EMPTY)).isFalse();
    assertThat(test("Bool", "aws:SecureTransport", List.of("false"), EMPTY)).isFalse();
    assertThat(test("StringNotEquals", "k:k", List.of("x"), EMPTY)).isTrue();
    assertThat(test("StringNotLike", "k:k", List.of("x*"), EMPTY)).isTrue();
    assertThat(test("StringNotEqualsIgnoreCase", "k:k", List.of("x"), EMPTY)).isTrue();
  }

  @Test
  void emptyValueListCountsAsMissing() {
    assertThat(test("StringEquals", "k:k", List.of("x"), context("k:k"))).isFalse();
    assertThat(test("Null", "k:k", List.of("true"), context("k:k"))).isTrue();
  }

  @Test
  void ifExistsIsTrueWhenTheKeyIsMissingAndTestsTheValueOtherwise() {
    assertThat(test("StringEqualsIfExists", "k:k", List.of("x"), EMPTY)).isTrue();
    assertThat(test("StringEqualsIfExists", "k:k", List.of("x"), context("k:k", "y"))).isFalse();
    assertThat(test("StringEqualsIfExists", "k:k", List.of("x"), context("k:k", "x"))).isTrue();
    assertThat(test("ForAnyValue:StringEqualsIfExists", "k:k", List.of("x"), EMPTY)).isTrue();
  }

  @Test
  void nullTestsPresence() {
    Map<String, List<String>> attested = context("kms:recipientattestation:imagesha384", "ab");

    assertThat(test("Null", "kms:RecipientAttestation:ImageSha384", List.of("true"), EMPTY))
        .isTrue();
    assertThat(test("Null", "kms:RecipientAttestation:ImageSha384", List.of("true"), attested))
        .isFalse();
    assertThat(test("Null", "kms:RecipientAttestation:ImageSha384", List.of("false"), attested))
        .isTrue();
    assertThat(test("Null", "kms:RecipientAttestation:ImageSha384", List.of("FALSE"), EMPTY))
        .isFalse();
  }

  @Test
  void forAnyValueNeedsOneMatchingRequestValue() {
    Map<String, List<String>> keys = context("kms:encryptioncontextkeys", "Department", "Project");

    assertThat(
            test("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", List.of("Project"), keys))
        .isTrue();
    assertThat(
            test("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", List.of("Owner"), keys))
        .isFalse();
    assertThat(
            test("ForAnyValue:StringEquals", "kms:EncryptionContextKeys", List.of("Owner"), EMPTY))
        .isFalse();
    // Negated with ForAnyValue: some request value is outside the list.
    assertThat(
            test(
                "ForAnyValue:StringNotEquals",
                "kms:EncryptionContextKeys",
                List.of("Department"),
                keys))
        .isTrue();
    assertThat(
            test(
                "ForAnyValue:StringNotEquals",
                "kms:EncryptionContextKeys",
                List.of("Department", "Project"),
                keys))
        .isFalse();
  }

  @Test
  void forAllValuesNeedsEveryRequestValueAndIsVacuouslyTrue() {
    Map<String, List<String>> keys = context("kms:encryptioncontextkeys", "Department", "Project");

    assertThat(
            test(
                "ForAllValues:StringEquals",
                "kms:EncryptionContextKeys",
                List.of("Department", "Project", "Owner"),
                keys))
        .isTrue();
    assertThat(
            test(
                "ForAllValues:StringEquals",
                "kms:EncryptionContextKeys",
                List.of("Department"),
                keys))
        .isFalse();
    assertThat(
            test(
                "ForAllValues:StringEquals",
                "kms:EncryptionContextKeys",
                List.of("Department"),
                EMPTY))
        .isTrue();
    assertThat(
            test(
                "ForAllValues:StringNotLike",
                "kms:EncryptionContextKeys",
                List.of("Secret*"),
                keys))
        .isTrue();
  }

  @Test
  void withoutQualifierNegatedOperatorsRequireThatNoRequestValueMatches() {
    Map<String, List<String>> keys = context("kms:encryptioncontextkeys", "Department", "Project");

    assertThat(test("StringNotEquals", "kms:EncryptionContextKeys", List.of("Project"), keys))
        .isFalse();
    assertThat(test("StringNotEquals", "kms:EncryptionContextKeys", List.of("Owner"), keys))
        .isTrue();
    assertThat(test("StringEquals", "kms:EncryptionContextKeys", List.of("Project"), keys))
        .isTrue();
  }

  @Test
  void boolComparesIgnoringCase() {
    assertThat(
            test(
                "Bool",
                "aws:SecureTransport",
                List.of("true"),
                context("aws:securetransport", "TRUE")))
        .isTrue();
    assertThat(
            test(
                "Bool",
                "aws:SecureTransport",
                List.of("false"),
                context("aws:securetransport", "true")))
        .isFalse();
  }

  @Test
  void numericAndDateOperatorsCompareValues() {
    assertThat(test("NumericLessThan", "k:n", List.of("10"), context("k:n", "9.5"))).isTrue();
    assertThat(test("NumericLessThan", "k:n", List.of("10"), context("k:n", "10"))).isFalse();
    assertThat(test("NumericGreaterThanEquals", "k:n", List.of("10"), context("k:n", "10.0")))
        .isTrue();
    assertThat(test("NumericNotEquals", "k:n", List.of("1", "2"), context("k:n", "3"))).isTrue();
    assertThat(test("NumericEquals", "k:n", List.of("1"), context("k:n", "one"))).isFalse();
    assertThat(
            test(
                "DateLessThan",
                "aws:CurrentTime",
                List.of("2026-01-01T00:00:00Z"),
                context("aws:currenttime", "2025-12-31T23:59:59Z")))
        .isTrue();
    assertThat(
            test(
                "DateGreaterThan",
                "aws:CurrentTime",
                List.of("2026-01-01"),
                context("aws:currenttime", "1767225601")))
        .isTrue();
  }

  @Test
  void ipAddressMatchesCidrRangesWithoutResolvingNames() {
    assertThat(
            test(
                "IpAddress",
                "aws:SourceIp",
                List.of("203.0.113.0/24"),
                context("aws:sourceip", "203.0.113.9")))
        .isTrue();
    assertThat(
            test(
                "IpAddress",
                "aws:SourceIp",
                List.of("203.0.113.0/24"),
                context("aws:sourceip", "203.0.114.9")))
        .isFalse();
    assertThat(
            test(
                "IpAddress",
                "aws:SourceIp",
                List.of("2001:db8::/32"),
                context("aws:sourceip", "2001:db8:1::5")))
        .isTrue();
    assertThat(
            test(
                "NotIpAddress",
                "aws:SourceIp",
                List.of("10.0.0.0/8"),
                context("aws:sourceip", "127.0.0.1")))
        .isTrue();
    assertThat(
            test(
                "IpAddress",
                "aws:SourceIp",
                List.of("0.0.0.0/0"),
                context("aws:sourceip", "localhost")))
        .isFalse();
  }

  @Test
  void arnLikeMatchesSegmentWise() {
    Map<String, List<String>> context =
        context("aws:principalarn", "arn:aws:iam::111122223333:role/app");

    assertThat(test("ArnLike", "aws:PrincipalArn", List.of("arn:aws:iam::*:role/*"), context))
        .isTrue();
    assertThat(
            test(
                "ArnEquals",
                "aws:PrincipalArn",
                List.of("arn:aws:iam::111122223333:role/app"),
                context))
        .isTrue();
    assertThat(test("ArnLike", "aws:PrincipalArn", List.of("arn:aws:sts::*:*"), context)).isFalse();
    assertThat(test("ArnNotLike", "aws:PrincipalArn", List.of("arn:aws:iam::*:user/*"), context))
        .isTrue();
    assertThat(test("ArnLike", "aws:PrincipalArn", List.of("*"), context)).isTrue();
    assertThat(
            test(
                "ArnLike",
                "aws:PrincipalArn",
                List.of("arn:aws:iam::*:role/*"),
                context("aws:principalarn", "x")))
        .isFalse();
  }

  @Test
  void binaryEqualsComparesDecodedBytes() {
    assertThat(test("BinaryEquals", "k:b", List.of("AAEC"), context("k:b", "AAEC"))).isTrue();
    assertThat(test("BinaryEquals", "k:b", List.of("AAEC"), context("k:b", "AAED"))).isFalse();
  }

  @Test
  void wildcardPatternsHandleStarsQuestionMarksAndLiteralCharacters() {
    assertThat(WildcardPattern.matches("kms:*", "kms:Decrypt", false)).isTrue();
    assertThat(WildcardPattern.matches("KMS:decrypt", "kms:Decrypt", true)).isTrue();
    assertThat(WildcardPattern.matches("KMS:decrypt", "kms:Decrypt", false)).isFalse();
    assertThat(WildcardPattern.matches("kms:Get*Policy", "kms:GetKeyPolicy", false)).isTrue();
    assertThat(WildcardPattern.matches("kms:Get*Policy", "kms:GetKeyPolicyX", false)).isFalse();
    assertThat(WildcardPattern.matches("a?c", "abc", false)).isTrue();
    assertThat(WildcardPattern.matches("a?c", "ac", false)).isFalse();
    assertThat(WildcardPattern.matches("*a", "*ba", false)).isTrue();
    assertThat(WildcardPattern.matches("**", "", false)).isTrue();
    assertThat(WildcardPattern.matches("*a*a*a*a*a*a*b", "a".repeat(5000), false)).isFalse();
  }
}
