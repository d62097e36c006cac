package dev.nitroemu.enclave;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The one resolver of nitro-emu's settings: each one a property (system property, or JUnit
 * configuration parameter when run by the extension), else the environment variable of the same
 * name in upper snake case ({@code nitro.kms.proxyPort} is {@code NITRO_KMS_PROXY_PORT}); a blank
 * value counts as unset.
 *
 * <p>{@value #MODE} unset means {@code auto}: real when {@code /dev/vsock} and {@code /dev/nsm}
 * both exist, which is only inside a Nitro Enclave, emulated everywhere else (see {@link
 * NitroMode}).
 */
public final class NitroSettings {

  /** Selects the backend: auto (the default), emulated or real. */
  public static final String MODE = NitroMode.PROPERTY;

  /** Real mode: the AWS region of the KMS endpoint, e.g. {@code us-east-1}; required. */
  public static final String KMS_REGION = "nitro.kms.region";

  /** Real mode: the parent's vsock-proxy port forwarding to KMS (vsock CID 3). */
  public static final String KMS_PROXY_PORT = "nitro.kms.proxyPort";

  /**
   * Real mode: prefix of the key-id settings, one per declared key alias ({@code
   * nitro.kms.key.<alias>}).
   */
  public static final String KMS_KEY_PREFIX = "nitro.kms.key.";

  /**
   * The vsock-proxy port AWS's own tools and examples use ({@code vsock-proxy 8000
   * kms.<region>...}).
   */
  public static final long DEFAULT_KMS_PROXY_PORT = 8000;

  private static final Pattern UPPER = Pattern.compile("([a-z0-9])([A-Z])");

  private final Function<String, String> properties;
  private final Function<String, String> environment;
  private final Predicate<Path> deviceExists;

  private NitroSettings(
      Function<String, String> properties,
      Function<String, String> environment,
      Predicate<Path> deviceExists) {
    this.properties = Objects.requireNonNull(properties, "properties");
    this.environment = Objects.requireNonNull(environment, "environment");
    this.deviceExists = Objects.requireNonNull(deviceExists, "deviceExists");
  }

  /** Settings from system properties and the process environment. */
  public static NitroSettings system() {
    return of(System::getProperty, System::getenv);
  }

  /**
   * Settings from the given lookups (each returns null for "not set"); devices probed on this
   * machine.
   */
  public static NitroSettings of(
      Function<String, String> properties, Function<String, String> environment) {
    return of(properties, environment, Files::exists);
  }

  /** Settings from the given lookups, with the device probe {@code auto} uses. */
  public static NitroSettings of(
      Function<String, String> properties,
      Function<String, String> environment,
      Predicate<Path> deviceExists) {
    return new NitroSettings(properties, environment, deviceExists);
  }

  /**
   * The environment variable for {@code property}: {@code nitro.kms.proxyPort} is {@code
   * NITRO_KMS_PROXY_PORT}.
   */
  public static String environmentName(String property) {
    String snake = UPPER.matcher(property).replaceAll("$1_$2");
    return snake.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
  }

  /** The value of {@code property}, else of its environment variable; blank counts as unset. */
  public Optional<String> get(String property) {
    String value = properties.apply(property);
    if (value == null || value.isBlank()) {
      value = environment.apply(environmentName(property));
    }
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  /**
   * The configured mode: {@code auto} when unset, and {@code auto} is real when {@code /dev/vsock}
   * and {@code /dev/nsm} both exist, else emulated.
   *
   * @throws IllegalArgumentException naming the setting if the value is not emulated, real or auto
   */
  public NitroMode mode() {
    String value = get(MODE).orElse("auto");
    switch (value.toLowerCase(Locale.ROOT)) {
      case "emulated":
        return NitroMode.EMULATED;
      case "real":
        return NitroMode.REAL;
      case "auto":
        boolean inEnclave =
            deviceExists.test(NitroMode.VSOCK_DEVICE) && deviceExists.test(NitroMode.NSM_DEVICE);
        return inEnclave ? NitroMode.REAL : NitroMode.EMULATED;
      default:
        throw new IllegalArgumentException(
            MODE
                + " (or "
                + environmentName(MODE)
                + ") must be emulated, real or auto, was '"
                + value
                + "'");
    }
  }

  /**
   * The real-mode KMS settings: region, proxy port and a key id for each alias.
   *
   * @throws IllegalArgumentException naming every setting that is missing or malformed, and how to
   *     set it
   */
  public RealKms realKms(Collection<String> aliases) {
    List<String> problems = new ArrayList<>();
    String region = get(KMS_REGION).orElse(null);
    if (region == null) {
      problems.add(
          missing(KMS_REGION, "<region>", "the AWS region of the KMS endpoint, e.g. us-east-1"));
    } else if (!AwsRegion.isValid(region)) {
      problems.add(KMS_REGION + " must be an AWS region such as us-east-1, was '" + region + "'");
    }
    long proxyPort = DEFAULT_KMS_PROXY_PORT;
    Optional<String> port = get(KMS_PROXY_PORT);
    if (port.isPresent()) {
      try {
        proxyPort = Ports.vsockService(Ports.parse(port.get(), KMS_PROXY_PORT), KMS_PROXY_PORT);
      } catch (IllegalArgumentException e) {
        problems.add(
            KMS_PROXY_PORT
                + " must be the vsock port of the parent's vsock-proxy to KMS"
                + " (1..4294967294), was '"
                + port.get()
                + "'");
      }
    }
    Map<String, String> keyIds = new LinkedHashMap<>();
    for (String alias : aliases) {
      Optional<String> keyId = get(KMS_KEY_PREFIX + alias);
      if (keyId.isPresent()) {
        keyIds.put(alias, keyId.get());
      } else {
        problems.add(
            missing(
                KMS_KEY_PREFIX + alias,
                "<key id or ARN>",
                "the real KMS key declared as alias '" + alias + "'"));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          "nitro.mode=real is misconfigured:\n  - " + String.join("\n  - ", problems));
    }
    return new RealKms(region, proxyPort, keyIds);
  }

  private static String missing(String property, String placeholder, String meaning) {
    return property
        + " is not set: set -D"
        + property
        + "="
        + placeholder
        + " (or the environment variable "
        + environmentName(property)
        + ") to "
        + meaning;
  }

  /**
   * Where real KMS is: the region, the parent's vsock-proxy port, and the key ids by alias.
   *
   * @param region the AWS region, e.g. {@code us-east-1}
   * @param proxyPort the vsock port on CID 3 where vsock-proxy forwards to {@code
   *     kms.<region>.amazonaws.com:443}
   * @param keyIds key id or ARN for each declared alias
   */
  public record RealKms(String region, long proxyPort, Map<String, String> keyIds) {
    public RealKms {
      keyIds = Map.copyOf(keyIds);
    }

    /** The KMS host name the proxy forwards to, which TLS and SigV4 expect. */
    public String host() {
      return "kms." + region + ".amazonaws.com";
    }
  }
}
