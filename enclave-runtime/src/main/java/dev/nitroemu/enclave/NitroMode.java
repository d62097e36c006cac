package dev.nitroemu.enclave;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * Which backend nitro-emu uses: the emulator or real Nitro hardware, chosen by one setting.
 *
 * <p>The setting is the system property {@value #PROPERTY} or else the environment variable {@value
 * #ENVIRONMENT_VARIABLE}, with the value {@code emulated}, {@code real} or {@code auto} (the default).
 * {@code auto} means {@link #REAL} when both {@code /dev/vsock} and {@code /dev/nsm} exist, {@link
 * #EMULATED} otherwise.
 */
public enum NitroMode {
  /** Software NSM, vsock over loopback TCP, KMS mock. */
  EMULATED,
  /** The enclave's {@code /dev/nsm}, AF_VSOCK, real KMS through vsock-proxy. */
  REAL;

  /** The system property that selects the mode. */
  public static final String PROPERTY = "nitro.mode";

  /** The environment variable read when the system property is not set. */
  public static final String ENVIRONMENT_VARIABLE = "NITRO_MODE";

  /** The vsock device whose presence {@code auto} checks. */
  public static final Path VSOCK_DEVICE = Path.of("/dev/vsock");

  /** The NSM device whose presence {@code auto} checks. */
  public static final Path NSM_DEVICE = Path.of("/dev/nsm");

  /**
   * The mode this process is configured for.
   *
   * @throws IllegalArgumentException if the setting has a value other than emulated, real or auto
   */
  public static NitroMode current() {
    return resolve(System.getProperty(PROPERTY), System.getenv(ENVIRONMENT_VARIABLE), Files::exists);
  }

  /**
   * Resolves a mode from explicit inputs; the seam {@link #current()} uses.
   *
   * @param property the system property value, or null
   * @param environment the environment variable value, or null (used only when property is null or blank)
   * @param deviceExists tells whether a device path exists, consulted only for {@code auto}
   * @throws IllegalArgumentException if the chosen value is not emulated, real or auto
   */
  public static NitroMode resolve(String property, String environment, Predicate<Path> deviceExists) {
    boolean fromProperty = property != null && !property.isBlank();
    String source = fromProperty ? "system property " + PROPERTY : "environment variable " + ENVIRONMENT_VARIABLE;
    String value = fromProperty ? property : environment;
    if (value == null || value.isBlank()) {
      value = "auto";
    }
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "emulated":
        return EMULATED;
      case "real":
        return REAL;
      case "auto":
        return deviceExists.test(VSOCK_DEVICE) && deviceExists.test(NSM_DEVICE) ? REAL : EMULATED;
      default:
        throw new IllegalArgumentException(
            source + " must be emulated, real or auto, was '" + value + "'");
    }
  }
}
