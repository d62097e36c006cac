package dev.nitroemu.container;

import com.github.dockerjava.api.DockerClient;
import dev.nitroemu.container.internal.EmulatorVersion;
import dev.nitroemu.container.internal.ImageFilesystem;
import dev.nitroemu.enclave.Pcrs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * PCR0, PCR1 and PCR2 of an enclave container: taken from a profile or EIF when one is given, else
 * derived from the Docker image so that the same image content always gives the same values and one
 * changed file changes PCR0 and PCR2.
 *
 * <p><b>Derivation</b> (not nitro-cli's values; an EIF gives those). With {@code PCR(x) =
 * SHA384(0^48 || SHA384(x))}, the extend-from-zero of real enclaves:
 *
 * <ul>
 *   <li>{@code B} = UTF-8 {@code "nitro-emu enclave container bootstrap <version>\n"}: stands for
 *       the kernel, command line and bootstrap ramdisk, so {@code PCR1 = PCR(B)} is fixed per
 *       nitro-emu version as PCR1 is fixed per nitro-cli version;
 *   <li>{@code C} = the image's canonical description: {@code "nitro-emu image filesystem v1\n"},
 *       then one line per file of the image's root filesystem sorted by path ({@code path NUL type
 *       NUL octal mode NUL uid:gid NUL link target NUL size NUL SHA-384 of the content}, no
 *       timestamps; {@code /dev}, {@code /proc}, {@code /sys} contents and the files Docker adds
 *       ({@code .dockerenv}, {@code /etc/hostname}, {@code /etc/hosts}, {@code /etc/resolv.conf},
 *       {@code /etc/mtab}) left out, as linuxkit drops or replaces them), then {@code "cmd\n"} and
 *       the command one argument per line, then {@code "env\n"} and the image's {@code Env} one per
 *       line (the {@code cmd} and {@code env} files of nitro-cli's customer ramdisk); {@code PCR2 =
 *       PCR(C)};
 *   <li>{@code PCR0 = PCR(B || C)}, as PCR0 covers everything PCR1 and PCR2 cover.
 * </ul>
 *
 * <p>Unlike nitro-cli, timestamps are not measured, so rebuilding the same files keeps the values.
 */
public final class ImageMeasurements {

  /** Where the measurements came from. */
  public enum Source {
    /** Derived from the image's content (see the class comment). */
    IMAGE,
    /** The enclave environment's profile (a profile, nitro-cli output or an EIF). */
    PROFILE
  }

  private static final Map<String, ImageMeasurements> DERIVED = new ConcurrentHashMap<>();

  private final byte[] pcr0;
  private final byte[] pcr1;
  private final byte[] pcr2;
  private final Source source;

  /** Measurements with the given values (48 bytes each). */
  public ImageMeasurements(byte[] pcr0, byte[] pcr1, byte[] pcr2, Source source) {
    this.pcr0 = checked(pcr0, "pcr0");
    this.pcr1 = checked(pcr1, "pcr1");
    this.pcr2 = checked(pcr2, "pcr2");
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * The measurements derived from image {@code imageId} run with {@code command} and {@code
   * environment}; computed once per image, command and environment in this JVM.
   */
  public static ImageMeasurements derive(
      DockerClient docker, String imageId, List<String> command, List<String> environment) {
    String key =
        imageId + "\0" + String.join("\0", command) + "\0\0" + String.join("\0", environment);
    return DERIVED.computeIfAbsent(
        key, k -> fromDescription(ImageFilesystem.describe(docker, imageId, command, environment)));
  }

  /**
   * The measurements of an image whose canonical description ({@code C} above) is {@code
   * description}.
   */
  static ImageMeasurements fromDescription(byte[] description) {
    byte[] bootstrap =
        ("nitro-emu enclave container bootstrap " + EmulatorVersion.get() + "\n")
            .getBytes(StandardCharsets.UTF_8);
    MessageDigest all = sha384();
    all.update(bootstrap);
    all.update(description);
    return new ImageMeasurements(
        Pcrs.fromDigest(all.digest()),
        Pcrs.fromDigest(sha384().digest(bootstrap)),
        Pcrs.fromDigest(sha384().digest(description)),
        Source.IMAGE);
  }

  /** PCR0: the whole image. */
  public byte[] pcr0() {
    return pcr0.clone();
  }

  /** PCR1: the bootstrap (fixed per nitro-emu version when derived). */
  public byte[] pcr1() {
    return pcr1.clone();
  }

  /** PCR2: the application (the image's files, command and environment when derived). */
  public byte[] pcr2() {
    return pcr2.clone();
  }

  /** PCR{@code index} (0, 1 or 2) in lowercase hex. */
  public String hex(int index) {
    return switch (index) {
      case 0 -> HexFormat.of().formatHex(pcr0);
      case 1 -> HexFormat.of().formatHex(pcr1);
      case 2 -> HexFormat.of().formatHex(pcr2);
      default ->
          throw new IllegalArgumentException(
              "an enclave image has PCR0, PCR1 and PCR2, not PCR" + index);
    };
  }

  /** Where these values came from. */
  public Source source() {
    return source;
  }

  /** The {@code EnclaveEnvironment.Builder.pcrs} entries that boot an NSM with these values. */
  public String[] pcrEntries() {
    return new String[] {"0=" + hex(0), "1=" + hex(1), "2=" + hex(2)};
  }

  /** PCR0, PCR1 and PCR2 by index (copies), as {@code EnclaveHost.Plan} takes them. */
  public SortedMap<Integer, byte[]> pcrMap() {
    return new TreeMap<>(Map.of(0, pcr0(), 1, pcr1(), 2, pcr2()));
  }

  @Override
  public String toString() {
    return "ImageMeasurements[" + source + ", PCR0=" + hex(0).substring(0, 16) + "...]";
  }

  private static byte[] checked(byte[] value, String name) {
    Objects.requireNonNull(value, name);
    if (value.length != Pcrs.LENGTH) {
      throw new IllegalArgumentException(
          name + " must have " + Pcrs.LENGTH + " bytes, not " + value.length);
    }
    return value.clone();
  }

  private static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is missing from this JDK", e);
    }
  }
}
