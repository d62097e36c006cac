package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NitroSettingsTest {

  private static NitroSettings settings(
      Map<String, String> properties, Map<String, String> environment) {
    return NitroSettings.of(properties::get, environment::get, path -> false);
  }

  @Test
  void unsetModeIsAutoSoItIsRealOnlyInsideAnEnclave() {
    NitroSettings inAnEnclave = NitroSettings.of(key -> null, key -> null, path -> true);
    NitroSettings onTheParentInstance =
        NitroSettings.of(key -> null, key -> null, Path.of("/dev/vsock")::equals);

    assertThat(inAnEnclave.mode()).isEqualTo(NitroMode.REAL);
    assertThat(onTheParentInstance.mode()).isEqualTo(NitroMode.EMULATED);
  }

  @Test
  void everyPropertyEnvironmentPairInTheRuntimeIsTheResolversNaming() {
    assertThat(RemoteNsm.ADDRESS_ENVIRONMENT_VARIABLE)
        .isEqualTo(NitroSettings.environmentName(RemoteNsm.ADDRESS_PROPERTY));
    assertThat(VsockNetwork.MAPPING_FILE_ENVIRONMENT_VARIABLE)
        .isEqualTo(NitroSettings.environmentName(VsockNetwork.MAPPING_FILE_PROPERTY));
    assertThat(VsockNetwork.LOCAL_CID_ENVIRONMENT_VARIABLE)
        .isEqualTo(NitroSettings.environmentName(VsockNetwork.LOCAL_CID_PROPERTY));
  }

  @Test
  void autoModeIsRealOnlyWhenBothDevicesExist() {
    Map<String, String> auto = Map.of("nitro.mode", "auto");

    assertThat(NitroSettings.of(auto::get, key -> null, path -> true).mode())
        .isEqualTo(NitroMode.REAL);
    assertThat(
            NitroSettings.of(auto::get, key -> null, path -> path.equals(Path.of("/dev/nsm")))
                .mode())
        .isEqualTo(NitroMode.EMULATED);
  }

  @Test
  void propertyWinsOverEnvironmentVariable() {
    NitroSettings both = settings(Map.of("nitro.mode", "REAL"), Map.of("NITRO_MODE", "emulated"));
    NitroSettings envOnly = settings(Map.of(), Map.of("NITRO_MODE", "real"));

    assertThat(both.mode()).isEqualTo(NitroMode.REAL);
    assertThat(envOnly.mode()).isEqualTo(NitroMode.REAL);
  }

  @Test
  void unknownModeNamesTheSettingAndTheValidValues() {
    assertThatThrownBy(() -> settings(Map.of("nitro.mode", "qemu"), Map.of()).mode())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nitro.mode (or NITRO_MODE) must be emulated, real or auto, was 'qemu'");
  }

  @Test
  void environmentNamesAreUpperSnakeCase() {
    assertThat(NitroSettings.environmentName("nitro.kms.proxyPort"))
        .isEqualTo("NITRO_KMS_PROXY_PORT");
    assertThat(NitroSettings.environmentName("nitro.kms.key.enclave-secret"))
        .isEqualTo("NITRO_KMS_KEY_ENCLAVE_SECRET");
    assertThat(NitroSettings.environmentName("nitro.mode")).isEqualTo("NITRO_MODE");
  }

  @Test
  void blankValuesCountAsUnset() {
    NitroSettings blank =
        settings(Map.of("nitro.kms.region", "  "), Map.of("NITRO_KMS_REGION", "eu-west-1"));

    assertThat(blank.get("nitro.kms.region")).contains("eu-west-1");
  }

  @Test
  void realKmsReadsRegionProxyPortAndKeyIds() {
    NitroSettings configured =
        settings(
            Map.of("nitro.kms.region", "eu-central-1", "nitro.kms.proxyPort", "8001"),
            Map.of(
                "NITRO_KMS_KEY_ENCLAVE_SECRET", "arn:aws:kms:eu-central-1:111122223333:key/1234"));

    NitroSettings.RealKms kms = configured.realKms(List.of("enclave-secret"));

    assertThat(kms.region()).isEqualTo("eu-central-1");
    assertThat(kms.proxyPort()).isEqualTo(8001);
    assertThat(kms.host()).isEqualTo("kms.eu-central-1.amazonaws.com");
    assertThat(kms.keyIds())
        .containsEntry("enclave-secret", "arn:aws:kms:eu-central-1:111122223333:key/1234");
  }

  @Test
  void proxyPortDefaultsToTheVsockProxyConvention() {
    NitroSettings.RealKms kms =
        settings(Map.of("nitro.kms.region", "us-east-1"), Map.of()).realKms(List.of());

    assertThat(kms.proxyPort()).isEqualTo(8000);
  }

  @Test
  void proxyPortsAboveTwoToTheThirtyOneStayUnsigned() {
    NitroSettings.RealKms kms =
        settings(
                Map.of("nitro.kms.region", "us-east-1", "nitro.kms.proxyPort", "4294967294"),
                Map.of())
            .realKms(List.of());

    assertThat(kms.proxyPort()).isEqualTo(4_294_967_294L);
    assertThat(VsockAddress.of(VsockAddress.CID_PARENT, kms.proxyPort()))
        .hasToString("vsock://3:4294967294");
  }

  @Test
  void everyMissingOrMalformedSettingIsNamedAtOnce() {
    NitroSettings broken = settings(Map.of("nitro.kms.proxyPort", "eight thousand"), Map.of());

    assertThatThrownBy(() -> broken.realKms(List.of("a", "b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nitro.mode=real is misconfigured")
        .hasMessageContaining(
            "nitro.kms.region is not set: set -Dnitro.kms.region=<region> (or the environment"
                + " variable NITRO_KMS_REGION)")
        .hasMessageContaining("nitro.kms.proxyPort must be the vsock port")
        .hasMessageContaining("-Dnitro.kms.key.a=<key id or ARN>")
        .hasMessageContaining("-Dnitro.kms.key.b=<key id or ARN>");
  }

  @Test
  void malformedRegionIsRefused() {
    assertThatThrownBy(
            () -> settings(Map.of("nitro.kms.region", "Frankfurt"), Map.of()).realKms(List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "nitro.kms.region must be an AWS region such as us-east-1, was 'Frankfurt'");
  }

  @Test
  void proxyPortOutsideTheVsockRangeIsRefused() {
    NitroSettings zero =
        settings(Map.of("nitro.kms.region", "us-east-1", "nitro.kms.proxyPort", "0"), Map.of());

    assertThatThrownBy(() -> zero.realKms(List.of()))
        .hasMessageContaining("(1..4294967294), was '0'");
  }
}
