package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** nitro.mode has one meaning: NitroMode and NitroSettings cannot disagree about it. */
class NitroModeTest {

  private static final Map<String, Predicate<Path>> DEVICES =
      Map.of(
          "no devices", path -> false,
          "only /dev/vsock (the parent instance)", NitroMode.VSOCK_DEVICE::equals,
          "only /dev/nsm", NitroMode.NSM_DEVICE::equals,
          "both devices (an enclave)",
              Set.of(NitroMode.VSOCK_DEVICE, NitroMode.NSM_DEVICE)::contains);

  @Test
  void everyCombinationOfPropertyEnvironmentAndDevicesResolvesAsDocumented() {
    List<String> values =
        Arrays.asList(null, "", " ", "emulated", "real", "auto", " REAL ", "Auto");
    for (String property : values) {
      for (String environment : values) {
        for (Map.Entry<String, Predicate<Path>> devices : DEVICES.entrySet()) {
          NitroSettings settings =
              NitroSettings.of(
                  key -> NitroMode.PROPERTY.equals(key) ? property : null,
                  key -> NitroMode.ENVIRONMENT_VARIABLE.equals(key) ? environment : null,
                  devices.getValue());
          NitroMode expected =
              documentedMode(property, environment, devices.getKey().startsWith("both"));

          assertThat(settings.mode())
              .as("property %s, environment %s, %s", property, environment, devices.getKey())
              .isEqualTo(expected);
        }
      }
    }
  }

  @Test
  void currentIsTheOneResolversAnswerForEveryValue() {
    String previous = System.getProperty(NitroMode.PROPERTY);
    try {
      for (String value : Arrays.asList(null, "", "emulated", "real", "auto", " REAL ")) {
        setProperty(value);

        assertThat(NitroMode.current())
            .as("nitro.mode=%s", value)
            .isEqualTo(NitroSettings.system().mode());
      }
      setProperty("emulated");
      assertThat(NitroMode.current()).isEqualTo(NitroMode.EMULATED);
      setProperty("real");
      assertThat(NitroMode.current()).isEqualTo(NitroMode.REAL);
    } finally {
      setProperty(previous);
    }
  }

  @Test
  void anUnknownValueFailsTheSameWayThroughBoth() {
    String previous = System.getProperty(NitroMode.PROPERTY);
    try {
      setProperty("hardware");

      Throwable viaMode = catchThrowable(NitroMode::current);
      Throwable viaSettings = catchThrowable(() -> NitroSettings.system().mode());

      assertThat(viaMode)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("nitro.mode (or NITRO_MODE) must be emulated, real or auto, was 'hardware'");
      assertThat(viaSettings)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(viaMode.getMessage());
    } finally {
      setProperty(previous);
    }
  }

  @Test
  void theEnvironmentVariableIsTheResolversNameForTheProperty() {
    assertThat(NitroMode.ENVIRONMENT_VARIABLE)
        .isEqualTo(NitroSettings.environmentName(NitroMode.PROPERTY));
    assertThat(NitroSettings.MODE).isEqualTo(NitroMode.PROPERTY);
  }

  @Test
  void unsetNitroModeIsAutoNotEmulated() {
    NitroSettings inAnEnclave =
        NitroSettings.of(key -> null, key -> null, DEVICES.get("both devices (an enclave)"));
    NitroSettings onALaptop = NitroSettings.of(key -> null, key -> null, DEVICES.get("no devices"));

    assertThat(inAnEnclave.mode()).isEqualTo(NitroMode.REAL);
    assertThat(onALaptop.mode()).isEqualTo(NitroMode.EMULATED);
    assertThatThrownBy(() -> NitroSettings.of(key -> "qemu", key -> null).mode())
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * The README's table: property, else environment, blank is unset, unset is auto; auto is real
   * with both devices.
   */
  private static NitroMode documentedMode(
      String property, String environment, boolean bothDevices) {
    String value = property != null && !property.isBlank() ? property : environment;
    String chosen =
        value == null || value.isBlank() ? "auto" : value.trim().toLowerCase(java.util.Locale.ROOT);
    Map<String, NitroMode> table = new HashMap<>();
    table.put("emulated", NitroMode.EMULATED);
    table.put("real", NitroMode.REAL);
    table.put("auto", bothDevices ? NitroMode.REAL : NitroMode.EMULATED);
    return table.get(chosen);
  }

  private static void setProperty(String value) {
    if (value == null) {
      System.clearProperty(NitroMode.PROPERTY);
    } else {
      System.setProperty(NitroMode.PROPERTY, value);
    }
  }
}
