package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each rule of {@link KeyPolicyLint}, what it must not report, and the README's policy linting
 * clean.
 */
class KeyPolicyLintTest {
  private static final String PCR0 = "a1".repeat(48);
  private static final String ROOT = "{\"AWS\": \"arn:aws:iam::000000000000:root\"}";
  private static final String ADMIN =
      "{\"Sid\": \"admin\", \"Effect\": \"Allow\", \"Principal\": "
          + ROOT
          + ", \"Action\": [\"kms:Encrypt\", \"kms:DescribeKey\", \"kms:PutKeyPolicy\"], \"Resource\": \"*\"}";

  private static String policy(String... statements) {
    return "{\"Version\": \"2012-10-17\", \"Statement\": [" + String.join(", ", statements) + "]}";
  }

  private static String allow(String sid, String action, String condition) {
    return "{\"Sid\": \""
        + sid
        + "\", \"Effect\": \"Allow\", \"Principal\": "
        + ROOT
        + ", \"Action\": "
        + action
        + ", \"Resource\": \"*\""
        + (condition == null ? "" : ", \"Condition\": " + condition)
        + "}";
  }

  private static String pcr0(String operator, String value) {
    return "{\"" + operator + "\": {\"kms:RecipientAttestation:PCR0\": \"" + value + "\"}}";
  }

  private static List<KeyPolicyLint.Warning> lint(String... statements) {
    return KeyPolicyLint.lint(policy(statements));
  }

  @Test
  void aPolicyRequiringAttestationForDecryptIsClean() {
    assertThat(
            lint(ADMIN, allow("enclave", "\"kms:Decrypt\"", pcr0("StringEqualsIgnoreCase", PCR0))))
        .isEmpty();
    assertThat(
            lint(
                ADMIN,
                allow(
                    "enclave",
                    "[\"kms:Decrypt\", \"kms:GenerateDataKey*\"]",
                    "{\"StringEquals\": {\"kms:RecipientAttestation:ImageSha384\": \""
                        + PCR0
                        + "\","
                        + " \"kms:RecipientAttestation:PCR8\": [\""
                        + PCR0
                        + "\", \""
                        + "0".repeat(96)
                        + "\"]}}")))
        .isEmpty();
  }

  @Test
  void theReadmePolicyLintsClean() throws IOException {
    String readme = Files.readString(Path.of(System.getProperty("nitro.readme", "../README.md")));
    Matcher block =
        Pattern.compile("cat > policy\\.json <<EOF\\n(.*?)\\nEOF", Pattern.DOTALL).matcher(readme);
    assertThat(block.find()).as("README.md has the 'cat > policy.json <<EOF' example").isTrue();

    assertThat(KeyPolicyLint.lint(block.group(1).replace("$pcr0", PCR0))).isEmpty();
  }

