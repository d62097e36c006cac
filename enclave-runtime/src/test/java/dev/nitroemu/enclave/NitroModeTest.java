package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class NitroModeTest {

  private static final Predicate<Path> NO_DEVICES = path -> false;
  private static final Predicate<Path> BOTH_DEVICES = Set.of(NitroMode.VSOCK_DEVICE, NitroMode.NSM_DEVICE)::contains;

  @Test
  void explicitSettingsWinOverDevices() {
    assertThat(NitroMode.resolve("emulated", null, BOTH_DEVICES)).isEqualTo(NitroMode.EMULATED);
    assertThat(NitroMode.resolve("real", null, NO_DEVICES)).isEqualTo(NitroMode.REAL);
    assertThat(NitroMode.resolve(" REAL ", null, NO_DEVICES)).isEqualTo(NitroMode.REAL);
  }

  @Test
  void systemPropertyWinsOverEnvironment() {
    assertThat(NitroMode.resolve("emulated", "real", NO_DEVICES)).isEqualTo(NitroMode.EMULATED);
    assertThat(NitroMode.resolve(null, "real", NO_DEVICES)).isEqualTo(NitroMode.REAL);
    assertThat(NitroMode.resolve("", "real", NO_DEVICES)).isEqualTo(NitroMode.REAL);
  }

  @Test
  void autoIsRealOnlyWhenBothDevicesExist() {
    assertThat(NitroMode.resolve("auto", null, BOTH_DEVICES)).isEqualTo(NitroMode.REAL);
    assertThat(NitroMode.resolve(null, null, BOTH_DEVICES)).isEqualTo(NitroMode.REAL);
    assertThat(NitroMode.resolve(null, null, NitroMode.VSOCK_DEVICE::equals)).isEqualTo(NitroMode.EMULATED);
    assertThat(NitroMode.resolve(null, "auto", NitroMode.NSM_DEVICE::equals)).isEqualTo(NitroMode.EMULATED);
    assertThat(NitroMode.resolve(null, null, NO_DEVICES)).isEqualTo(NitroMode.EMULATED);
  }

  @Test
  void unknownValueNamesTheSettingAndTheValue() {
    assertThatThrownBy(() -> NitroMode.resolve("fake", null, NO_DEVICES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("system property nitro.mode")
        .hasMessageContaining("'fake'");
    assertThatThrownBy(() -> NitroMode.resolve(null, "hardware", NO_DEVICES))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("environment variable NITRO_MODE");
  }
}
