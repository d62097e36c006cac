package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.CoseSign1;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class EnclaveProfileTest {
  private static final Path VECTORS =
      Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"));
  private static final Path PROFILES = VECTORS.resolve("profiles");
  private static final Path REAL = VECTORS.resolve("real-attestation");
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] ZERO = new byte[48];

  @Test
  void pcr3OfWebserverRoleMatchesAwsDocumentation() {
    EnclaveProfile profile =
        EnclaveProfile.builder().iamRoleArn("arn:aws:iam::123456789012:role/Webserver").build();

    assertThat(HEX.formatHex(profile.bootPcrs().get(3)))
        .isEqualTo(
            "78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef4fc1f1a452e315b9e98f9e312e6921e6");
  }

  @Test
  void pcr4IsExtendOfInstanceIdFromZero() {
    EnclaveProfile documented = EnclaveProfile.builder().instanceId("i-1234567890abcdef0").build();
    EnclaveProfile blocky = EnclaveProfile.builder().instanceId("i-0a22e5c5f24d22174").build();

    assertThat(HEX.formatHex(documented.bootPcrs().get(4)))
        .isEqualTo(
            "08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812719327281c401a67a10fcba87ae79ce0");
    assertThat(HEX.formatHex(blocky.bootPcrs().get(4)))
        .isEqualTo(
            "45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44");
  }

  @Test
  void extendFromZeroHashesZeroRegisterFollowedByRawData() throws Exception {
    byte[] data = "abc".getBytes(StandardCharsets.US_ASCII);
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    sha384.update(ZERO);

    assertThat(EnclaveProfile.extendFromZero(data)).isEqualTo(sha384.digest(data));
  }

  @Test
  void defaultProfileIsProductionLikeAndDeterministic() throws Exception {
    EnclaveProfile profile = EnclaveProfile.defaultProfile();
    SortedMap<Integer, byte[]> pcrs = profile.bootPcrs();

    assertThat(pcrs.keySet()).containsExactlyElementsOf(range(0, 16));
    for (int i = 0; i <= 2; i++) {
      byte[] label = ("nitro-emu default enclave image PCR" + i).getBytes(StandardCharsets.UTF_8);
      assertThat(pcrs.get(i))
          .isEqualTo(
              EnclaveProfile.extendFromZero(MessageDigest.getInstance("SHA-384").digest(label)));
    }
    assertThat(pcrs.get(0)).isNotEqualTo(pcrs.get(1)).isNotEqualTo(ZERO);
    assertThat(pcrs.get(3)).isEqualTo(ZERO);
    assertThat(pcrs.get(4))
        .isEqualTo(
            EnclaveProfile.extendFromZero(
                EnclaveProfile.DEFAULT_INSTANCE_ID.getBytes(StandardCharsets.US_ASCII)));
    for (int i = 5; i < 16; i++) {
      assertThat(pcrs.get(i)).as("PCR%d", i).isEqualTo(ZERO);
    }
    assertThat(profile.instanceId()).matches("i-[0-9a-f]{17}");
    assertThat(profile.region()).isEqualTo("us-east-1");
    assertThat(profile.debug()).isFalse();
    assertThat(profile.iamRoleArn()).isEmpty();
    assertThat(EnclaveProfile.defaultProfile()).isEqualTo(profile);
  }

  @Test
  void buildEnclaveStdoutGivesBlockyImagePcrs() throws IOException {
    EnclaveProfile profile =
        EnclaveProfile.fromNitroCliOutput(PROFILES.resolve("build-enclave-stdout.txt"));
    AttestationDocument blocky = realDocument("blocky-nitrite_nitro_attestation_2024-09-07.b64");

    for (int i = 0; i <= 2; i++) {
      assertThat(profile.bootPcrs().get(i)).as("PCR%d", i).isEqualTo(blocky.pcr(i));
    }
  }

  @Test
  void describeEifGivesSameProfileAsBuildOutput() {
    EnclaveProfile fromDescribe =
        EnclaveProfile.fromNitroCliOutput(PROFILES.resolve("describe-eif.json"));
    EnclaveProfile fromBuild =
        EnclaveProfile.fromNitroCliOutput(PROFILES.resolve("build-enclave-stdout.txt"));

    assertThat(fromDescribe).isEqualTo(fromBuild);
    assertThat(fromDescribe.imagePcr(0)).isNotEqualTo(EnclaveProfile.defaultProfile().imagePcr(0));
  }

  @Test
  void profileOnBlockyInstanceReproducesEveryBootPcrOfRealDocuments() throws IOException {
    EnclaveProfile production =
        EnclaveProfile.fromNitroCliOutput(PROFILES.resolve("describe-eif.json")).toBuilder()
            .instanceId("i-0a22e5c5f24d22174")
            .build();
    EnclaveProfile debug = production.toBuilder().debug(true).build();

    assertThatSamePcrs(
        production.bootPcrs(),
        realDocument("blocky-nitrite_nitro_attestation_2024-09-07.b64").pcrs());
    assertThatSamePcrs(
        debug.bootPcrs(),
        realDocument("blocky-nitrite_nitro_attestation_debug_2024-09-07.b64").pcrs());
  }

  @Test
  void debugModeZeroesImagePcrsButKeepsRoleAndInstance() {
    byte[] signer = EnclaveProfile.extendFromZero(new byte[] {1});
    EnclaveProfile production =
        EnclaveProfile.builder()
            .iamRoleArn("arn:aws:iam::123456789012:role/Webserver")
            .pcr(8, signer)
            .build();
    EnclaveProfile debug = production.toBuilder().debug(true).build();

    for (int i : new int[] {0, 1, 2, 8}) {
      assertThat(debug.bootPcrs().get(i)).as("PCR%d", i).isEqualTo(ZERO);
      assertThat(debug.imagePcr(i))
          .as("image PCR%d", i)
          .isEqualTo(production.bootPcrs().get(i))
          .isNotEqualTo(ZERO);
    }
    assertThat(debug.bootPcrs().get(3)).isEqualTo(production.bootPcrs().get(3)).isNotEqualTo(ZERO);
    assertThat(debug.bootPcrs().get(4)).isEqualTo(production.bootPcrs().get(4)).isNotEqualTo(ZERO);
    assertThat(production.bootPcrs().get(8)).isEqualTo(signer);
  }

  @Test
  void describeEnclavesDebugFlagMakesDebugProfile() {
    String describeEnclaves =
        "[\n  {\n    \"EnclaveName\": \"app\",\n    \"Flags\": \"DEBUG_MODE\",\n"
            + "    \"Measurements\": {\"HashAlgorithm\": \"Sha384 { ... }\", \"PCR0\": \""
            + "11".repeat(48)
            + "\", \"PCR1\": \""
            + "22".repeat(48)
            + "\", \"PCR2\": \""
            + "33".repeat(48)
            + "\"}\n  }\n]\n";

    EnclaveProfile profile = EnclaveProfile.fromNitroCliOutput(describeEnclaves);

    assertThat(profile.debug()).isTrue();
    assertThat(profile.bootPcrs().get(0)).isEqualTo(ZERO);
    assertThat(profile.imagePcr(2)).isEqualTo(HEX.parseHex("33".repeat(48)));
  }

  @Test
  void missingPcrIsRejectedNamingTheField() {
    String text =
        "Enclave Image successfully created.\n{\"Measurements\": {\"PCR0\": \""
            + "ab".repeat(48)
            + "\", \"PCR2\": \""
            + "cd".repeat(48)
            + "\"}}";

    assertThatThrownBy(() -> EnclaveProfile.fromNitroCliOutput(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Measurements.PCR1");
  }

  @Test
  void malformedPcrHexIsRejectedNamingTheField() {
    String shortHex =
        "{\"Measurements\": {\"PCR0\": \"abcd\", \"PCR1\": \""
            + "ab".repeat(48)
            + "\", \"PCR2\": \""
            + "ab".repeat(48)
            + "\"}}";
    String notHex =
        "{\"Measurements\": {\"PCR0\": \""
            + "ab".repeat(48)
            + "\", \"PCR1\": \""
            + "zz".repeat(48)
            + "\", \"PCR2\": \""
            + "ab".repeat(48)
            + "\"}}";

    assertThatThrownBy(() -> EnclaveProfile.fromNitroCliOutput(shortHex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PCR0")
        .hasMessageContaining("96 hex");
    assertThatThrownBy(() -> EnclaveProfile.fromNitroCliOutput(notHex))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PCR1");
  }

  @Test
  void outputWithoutMeasurementsIsRejected() {
    assertThatThrownBy(
            () ->
                EnclaveProfile.fromNitroCliOutput(
                    "Start building the Enclave Image...\n{\"a\": 1}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Measurements");
  }

  @Test
  void outputLongerThanAnyRealNitroCliOutputIsRejected() {
    String huge = "{".repeat(1 << 20) + "x";

    assertThatThrownBy(() -> EnclaveProfile.fromNitroCliOutput(huge))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than");
  }

  @Test
  void unreadableFileIsReportedAsIoFailure(@org.junit.jupiter.api.io.TempDir Path dir) {
    assertThatThrownBy(() -> EnclaveProfile.fromNitroCliOutput(dir.resolve("missing.json")))
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void builderRejectsInvalidValues() {
    EnclaveProfile.Builder builder = EnclaveProfile.builder();

    assertThatThrownBy(() -> builder.pcr(0, new byte[47]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("48 bytes");
    assertThatThrownBy(() -> builder.pcr(16, new byte[48]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.pcr(-1, new byte[48]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.instanceId("i-123 456"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.region("US East"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.iamRoleArn(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThat(builder.build()).isEqualTo(EnclaveProfile.defaultProfile());
  }

  @Test
  void profileIsImmutable() {
    byte[] value = EnclaveProfile.extendFromZero(new byte[] {7});
    EnclaveProfile profile = EnclaveProfile.builder().pcr(0, value).build();

    value[0] ^= 1;
    profile.bootPcrs().get(0)[0] ^= 1;
    profile.imagePcr(0)[1] ^= 1;

    assertThat(profile.imagePcr(0)).isEqualTo(EnclaveProfile.extendFromZero(new byte[] {7}));
  }

  private static void assertThatSamePcrs(
      SortedMap<Integer, byte[]> actual, SortedMap<Integer, byte[]> expected) {
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((i, v) -> assertThat(actual.get(i)).as("PCR%d", i).isEqualTo(v));
  }

  static AttestationDocument realDocument(String file) throws IOException {
    String base64 = Files.readString(REAL.resolve(file)).replaceAll("\\s+", "");
    byte[] document = Base64.getDecoder().decode(base64);
    return AttestationDocument.decodePayload(CoseSign1.decode(document).payload());
  }

  private static java.util.List<Integer> range(int from, int to) {
    return java.util.stream.IntStream.range(from, to).boxed().toList();
  }
}
