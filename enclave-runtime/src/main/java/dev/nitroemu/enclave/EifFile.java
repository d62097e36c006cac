package dev.nitroemu.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.EifException.Reason;
import dev.nitroemu.enclave.internal.EifScanner;
import dev.nitroemu.enclave.internal.EifSignatures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An AWS Nitro Enclaves image file (EIF) read as AWS's {@code EifReader} reads it: header, section
 * table, CRC-32, the image PCRs 0/1/2, and for a signed image PCR8 and the check of its COSE_Sign1
 * signature over PCR0.
 *
 * <p>{@link #read(Path)} makes one bounded pass: memory does not grow with the file, every size is
 * checked against the file's length before use, and a malformed file gives an {@link EifException}
 * with a one-line message. A CRC or signature mismatch is reported ({@link #crcOk()}, {@link
 * #signatureValid()}) rather than thrown; {@link #requireIntact()} turns either into an exception.
 */
public final class EifFile {

  /** The section types of the format. */
  public enum SectionType {
    KERNEL,
    CMDLINE,
    RAMDISK,
    SIGNATURE,
    METADATA
  }

  /** The CPU architecture the image boots on (header flag bit 0). */
  public enum Architecture {
    X86_64("x86_64"),
    AARCH64("aarch64");

    private final String label;

    Architecture(String label) {
      this.label = label;
    }

    /** The name nitro-cli uses, {@code x86_64} or {@code aarch64}. */
    public String label() {
      return label;
    }
  }

  /** One section: its type, where its 12-byte header starts, and its payload size. */
  public record Section(SectionType type, long offset, long size) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final EifScanner.Scan scan;
  private final List<Section> sections;
  private final JsonNode metadata;
  private final X509Certificate signingCertificate;
  private final boolean signatureValid;

  private EifFile(
      EifScanner.Scan scan,
      List<Section> sections,
      JsonNode metadata,
      X509Certificate certificate,
      boolean signatureValid) {
    this.scan = scan;
    this.sections = sections;
    this.metadata = metadata;
    this.signingCertificate = certificate;
    this.signatureValid = signatureValid;
  }

  /**
   * Reads and measures an EIF (a symlink is not followed).
   *
   * @throws EifException if the file is not a well-formed EIF
   * @throws IOException if it cannot be read
   */
  public static EifFile read(Path path) throws IOException {
    try (FileChannel channel =
        FileChannel.open(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      EifScanner.Scan scan = EifScanner.scan(channel, channel.size());
      List<Section> sections = sectionsOf(channel, scan);
      // Unreadable metadata is an error only in an intact file; in a damaged one the CRC says more.
      JsonNode metadata = scan.metadata() == null ? null : parseMetadata(scan.metadata(), scan);
      if (scan.signature() == null) {
        return new EifFile(scan, sections, metadata, null, false);
      }
      EifSignatures.Entry entry = EifSignatures.decode(scan.signature());
      X509Certificate certificate = certificate(entry.certificatePem());
      byte[] pcr0 = Pcrs.fromDigest(scan.pcr0Digest());
      boolean valid = verifies(entry.coseSign1(), certificate, pcr0);
      return new EifFile(scan, sections, metadata, certificate, valid);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(path.toString(), null, "no such file");
    }
  }

  private static List<Section> sectionsOf(FileChannel channel, EifScanner.Scan scan)
      throws IOException {
    List<Section> sections = new ArrayList<>();
    java.nio.ByteBuffer type = java.nio.ByteBuffer.allocate(2);
    for (long[] entry : scan.sections()) {
      type.clear();
      channel.read(type, entry[0]);
      type.flip();
      sections.add(new Section(SectionType.values()[type.getShort() - 1], entry[0], entry[1]));
    }
    return Collections.unmodifiableList(sections);
  }

  private static JsonNode parseMetadata(byte[] bytes, EifScanner.Scan scan) throws EifException {
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      if (scan.storedCrc() != scan.computedCrc()) {
        return null;
      }
      throw new EifException(Reason.BAD_METADATA, "the metadata section is not JSON");
    }
  }

  private static X509Certificate certificate(byte[] pem) throws EifException {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(pem));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new EifException(
          Reason.BAD_SIGNATURE,
          "bad signature: the signing certificate is not a PEM X.509 certificate");
    }
  }

  private static boolean verifies(byte[] coseBytes, X509Certificate certificate, byte[] pcr0)
      throws EifException {
    CoseSign1 cose;
    try {
      cose = CoseSign1.decode(coseBytes);
    } catch (AttestationException e) {
      throw new EifException(Reason.BAD_SIGNATURE, "bad signature: " + e.getMessage());
    }
    try {
      Signature es384 = Signature.getInstance("SHA384withECDSAinP1363Format");
      es384.initVerify(certificate.getPublicKey());
      es384.update(cose.sigStructure());
      return es384.verify(cose.signature())
          && Arrays.equals(cose.payload(), EifSignatures.pcr0Payload(pcr0));
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The header's format version (AWS's builder writes 4). */
  public int version() {
    return scan.version();
  }

  /** The architecture from the header flags. */
  public Architecture architecture() {
    return (scan.flags() & 1) != 0 ? Architecture.AARCH64 : Architecture.X86_64;
  }

  /** The header's default enclave memory in MiB (AWS's builder writes 1024). */
  public long defaultMemoryMib() {
    return scan.defaultMemory() >>> 20;
  }

  /** The header's default vCPU count (AWS's builder writes 2). */
  public long defaultCpus() {
    return scan.defaultCpus();
  }

  /** The sections in file order. */
  public List<Section> sections() {
    return sections;
  }

  /** The CRC-32 stored in the header. */
  public long storedCrc() {
    return scan.storedCrc();
  }

  /** The CRC-32 of the file as read (every byte but the stored CRC). */
  public long computedCrc() {
    return scan.computedCrc();
  }

  /** Whether the stored CRC matches the file. */
  public boolean crcOk() {
    return scan.storedCrc() == scan.computedCrc();
  }

  /** PCR0 (kernel, cmdline and every ramdisk). */
  public byte[] pcr0() {
    return Pcrs.fromDigest(scan.pcr0Digest());
  }

  /** PCR1 (kernel, cmdline and the first, bootstrap ramdisk). */
  public byte[] pcr1() {
    return Pcrs.fromDigest(scan.pcr1Digest());
  }

  /**
   * PCR2 (the remaining, customer ramdisks; the extend of SHA-384 of nothing when there are none).
   */
  public byte[] pcr2() {
    return Pcrs.fromDigest(scan.pcr2Digest());
  }

  /** Whether the image carries a signature section. */
  public boolean isSigned() {
    return signingCertificate != null;
  }

  /** PCR8 (the signing certificate), present only when signed. */
  public Optional<byte[]> pcr8() {
    return isSigned() ? Optional.of(Pcrs.signingCertificate(signingCertificate)) : Optional.empty();
  }

  /** The PCRs this image makes the NSM report: 0, 1, 2, and 8 when signed. */
  public SortedMap<Integer, byte[]> measurements() {
    SortedMap<Integer, byte[]> pcrs = new TreeMap<>();
    pcrs.put(0, pcr0());
    pcrs.put(1, pcr1());
    pcrs.put(2, pcr2());
    pcr8().ifPresent(pcr8 -> pcrs.put(8, pcr8));
    return pcrs;
  }

  /** The signing certificate of a signed image. */
  public Optional<X509Certificate> signingCertificate() {
    return Optional.ofNullable(signingCertificate);
  }

  /**
   * Whether the signature verifies with the certificate's key over this file's PCR0 (false when
   * unsigned).
   */
  public boolean signatureValid() {
    return signatureValid;
  }

  /** The metadata section's JSON (absent before version 4). */
  public Optional<JsonNode> metadata() {
    return Optional.ofNullable(metadata).map(JsonNode::deepCopy);
  }

  /** {@code ImageName} from the metadata. */
  public Optional<String> imageName() {
    return text("ImageName");
  }

  /** {@code ImageVersion} from the metadata. */
  public Optional<String> imageVersion() {
    return text("ImageVersion");
  }

  private Optional<String> text(String field) {
    JsonNode value = metadata == null ? null : metadata.get(field);
    return value != null && value.isTextual() ? Optional.of(value.asText()) : Optional.empty();
  }

  /**
   * Checks what {@link #read} only reports.
   *
   * @throws EifException {@link Reason#BAD_CRC} or {@link Reason#BAD_SIGNATURE}
   */
  public EifFile requireIntact() throws EifException {
    if (!crcOk()) {
      throw new EifException(
          Reason.BAD_CRC,
          String.format(
              "bad CRC: the header says %08x, the file's is %08x", storedCrc(), computedCrc()));
    }
    if (isSigned() && !signatureValid) {
      throw new EifException(
          Reason.BAD_SIGNATURE,
          "bad signature: the signature does not verify over this image's PCR0");
    }
    return this;
  }
}
