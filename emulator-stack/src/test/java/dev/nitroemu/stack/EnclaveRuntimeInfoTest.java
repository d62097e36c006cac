package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.nsm.EmulatorRootCa;
import java.net.URI;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

class EnclaveRuntimeInfoTest {

  private static EnclaveRuntimeInfo info(TreeMap<Integer, byte[]> pcrs) {
    return new EnclaveRuntimeInfo(
        NitroMode.EMULATED,
        "eu-west-1",
        URI.create("http://127.0.0.1:4566"),
        null,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "very-secret")),
        EmulatorRootCa.generate(Clock.systemUTC()).certificate(),
        pcrs,
        false,
        Map.of("enclave-secret", "1234abcd-12ab-34cd-56ef-1234567890ab"));
  }

  @Test
  void pcrsCannotBeChangedThroughTheView() {
    TreeMap<Integer, byte[]> pcrs = new TreeMap<>(Map.of(0, new byte[48]));
    EnclaveRuntimeInfo info = info(pcrs);

    pcrs.get(0)[0] = 1;
    info.pcrs().get(0)[1] = 1;
    info.pcr(0)[2] = 1;

    assertThat(info.pcr(0)).isEqualTo(new byte[48]);
    assertThat(info.pcrHex(0)).isEqualTo("00".repeat(48));
  }

  @Test
  void unknownPcrIndexIsRefused() {
    assertThatThrownBy(() -> info(new TreeMap<>()).pcr(16)).hasMessageContaining("0..15, got 16");
  }

  @Test
  void keyIdsResolveWithOrWithoutTheAliasPrefix() {
    EnclaveRuntimeInfo info = info(new TreeMap<>());

    assertThat(info.kmsKeyId("enclave-secret")).isEqualTo("1234abcd-12ab-34cd-56ef-1234567890ab");
    assertThat(info.kmsKeyId("alias/enclave-secret"))
        .isEqualTo("1234abcd-12ab-34cd-56ef-1234567890ab");
    assertThat(info.kmsProxyAddress()).isEmpty();
  }

  @Test
  void descriptionCarriesNoSecret() {
    assertThat(info(new TreeMap<>()).toString())
        .contains("mode=EMULATED", "region=eu-west-1", "kmsKeys=[enclave-secret]")
        .doesNotContain("very-secret");
  }
}
