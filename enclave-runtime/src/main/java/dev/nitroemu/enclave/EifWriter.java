package dev.nitroemu.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.internal.EifScanner;
import dev.nitroemu.enclave.internal.EifSignatures;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * Writes EIF files in the layout AWS's {@code EifBuilder} (and so {@code nitro-cli build-enclave}
 * and {@code eif_build}) writes: header, kernel, cmdline, metadata, ramdisks, and a signature
 * section when a signing key is given. The same inputs and build time give the same bytes (a signed
 * file differs only in its randomized ECDSA signature); {@link EifFile} and AWS's reader measure
 * the same PCRs.
 */
public final class EifWriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CHUNK = 1 << 20;

  private final Builder b;

  private EifWriter(Builder b) {
    this.b = b;
  }

  /** A builder; kernel, cmdline and at least one ramdisk are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Writes the image to {@code output}, replacing it with {@link AtomicFiles} (mode 644, never
   * through a symbolic link, so a crash leaves the old image or the new one), and returns it, read
   * back and measured.
   */
  public EifFile write(Path output) throws IOException {
    byte[] cmdline = b.cmdline.getBytes(StandardCharsets.UTF_8);
    byte[] metadata = metadataJson();
    byte[] signature = b.signingKey == null ? null : signatureSection(cmdline);
    List<long[]> sections = new ArrayList<>();
    sections.add(new long[] {1, Files.size(b.kernel)});
    sections.add(new long[] {2, cmdline.length});
    sections.add(new long[] {5, metadata.length});
    for (Path ramdisk : b.ramdisks) {
      sections.add(new long[] {3, Files.size(ramdisk)});
    }
    if (signature != null) {
      sections.add(new long[] {4, signature.length});
    }
    ByteBuffer header = ByteBuffer.allocate(EifScanner.HEADER_SIZE);
    header
        .put(new byte[] {'.', 'e', 'i', 'f'})
        .putShort((short) 4)
        .putShort((short) (b.architecture == EifFile.Architecture.AARCH64 ? 1 : 0))
        .putLong(b.defaultMemoryMib << 20)
        .putLong(b.defaultCpus)
        .putShort((short) 0)
        .putShort((short) sections.size());
    long offset = EifScanner.HEADER_SIZE;
    for (int i = 0; i < sections.size(); i++) {
      header.putLong(28 + 8 * i, offset);
      header.putLong(284 + 8 * i, sections.get(i)[1]);
      offset += EifScanner.SECTION_HEADER_SIZE + sections.get(i)[1];
    }
    CRC32 crc = new CRC32();
    crc.update(header.array(), 0, EifScanner.CRC_OFFSET);
    AtomicFiles.write(
        output,
        AtomicFiles.WORLD_READABLE,
        out -> {
          out.position(EifScanner.HEADER_SIZE);
          int ramdisk = 0;
          for (long[] section : sections) {
            ByteBuffer sectionHeader =
                ByteBuffer.allocate(EifScanner.SECTION_HEADER_SIZE)
                    .putShort((short) section[0])
                    .putShort((short) 0)
                    .putLong(section[1]);
            write(out, sectionHeader.array(), sectionHeader.capacity(), crc);
            switch ((int) section[0]) {
              case 1 -> copy(b.kernel, out, crc);
              case 2 -> write(out, cmdline, cmdline.length, crc);
              case 5 -> write(out, metadata, metadata.length, crc);
              case 3 -> copy(b.ramdisks.get(ramdisk++), out, crc);
              default -> write(out, signature, signature.length, crc);
            }
          }
          header.putInt(EifScanner.CRC_OFFSET, (int) crc.getValue());
          header.position(0).limit(EifScanner.HEADER_SIZE);
          while (header.hasRemaining()) {
            out.write(header, header.position());
          }
        });
    return EifFile.read(output);
  }

  private static void write(FileChannel out, byte[] bytes, int length, CRC32 crc)
      throws IOException {
    crc.update(bytes, 0, length);
    ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, length);
    while (buffer.hasRemaining()) {
      out.write(buffer);
    }
  }

  private static void copy(Path input, FileChannel out, CRC32 crc) throws IOException {
    byte[] chunk = new byte[CHUNK];
    try (InputStream in = Files.newInputStream(input)) {
      for (int n; (n = in.read(chunk)) > 0; ) {
        write(out, chunk, n, crc);
      }
    }
  }

  private byte[] signatureSection(byte[] cmdline) throws IOException {
    MessageDigest pcr0 = sha384();
    digest(pcr0, b.kernel);
    pcr0.update(cmdline);
    for (Path ramdisk : b.ramdisks) {
      digest(pcr0, ramdisk);
    }
    byte[] payload = EifSignatures.pcr0Payload(Pcrs.fromDigest(pcr0.digest()));
    try {
      Signature es384 = Signature.getInstance("SHA384withECDSAinP1363Format");
      es384.initSign(b.signingKey);
      es384.update(CoseSign1.sigStructure(CoseSign1.ES384_PROTECTED, payload));
      byte[] cose = new CoseSign1(CoseSign1.ES384_PROTECTED, payload, es384.sign()).encode();
      return EifSignatures.encode(b.certificatePem, cose);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot sign with that key (a P-384 EC key is required): " + e.getMessage(), e);
    }
  }

  private static void digest(MessageDigest digest, Path input) throws IOException {
    byte[] chunk = new byte[CHUNK];
    try (InputStream in = Files.newInputStream(input)) {
      for (int n; (n = in.read(chunk)) > 0; ) {
        digest.update(chunk, 0, n);
      }
    }
  }

  private byte[] metadataJson() {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("ImageName", b.imageName);
    root.put("ImageVersion", b.imageVersion);
    ObjectNode build = root.putObject("BuildMetadata");
    build.put("BuildTime", b.buildTime);
    build.put("BuildTool", b.buildTool);
    build.put("BuildToolVersion", b.buildToolVersion);
    build.put("OperatingSystem", b.operatingSystem);
    build.put("KernelVersion", b.kernelVersion);
    root.set("DockerInfo", b.dockerInfo == null ? null : sorted(b.dockerInfo));
    root.set("CustomMetadata", b.customMetadata == null ? null : sorted(b.customMetadata));
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** serde_json's default map is a BTreeMap: object keys come out sorted. */
  private static JsonNode sorted(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        fields.put(name, sorted(node.get(name)));
      }
      ObjectNode copy = JsonNodeFactory.instance.objectNode();
      fields.forEach(copy::set);
      return copy;
    }
    if (node.isArray()) {
      var copy = JsonNodeFactory.instance.arrayNode();
      node.forEach(element -> copy.add(sorted(element)));
      return copy;
    }
    return node;
  }

  private static MessageDigest sha384() {
    return Pcrs.sha384();
  }

  /** Configures an {@link EifWriter}. */
  public static final class Builder {
    private Path kernel;
    private String cmdline;
    private final List<Path> ramdisks = new ArrayList<>();
    private EifFile.Architecture architecture = EifFile.Architecture.X86_64;
    private long defaultMemoryMib = 1024;
    private long defaultCpus = 2;
    private String imageName;
    private String imageVersion;
    private String buildTime;
    private String buildTool = "nitro-emu";
    private String buildToolVersion = "0.1.0";
    private String operatingSystem = "Linux";
    private String kernelVersion = "unknown";
    private JsonNode dockerInfo;
    private JsonNode customMetadata;
    private byte[] certificatePem;
    private PrivateKey signingKey;

    private Builder() {}

    /** The kernel image (bzImage or Image). */
    public Builder kernel(Path file) {
      this.kernel = Objects.requireNonNull(file, "file");
      return this;
    }

    /** The kernel command line, stored as given (nitro-cli trims its blob first). */
    public Builder cmdline(String cmdline) {
      this.cmdline = Objects.requireNonNull(cmdline, "cmdline");
      return this;
    }

    /**
     * Adds a ramdisk: the first is the bootstrap ramdisk (PCR1), later ones the customer's (PCR2).
     */
    public Builder ramdisk(Path file) {
      ramdisks.add(Objects.requireNonNull(file, "file"));
      return this;
    }

    /** The architecture (header flag); default x86_64. */
    public Builder architecture(EifFile.Architecture architecture) {
      this.architecture = Objects.requireNonNull(architecture, "architecture");
      return this;
    }

    /**
     * {@code ImageName} and, unless set, {@code ImageVersion} (eif_build copies the name into
     * both).
     */
    public Builder imageName(String name) {
      this.imageName = Objects.requireNonNull(name, "name");
      return this;
    }

    /** {@code ImageVersion}. */
    public Builder imageVersion(String version) {
      this.imageVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /** {@code BuildTime}, e.g. {@code 2025-01-01T00:00:00+00:00}; fix it for reproducible files. */
    public Builder buildTime(String time) {
      this.buildTime = Objects.requireNonNull(time, "time");
      return this;
    }

    /** {@code BuildTool} and {@code BuildToolVersion} (default nitro-emu). */
    public Builder buildTool(String tool, String version) {
      this.buildTool = Objects.requireNonNull(tool, "tool");
      this.buildToolVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /** {@code OperatingSystem} and {@code KernelVersion} of the metadata. */
    public Builder system(String operatingSystem, String kernelVersion) {
      this.operatingSystem = Objects.requireNonNull(operatingSystem, "operatingSystem");
      this.kernelVersion = Objects.requireNonNull(kernelVersion, "kernelVersion");
      return this;
    }

    /** {@code CustomMetadata} (a JSON object), or null for none. */
    public Builder customMetadata(JsonNode custom) {
      if (custom != null && !custom.isObject()) {
        throw new IllegalArgumentException("custom metadata must be a JSON object");
      }
      this.customMetadata = custom;
      return this;
    }

    /** Signs PCR0 with a P-384 key; the PEM certificate goes into the image and gives PCR8. */
    public Builder signing(byte[] certificatePem, PrivateKey key) {
      this.certificatePem = Objects.requireNonNull(certificatePem, "certificatePem").clone();
      this.signingKey = Objects.requireNonNull(key, "key");
      return this;
    }

    /**
     * Checks the inputs.
     *
     * @throws IllegalStateException if the kernel, cmdline or every ramdisk is missing
     */
    public EifWriter build() {
      if (kernel == null || cmdline == null || ramdisks.isEmpty()) {
        throw new IllegalStateException(
            "an EIF needs a kernel, a cmdline and at least one ramdisk");
      }
      if (ramdisks.size() > EifScanner.MAX_SECTIONS - 4) {
        throw new IllegalStateException(
            "at most " + (EifScanner.MAX_SECTIONS - 4) + " ramdisks fit in an EIF");
      }
      imageName = imageName != null ? imageName : "nitro-emu-image";
      imageVersion = imageVersion != null ? imageVersion : imageName;
      buildTime =
          buildTime != null
              ? buildTime
              : DateTimeFormatter.ISO_OFFSET_DATE_TIME
                  .format(Instant.now().atOffset(ZoneOffset.UTC).withNano(0))
                  .replace("Z", "+00:00");
      return new EifWriter(this);
    }
  }
}
