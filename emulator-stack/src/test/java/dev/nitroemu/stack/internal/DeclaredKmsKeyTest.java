package dev.nitroemu.stack.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.nsm.EnclaveProfile;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeclaredKmsKeyTest {

  private static final Map<String, String> VALUES =
      DeclaredKmsKey.placeholders(EnclaveProfile.defaultProfile(), "000000000000", "us-east-1");

  @Test
  void readsAliasDescriptionAndPolicyFromAResource() {
    DeclaredKmsKey key =
        DeclaredKmsKey.fromResource("/kms/enclave-secret.json", getClass().getClassLoader());

    assertThat(key.alias()).isEqualTo("enclave-secret");
    assertThat(key.description()).startsWith("Decryptable only");
    assertThat(key.policyTemplate())
        .contains("\"kms:RecipientAttestation:ImageSha384\":\"${PCR0}\"");
  }

  @Test
  void placeholdersBecomeTheProfilesMeasurementsAccountAndRegion() {
    DeclaredKmsKey key =
        DeclaredKmsKey.of(
            "k", "{\"a\":\"${PCR0}\",\"b\":\"arn:aws:kms:${REGION}:${ACCOUNT_ID}:*\"}");

    String policy = key.policy(VALUES);

    String pcr0 = HexFormat.of().formatHex(EnclaveProfile.defaultProfile().imagePcr(0));
    assertThat(policy)
        .isEqualTo("{\"a\":\"" + pcr0 + "\",\"b\":\"arn:aws:kms:us-east-1:000000000000:*\"}");
  }

  @Test
  void debugProfilePlaceholdersStillNameTheImageMeasurement() {
    EnclaveProfile debug = EnclaveProfile.defaultProfile().toBuilder().debug(true).build();

    assertThat(DeclaredKmsKey.placeholders(debug, "000000000000", "us-east-1").get("PCR0"))
        .isEqualTo(HexFormat.of().formatHex(debug.imagePcr(0)))
        .isNotEqualTo("00".repeat(48));
  }

  @Test
  void iamPolicyVariablesAreLeftAlone() {
    DeclaredKmsKey key = DeclaredKmsKey.of("k", "{\"p\":\"${aws:username}\"}");

    assertThat(key.policy(VALUES)).isEqualTo("{\"p\":\"${aws:username}\"}");
  }

  @Test
  void unknownPlaceholderIsNamedWithTheKnownOnes() {
    DeclaredKmsKey key = DeclaredKmsKey.of("k", "{\"p\":\"${PCR16}\"}");

    assertThatThrownBy(() -> key.policy(VALUES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown placeholder ${PCR16}")
        .hasMessageContaining("${PCR15}, ${ACCOUNT_ID}, ${REGION}");
  }

  @Test
  void aliasPrefixIsOptional() {
    assertThat(DeclaredKmsKey.of("alias/team/secret", "{}").alias()).isEqualTo("team/secret");
  }

  @Test
  void awsReservedOrMalformedAliasesAreRefused() {
    assertThatThrownBy(() -> DeclaredKmsKey.of("aws/ebs", "{}"))
        .hasMessageContaining("not start with aws/");
    assertThatThrownBy(() -> DeclaredKmsKey.of("has space", "{}"))
        .hasMessageContaining("[A-Za-z0-9/_-]");
  }

  @Test
  void malformedDeclarationsNameTheirSourceAndProblem() {
    assertThatThrownBy(() -> DeclaredKmsKey.parse("{", "f.json"))
        .hasMessageStartingWith("f.json is not valid JSON");
    assertThatThrownBy(() -> DeclaredKmsKey.parse("[]", "f.json"))
        .hasMessageContaining("must be a JSON object");
    assertThatThrownBy(() -> DeclaredKmsKey.parse("{\"policy\":{}}", "f.json"))
        .hasMessageContaining("needs \"alias\"");
    assertThatThrownBy(() -> DeclaredKmsKey.parse("{\"alias\":\"a\",\"policy\":\"{}\"}", "f.json"))
        .hasMessageContaining("needs \"policy\" as a JSON object");
    assertThatThrownBy(
            () -> DeclaredKmsKey.parse("{\"alias\":\"a\",\"policy\":{},\"polcy\":1}", "f.json"))
        .hasMessageContaining("unknown field \"polcy\"");
  }

  @Test
  void missingResourceSaysWhereToPutIt() {
    assertThatThrownBy(
            () -> DeclaredKmsKey.fromResource("kms/none.json", getClass().getClassLoader()))
        .hasMessage(
            "KMS key declaration 'kms/none.json' is not on the classpath (e.g. put it at"
                + " src/test/resources/kms/none.json)");
  }
}