  @Test
  void reportsEmptyConditionBlocks() {
    List<KeyPolicyLint.Warning> warnings =
        lint(
            ADMIN,
            allow("enclave", "\"kms:Decrypt\"", "{\"StringEqualsIgnoreCase\": {}}"),
            allow("other", "\"kms:Encrypt\"", "{}"));

    assertThat(warnings)
        .extracting(KeyPolicyLint.Warning::rule)
        .containsExactly(KeyPolicyLint.EMPTY_CONDITION, KeyPolicyLint.EMPTY_CONDITION);
    assertThat(warnings.get(0).toString())
        .isEqualTo(
            "statement 'enclave': the condition operator"
                + " StringEqualsIgnoreCase has no condition keys, so it constrains nothing and the statement applies as if it"
                + " were absent [empty-condition]");
    assertThat(warnings.get(1).statement()).isEqualTo("statement 'other'");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ForAllValues:StringEqualsIgnoreCase",
        "StringEqualsIgnoreCaseIfExists",
        "ForAllValues:StringEqualsIfExists",
        "StringNotEquals",
        "ForAnyValue:StringNotEqualsIgnoreCase"
      })
  void reportsAnAllowedAttestationConditionThatHoldsWithoutADocument(String operator) {
    List<KeyPolicyLint.Warning> warnings =
        lint(ADMIN, allow("enclave", "\"kms:Decrypt\"", pcr0(operator, PCR0)));

    if (operator.startsWith("ForAnyValue:")) {
      assertThat(warnings).as("ForAnyValue: is false for a missing key").isEmpty();
      return;
    }
    assertThat(warnings)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.rule()).isEqualTo(KeyPolicyLint.ATTESTATION_WITHOUT_DOCUMENT);
              assertThat(w.message())
                  .startsWith(
                      operator
                          + " on kms:RecipientAttestation:PCR0 also holds for requests"
                          + " without an attestation document");
            });
  }

  @Test
  void aDenyWithIfExistsOrANegatedOperatorIsNotReported() {
    String deny =
        "{\"Sid\": \"deny-others\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Decrypt\","
            + " \"Resource\": \"*\", \"Condition\": "
            + pcr0("StringNotEqualsIgnoreCaseIfExists", PCR0)
            + "}";

    assertThat(
            lint(
                ADMIN,
                allow("enclave", "\"kms:Decrypt\"", pcr0("StringEqualsIgnoreCase", PCR0)),
                deny))
        .isEmpty();
  }

  @Test
  void reportsADecryptAllowedWithoutAttestationNextToOneRequiringIt() {
    List<KeyPolicyLint.Warning> warnings =
        lint(
            allow("Enable IAM User Permissions", "\"kms:*\"", null),
            allow(
                "enclave",
                "[\"kms:Decrypt\", \"kms:GenerateDataKey\"]",
                pcr0("StringEqualsIgnoreCase", PCR0)));

    assertThat(warnings)
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.rule()).isEqualTo(KeyPolicyLint.UNATTESTED_ALLOW);
              assertThat(w.statement()).isEqualTo("statement 'Enable IAM User Permissions'");
              assertThat(w.message())
                  .isEqualTo(
                      "allows kms:Decrypt, kms:GenerateDataKey without any attestation"
                          + " condition, while statement 'enclave' allows it only with attestation; one Allow suffices, so"
                          + " attestation is not required for it");
            });
    assertThat(
            lint(
                allow("any-derive", "\"kms:Derive*\"", null),
                allow("admin", "\"kms:PutKeyPolicy\"", null),
                allow("enclave", "\"kms:DeriveSharedSecret\"", pcr0("StringEquals", PCR0))))
        .singleElement()
        .satisfies(w -> assertThat(w.statement()).isEqualTo("statement 'any-derive'"));
    assertThat(
            lint(
                ADMIN,
                allow("enclave", "\"kms:Decrypt\"", pcr0("StringEquals", PCR0)),
                allow("keys", "\"kms:GenerateDataKey\"", null)))
        .as("a different action is not the same gate")
        .isEmpty();
  }

  @Test
  void aDenyForEveryoneWithoutADocumentKeepsTheGateAndSilencesTheWarning() {
    String deny =
        "{\"Sid\": \"no-document-no-decrypt\", \"Effect\": \"Deny\", \"Principal\": {\"AWS\": \"*\"},"
            + " \"Action\": \"kms:Decrypt\", \"Resource\": \"*\","
            + " \"Condition\": {\"Null\": {\"kms:RecipientAttestation:ImageSha384\": \"true\"}}}";

    assertThat(
            lint(
                allow("iam", "\"kms:*\"", null),
                allow("enclave", "\"kms:Decrypt\"", pcr0("StringEqualsIgnoreCase", PCR0)),
                deny))
        .isEmpty();
  }

  @Test
  void reportsAttestationValuesThatCannotMatch() {
    List<KeyPolicyLint.Warning> warnings =
        lint(
            ADMIN,
            allow("short", "\"kms:Decrypt\"", pcr0("StringEqualsIgnoreCase", "a1".repeat(32))),
            allow(
                "prefixed",
                "\"kms:Decrypt\"",
                pcr0("StringEqualsIgnoreCase", "0x" + PCR0.substring(2))),
            allow("upper", "\"kms:Decrypt\"", pcr0("StringEquals", PCR0.toUpperCase())),
            allow(
                "not-hex",
                "\"kms:Decrypt\"",
                "{\"StringEquals\": {\"kms:RecipientAttestation:ImageSha384\": \"${PCR0}\"}}"),
            allow(
                "upper-ignoring-case",
                "\"kms:Decrypt\"",
                pcr0("StringEqualsIgnoreCase", PCR0.toUpperCase())),
            allow("wildcard", "\"kms:Decrypt\"", pcr0("StringLike", "a1a1*")));

    assertThat(warnings)
        .allSatisfy(w -> assertThat(w.rule()).isEqualTo(KeyPolicyLint.ATTESTATION_VALUE))
        .extracting(KeyPolicyLint.Warning::statement)
        .containsExactly(
            "statement 'short'",
            "statement 'prefixed'",
            "statement 'upper'",
            "statement 'not-hex'");
    assertThat(warnings.get(0).message())
        .isEqualTo(
            "the value 'a1a1a1a1a1a1a1a1...(64 chars)' of"
                + " kms:RecipientAttestation:PCR0 has 64 hex characters, but a SHA-384 measurement has 96, so it never"
                + " matches a Nitro attestation document");
    assertThat(warnings.get(1).message()).contains("starts with 0x");
    assertThat(warnings.get(2).message()).contains("StringEquals is case-sensitive");
    assertThat(warnings.get(3).message()).contains("'${PCR0}'", "is not hexadecimal");
  }

  @Test
  void anUnnamedStatementIsNumberedAndAnInvalidPolicyIsRefused() {
    assertThat(
            KeyPolicyLint.lint(
                "{\"Statement\": {\"Effect\": \"Allow\", \"Principal\": \"*\","
                    + " \"Action\": \"kms:Decrypt\", \"Condition\": {\"Bool\": {}}}}"))
        .singleElement()
        .satisfies(w -> assertThat(w.statement()).isEqualTo("statement #1"));
    assertThatThrownBy(() -> KeyPolicyLint.lint("{\"Statement\": [{\"Effect\": \"Allow\"}]}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Policy contains a statement with no principal.");
    assertThatThrownBy(() -> KeyPolicyLint.lint("not json"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
