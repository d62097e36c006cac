package dev.nitroemu.container;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Optional;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * A non-Java enclave image: {@code FROM scratch} with only enclave-supervisor's static C probe
 * ({@code nsm-vsock-probe}: raw {@code /dev/nsm} ioctl and {@code AF_VSOCK}, no nitro-emu code).
 */
public final class NativeProbeImage {

  private static ImageFromDockerfile built;

  private NativeProbeImage() {}

  /** Why the probe cannot be used here (not built: no gcc), or empty. */
  public static Optional<String> unavailableReason() {
    String path = System.getProperty("nitro.supervisor.probe");
    if (path == null || !Files.isExecutable(Path.of(path))) {
      return Optional.of(
          "enclave-supervisor's C probe is not built at "
              + path
              + " (needs gcc and libc6-dev; run through Maven with enclave-supervisor built)");
    }
    return Optional.empty();
  }

  /** The image ({@code CMD ["/probe", "describe"]}), built once per test JVM. */
  public static synchronized ImageFromDockerfile image() {
    if (built == null) {
      ImageFromDockerfile image =
          new ImageFromDockerfile("nitro-emu-test/native-probe:1", false)
              .withFileFromPath("probe", Path.of(System.getProperty("nitro.supervisor.probe")))
              .withDockerfileFromBuilder(
                  b -> b.from("scratch").copy("probe", "/probe").cmd("/probe", "describe").build());
      image.get();
      built = image;
    }
    return built;
  }

  /** The bytes of the probe's {@code label <hex>} line in {@code console}. */
  public static byte[] bytes(String console, String label) {
    return HexFormat.of().parseHex(result(console, label));
  }

  /** The rest of the probe's first line starting with {@code label} and a space. */
  public static String result(String console, String label) {
    return console
        .lines()
        .filter(line -> line.startsWith(label + " "))
        .map(line -> line.substring(label.length() + 1).trim())
        .findFirst()
        .orElseThrow(() -> new AssertionError("no '" + label + "' line in:\n" + console));
  }
}
