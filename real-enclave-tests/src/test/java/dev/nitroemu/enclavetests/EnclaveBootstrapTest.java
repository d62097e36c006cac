package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EnclaveBootstrapTest {

  /** The shape of an IMDSv2 answer for a role; the values are made up. */
  static final String IMDS_CREDENTIALS =
      "{\n"
          + "  \"Code\" : \"Success\",\n"
          + "  \"LastUpdated\" : \"2026-05-01T10:00:00Z\",\n"
          + "  \"Type\" : \"AWS-HMAC\",\n"
          + "  \"AccessKeyId\" : \"ASIAEXAMPLEEXAMPLE01\",\n"
          + "  \"SecretAccessKey\" : \"s3cr3t/EXAMPLE+key\",\n"
          + "  \"Token\" : \"IQoJb3JpZ2luX2VjEXAMPLETOKEN\",\n"
          + "  \"Expiration\" : \"2026-05-01T16:00:00Z\"\n"
          + "}";

  @AfterEach
  void clearProperties() {
    for (String name :
        new String[] {
          "aws.accessKeyId",
          "aws.secretAccessKey",
          "aws.sessionToken",
          "aws.region",
          "nitro.kms.proxyPort"
        }) {
      System.clearProperty(name);
    }
  }

  @Test
  void instanceMetadataCredentialsAreRead() throws IOException {
    EnclaveBootstrap.Credentials credentials = imdsCredentials();

    assertThat(credentials.accessKeyId()).isEqualTo("ASIAEXAMPLEEXAMPLE01");
    assertThat(credentials.secretAccessKey()).isEqualTo("s3cr3t/EXAMPLE+key");
    assertThat(credentials.sessionToken()).isEqualTo("IQoJb3JpZ2luX2VjEXAMPLETOKEN");
    assertThat(credentials.expiration()).isEqualTo("2026-05-01T16:00:00Z");
  }

  @Test
  void failedOrMalformedInstanceMetadataIsRefusedWithoutEchoingIt() {
    assertThatThrownBy(
            () ->
                EnclaveBootstrap.Credentials.fromInstanceMetadata(
                    IMDS_CREDENTIALS
                        .replace("Success", "Expired")
                        .getBytes(StandardCharsets.UTF_8)))
        .hasMessage("instance metadata reports Code=Expired for the role credentials");
    assertThatThrownBy(
            () ->
                EnclaveBootstrap.Credentials.fromInstanceMetadata(
                    "{\"AccessKeyId\":\"A\",\"Token\":\"s3cr3t\"}"
                        .getBytes(StandardCharsets.UTF_8)))
        .hasMessage("instance role credentials: secretAccessKey is missing");
    assertThatThrownBy(
            () ->
                EnclaveBootstrap.Credentials.fromInstanceMetadata(
                    "AccessKeyId=s3cr3t".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("instance role credentials are not valid JSON");
  }

  @Test
  void bootstrapSurvivesTheWireAndNeverPrintsSecrets() throws IOException {
    EnclaveBootstrap bootstrap =
        new EnclaveBootstrap(
            imdsCredentials(), Map.of("aws.region", "eu-west-1", "nitro.kms.proxyPort", "8000"));

    EnclaveBootstrap decoded = EnclaveBootstrap.decode(bootstrap.encode());

    assertThat(decoded).isEqualTo(bootstrap);
    assertThat(decoded.toString())
        .contains("ASIAEXAMPLEEXAMPLE01", "aws.region")
        .doesNotContain("s3cr3t", "IQoJb3JpZ2lu");
  }

  @Test
  void applyingSetsTheSdkCredentialPropertiesAndTheSettings() throws IOException {
    new EnclaveBootstrap(
            imdsCredentials(), Map.of("aws.region", "eu-west-1", "nitro.kms.proxyPort", "8000"))
        .applyToSystemProperties();

    assertThat(System.getProperty("aws.accessKeyId")).isEqualTo("ASIAEXAMPLEEXAMPLE01");
    assertThat(System.getProperty("aws.secretAccessKey")).isEqualTo("s3cr3t/EXAMPLE+key");
    assertThat(System.getProperty("aws.sessionToken")).isEqualTo("IQoJb3JpZ2luX2VjEXAMPLETOKEN");
    assertThat(System.getProperty("aws.region")).isEqualTo("eu-west-1");
    assertThat(System.getProperty("nitro.kms.proxyPort")).isEqualTo("8000");
  }

  @Test
  void onlyNitroAndAwsPropertiesWithinLimitsAreAccepted() {
    assertThatThrownBy(() -> new EnclaveBootstrap(null, Map.of("java.class.path", "/evil")))
        .hasMessageContaining("must match nitro.* or aws.*");
    assertThatThrownBy(() -> new EnclaveBootstrap(null, Map.of("aws.secretAccessKey", "x")))
        .hasMessage("property aws.secretAccessKey is reserved for the credentials");
    assertThatThrownBy(
            () ->
                new EnclaveBootstrap(
                    null, Map.of("nitro.x", "v".repeat(EnclaveBootstrap.MAX_VALUE_LENGTH + 1))))
        .hasMessage("property nitro.x is longer than 65536");
  }

  @Test
  void badFramesAreRefusedWithTheReason() {
    assertThatThrownBy(
            () -> EnclaveBootstrap.decode("{\"version\":2}".getBytes(StandardCharsets.UTF_8)))
        .hasMessage("bootstrap must be a JSON object with \"version\": 1");
    assertThatThrownBy(
            () ->
                EnclaveBootstrap.decode(
                    "{\"version\":1,\"properties\":{\"nitro.x\":5}}"
                        .getBytes(StandardCharsets.UTF_8)))
        .hasMessage("bootstrap property nitro.x must be a string");
    assertThatThrownBy(
            () ->
                EnclaveBootstrap.decode(
                    "{\"version\":1,\"properties\":{\"os.name\":\"x\"}}"
                        .getBytes(StandardCharsets.UTF_8)))
        .hasMessageStartingWith("invalid bootstrap: property name must match");
    assertThatThrownBy(() -> EnclaveBootstrap.decode(new byte[EnclaveBootstrap.MAX_SIZE + 1]))
        .hasMessageContaining("exceeds");
  }

  static EnclaveBootstrap.Credentials imdsCredentials() throws IOException {
    return EnclaveBootstrap.Credentials.fromInstanceMetadata(
        IMDS_CREDENTIALS.getBytes(StandardCharsets.UTF_8));
  }
}
