package dev.nitroemu.nsm;

import dev.nitroemu.enclave.AwsRegion;
import dev.nitroemu.enclave.EifException;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.Pcrs;
import dev.nitroemu.nsm.internal.NitroCliMeasurements;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What an emulated enclave boots with: its image measurements (PCR0/1/2/8), parent instance (PCR4),
 * IAM role (PCR3), debug flag and region; immutable.
 *
 * <p>Boot PCRs follow real hardware: {@code PCR3 = SHA384(48 zero bytes || role ARN)} (zero without
 * a role), {@code PCR4 = SHA384(48 zero bytes || instance id)}, PCR5..15 zero, and in debug mode
 * PCR0, PCR1, PCR2 and PCR8 read as zero while PCR3 and PCR4 keep their values. Values given with
 * {@link Builder#pcr(int, byte[])} override the derived ones.
 *
 * <p>The {@linkplain #defaultProfile() default profile} is production-like and deterministic:
 * instance {@value #DEFAULT_INSTANCE_ID}, region {@value #DEFAULT_REGION}, no role, and {@code PCRn
 * = extendFromZero(SHA384("nitro-emu default enclave image PCRn"))} for n = 0, 1, 2 (the EIF
 * formula applied to that fixed UTF-8 text).
 */
public final class EnclaveProfile {
  /** Parent instance id of the default profile: a fixed, realistic {@code i-} + 17 hex digits. */
  public static final String DEFAULT_INSTANCE_ID = "i-0e5f4c3a2b1d09876";

  /** Region of the default profile. */
  public static final String DEFAULT_REGION = "us-east-1";

  /** Prefix of the fixed text whose digest gives the default PCR0/1/2. */
  public static final String DEFAULT_IMAGE_LABEL = "nitro-emu default enclave image PCR";

  /** Number of PCRs set at boot (and locked). */
  public static final int BOOT_PCRS = 16;

  private static final int PCR_LENGTH = 48;
  private static final long MAX_FILE_SIZE = NitroCliMeasurements.MAX_TEXT_LENGTH;
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._-]{1,40}");
  private static final int[] DEBUG_ZEROED = {0, 1, 2, 8};

  private final SortedMap<Integer, byte[]> explicitPcrs;
  private final String iamRoleArn;
  private final String instanceId;
  private final boolean debug;
  private final String region;

  private EnclaveProfile(Builder b) {
    this.explicitPcrs = copy(b.pcrs);
    this.iamRoleArn = b.iamRoleArn;
    this.instanceId = b.instanceId;
    this.debug = b.debug;
    this.region = b.region;
  }

  /** The production-like default profile described in the class comment. */
  public static EnclaveProfile defaultProfile() {
    return builder().build();
  }

  /** A builder starting from the default profile's values. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A profile with the image PCRs printed by {@code nitro-cli build-enclave} (stdout, progress
   * lines included), {@code describe-eif} or {@code describe-enclaves} (its first enclave; a {@code
   * DEBUG_MODE} flag makes the profile debug); everything else is the default.
   *
   * @throws IllegalArgumentException when no measurements are found or a PCR is malformed (the
   *     message names the field)
   */
  public static EnclaveProfile fromNitroCliOutput(String text) {
    NitroCliMeasurements.Measurements m =
        NitroCliMeasurements.parse(Objects.requireNonNull(text, "text"));
    Builder builder = builder().debug(m.debugMode());
    m.pcrs().forEach(builder::pcr);
    return builder.build();
  }

  /**
   * Reads nitro-cli output from a file; see {@link #fromNitroCliOutput(String)}.
   *
   * @throws UncheckedIOException when the file cannot be read
   */
  public static EnclaveProfile fromNitroCliOutput(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_SIZE) {
        throw new IllegalArgumentException(file + " is larger than " + MAX_FILE_SIZE + " bytes");
      }
      return fromNitroCliOutput(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /**
   * A profile whose image PCRs are the EIF's: PCR0/1/2, and PCR8 when the image is signed, measured
   * as AWS's EifReader measures them; everything else is the default. The file must be intact (CRC
   * and signature); debug mode, set on the builder, still reports them as zeros.
   *
   * @throws EifException if the file is not an intact EIF
   * @throws IOException if it cannot be read
   */
  public static EnclaveProfile fromEif(Path file) throws IOException {
    EifFile eif = EifFile.read(file).requireIntact();
    Builder builder = builder();
    eif.measurements().forEach(builder::pcr);
    return builder.build();
  }

  /**
   * {@code SHA384(48 zero bytes || data)}: one NSM extend of a zero register (see {@link Pcrs}).
   */
  public static byte[] extendFromZero(byte[] data) {
    return Pcrs.extendFromZero(data);
  }

  /** PCRs 0..15 as the NSM reports them at boot (zeros for PCR0/1/2/8 in debug mode). */
  public SortedMap<Integer, byte[]> bootPcrs() {
    TreeMap<Integer, byte[]> pcrs = new TreeMap<>();
    for (int i = 0; i < BOOT_PCRS; i++) {
      pcrs.put(i, imagePcr(i));
    }
    if (debug) {
      for (int i : DEBUG_ZEROED) {
        pcrs.put(i, new byte[PCR_LENGTH]);
      }
    }
    return pcrs;
  }

  /**
   * The value PCR {@code index} (0..15) has outside debug mode: what nitro-cli reports as the
   * enclave's measurement even for a debug enclave.
   */
  public byte[] imagePcr(int index) {
    if (index < 0 || index >= BOOT_PCRS) {
      throw new IllegalArgumentException("boot PCR index must be 0..15, got " + index);
    }
    byte[] explicit = explicitPcrs.get(index);
    if (explicit != null) {
      return explicit.clone();
    }
    if (index == 3 && iamRoleArn != null) {
      return Pcrs.parentRole(iamRoleArn);
    }
    if (index == 4) {
      return Pcrs.parentInstance(instanceId);
    }
    return new byte[PCR_LENGTH];
  }

  /** The parent instance's IAM role ARN (PCR3), if any. */
  public Optional<String> iamRoleArn() {
    return Optional.ofNullable(iamRoleArn);
  }

  /** The parent instance id (PCR4 and the start of the module id). */
  public String instanceId() {
    return instanceId;
  }

  /** The AWS region named in certificate subjects. */
  public String region() {
    return region;
  }

  /** True for an enclave started with {@code --debug-mode}. */
  public boolean debug() {
    return debug;
  }

  /** A builder holding this profile's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.pcrs.clear();
    b.pcrs.putAll(copy(explicitPcrs));
    b.iamRoleArn = iamRoleArn;
    b.instanceId = instanceId;
    b.debug = debug;
    b.region = region;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof EnclaveProfile p)) {
      return false;
    }
    if (debug != p.debug
        || !instanceId.equals(p.instanceId)
        || !region.equals(p.region)
        || !Objects.equals(iamRoleArn, p.iamRoleArn)) {
      return false;
    }
    for (int i = 0; i < BOOT_PCRS; i++) {
      if (!Arrays.equals(imagePcr(i), p.imagePcr(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Objects.hash(instanceId, region, debug, iamRoleArn);
    for (int i = 0; i < BOOT_PCRS; i++) {
      h = 31 * h + Arrays.hashCode(imagePcr(i));
    }
    return h;
  }

  @Override
  public String toString() {
    HexFormat hex = HexFormat.of();
    return "EnclaveProfile[instanceId="
        + instanceId
        + ", region="
        + region
        + ", debug="
        + debug
        + ", iamRoleArn="
        + iamRoleArn
        + ", PCR0="
        + hex.formatHex(imagePcr(0), 0, 8)
        + "...]";
  }

  private static SortedMap<Integer, byte[]> copy(Map<Integer, byte[]> pcrs) {
    TreeMap<Integer, byte[]> copy = new TreeMap<>();
    pcrs.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  private static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is unavailable", e);
    }
  }

  static byte[] defaultImagePcr(int index) {
    byte[] label = (DEFAULT_IMAGE_LABEL + index).getBytes(StandardCharsets.UTF_8);
    return extendFromZero(sha384().digest(label));
  }

  /** Builds an {@link EnclaveProfile}; starts from the default profile's values. */
  public static final class Builder {
    private final TreeMap<Integer, byte[]> pcrs = new TreeMap<>();
    private String iamRoleArn;
    private String instanceId = DEFAULT_INSTANCE_ID;
    private boolean debug;
    private String region = DEFAULT_REGION;

    private Builder() {
      for (int i = 0; i <= 2; i++) {
        pcrs.put(i, defaultImagePcr(i));
      }
    }

    /**
     * Sets the boot value of PCR {@code index} (0..15) to 48 bytes, e.g. PCR0/1/2 from an EIF or
     * PCR8 of a signed EIF; for 3 and 4 this overrides the value derived from the role or instance
     * id.
     */
    public Builder pcr(int index, byte[] value) {
      if (index < 0 || index >= BOOT_PCRS) {
        throw new IllegalArgumentException("boot PCR index must be 0..15, got " + index);
      }
      Objects.requireNonNull(value, "value");
      if (value.length != PCR_LENGTH) {
        throw new IllegalArgumentException(
            "PCR" + index + " must be 48 bytes, got " + value.length);
      }
      pcrs.put(index, value.clone());
      return this;
    }

    /** The parent instance's IAM role ARN, measured into PCR3; null for none (PCR3 zero). */
    public Builder iamRoleArn(String arn) {
      if (arn != null && arn.isBlank()) {
        throw new IllegalArgumentException("IAM role ARN must not be blank (use null for no role)");
      }
      this.iamRoleArn = arn;
      return this;
    }

    /**
     * The parent instance id, e.g. {@code i-0a22e5c5f24d22174} (1..40 of {@code [A-Za-z0-9._-]}).
     */
    public Builder instanceId(String id) {
      if (id == null || !INSTANCE_ID.matcher(id).matches()) {
        throw new IllegalArgumentException(
            "instance id must be 1..40 characters of [A-Za-z0-9._-], got " + id);
      }
      this.instanceId = id;
      return this;
    }

    /** Debug mode: PCR0/1/2/8 read as zero. */
    public Builder debug(boolean debug) {
      this.debug = debug;
      return this;
    }

    /** The AWS region, e.g. {@code eu-west-1}. */
    public Builder region(String region) {
      this.region = AwsRegion.of(region).name();
      return this;
    }

    /** The immutable profile. */
    public EnclaveProfile build() {
      return new EnclaveProfile(this);
    }
  }
}
