package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * EifFile against the EIFs AWS's own image-format crate built, and against corrupted copies of
 * them.
 */
class EifFileTest {
  private static final HexFormat HEX = HexFormat.of();

  @TempDir Path temp;

  static Path vectors() {
    return Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"), "eif");
  }

  static Stream<JsonNode> vectorEntries() throws IOException {
    JsonNode root = new ObjectMapper().readTree(vectors().resolve("vectors.json").toFile());
    List<JsonNode> entries = new ArrayList<>();
    root.get("vectors").forEach(entries::add);
    return entries.stream();
  }

  @ParameterizedTest
  @MethodSource("vectorEntries")
  void everyAwsBuiltVectorReadsWithTheCratesValues(JsonNode vector) throws IOException {
    EifFile eif = EifFile.read(vectors().resolve(vector.get("file").asText()));
    JsonNode header = vector.get("header");

    assertThat(eif.version()).isEqualTo(header.get("version").asInt());
    assertThat(eif.architecture())
        .isEqualTo(
            header.get("flags").asInt() == 1
                ? EifFile.Architecture.AARCH64
                : EifFile.Architecture.X86_64);
    assertThat(eif.defaultMemoryMib() << 20).isEqualTo(header.get("default_mem").asLong());
    assertThat(eif.defaultCpus()).isEqualTo(header.get("default_cpus").asLong());
    assertThat(eif.sections()).hasSize(header.get("num_sections").asInt());
    for (int i = 0; i < eif.sections().size(); i++) {
      JsonNode expected = vector.get("sections").get(i);
      EifFile.Section section = eif.sections().get(i);
      assertThat(section.type().name().toLowerCase()).isEqualTo(expected.get("type_name").asText());
      assertThat(section.offset()).isEqualTo(expected.get("offset").asLong());
      assertThat(section.size()).isEqualTo(expected.get("size").asLong());
    }
    assertThat(String.format("%08x", eif.storedCrc())).isEqualTo(header.get("eif_crc32").asText());
    assertThat(String.format("%08x", eif.computedCrc()))
        .isEqualTo(vector.get("crc32_computed").asText());
    assertThat(eif.crcOk()).isEqualTo(vector.get("crc_ok").asBoolean());

    JsonNode pcrs = vector.get("pcrs");
    assertThat(HEX.formatHex(eif.pcr0())).isEqualTo(pcrs.get("PCR0").asText());
    assertThat(HEX.formatHex(eif.pcr1())).isEqualTo(pcrs.get("PCR1").asText());
    assertThat(HEX.formatHex(eif.pcr2())).isEqualTo(pcrs.get("PCR2").asText());
    assertThat(eif.isSigned()).isEqualTo(pcrs.has("PCR8"));
    assertThat(eif.pcr8().map(HEX::formatHex))
        .isEqualTo(
            pcrs.has("PCR8")
                ? java.util.Optional.of(pcrs.get("PCR8").asText())
                : java.util.Optional.empty());
    assertThat(eif.signatureValid()).isEqualTo(pcrs.has("PCR8"));
    assertThat(eif.measurements().keySet())
        .containsExactlyElementsOf(pcrs.has("PCR8") ? List.of(0, 1, 2, 8) : List.of(0, 1, 2));
    assertThat(eif.metadata()).contains(vector.get("metadata_section_json"));
    assertThat(eif.imageName())
        .contains(vector.get("metadata_section_json").get("ImageName").asText());
  }

  @Test
  void theSignedVectorCarriesTheTestCertificateAndPcr8() throws IOException {
    EifFile eif = EifFile.read(vectors().resolve("v4-x86_64-2ramdisks-signed.eif")).requireIntact();

    assertThat(eif.signingCertificate()).isPresent();
    assertThat(eif.signingCertificate().get().getSubjectX500Principal().getName()).isNotEmpty();
    assertThat(eif.pcr8().get()).isEqualTo(Pcrs.signingCertificate(eif.signingCertificate().get()));
  }

  @Test
  void theCorruptedVectorFailsItsCrcCheckInOneLine() throws IOException {
    EifFile eif = EifFile.read(vectors().resolve("v7-x86_64-2ramdisks-corrupted.eif"));

    assertThatThrownBy(eif::requireIntact)
        .isInstanceOfSatisfying(
            EifException.class, e -> assertThat(e.reason()).isEqualTo(EifException.Reason.BAD_CRC))
        .hasMessageStartingWith("bad CRC")
        .hasMessageNotContaining("\n");
  }

  @Test
  void everyFlippedByteChangesTheCrcCheckAndMeasuredBytesChangeThePcrs() throws IOException {
    Path source = vectors().resolve("v2-x86_64-2ramdisks.eif");
    byte[] original = Files.readAllBytes(source);
    EifFile reference = EifFile.read(source);
    for (EifFile.Section section : reference.sections()) {
      for (long at :
          new long[] {
            section.offset() + 12,
            section.offset() + 12 + section.size() / 2,
            section.offset() + 11 + section.size()
          }) {
        byte[] copy = original.clone();
        copy[(int) at] ^= 0x01;
        EifFile changed = EifFile.read(write(copy));
        assertThat(changed.crcOk())
            .as("CRC after flipping byte %d of %s", at, section.type())
            .isFalse();
        boolean measured =
            section.type() != EifFile.SectionType.METADATA
                && section.type() != EifFile.SectionType.SIGNATURE;
        assertThat(java.util.Arrays.equals(changed.pcr0(), reference.pcr0())).isEqualTo(!measured);
      }
    }
  }

  @Test
  void aSignatureOverAnotherPcr0FailsTheCheck() throws IOException {
    Path source = vectors().resolve("v4-x86_64-2ramdisks-signed.eif");
    byte[] copy = Files.readAllBytes(source);
    EifFile reference = EifFile.read(source);
    EifFile.Section customer = reference.sections().get(4);
    copy[(int) customer.offset() + 12] ^= 0x40;

    EifFile changed = EifFile.read(write(copy));

    assertThat(changed.isSigned()).isTrue();
    assertThat(changed.signatureValid()).isFalse();
    assertThat(changed.pcr8()).isPresent();
  }

  @Test
  void hostileHeadersGiveOneLineErrorsWithoutLargeAllocations() throws IOException {
    byte[] v2 = Files.readAllBytes(vectors().resolve("v2-x86_64-2ramdisks.eif"));
    assertRefused(new byte[0], EifException.Reason.NOT_AN_EIF);
    assertRefused("hello world".getBytes(), EifException.Reason.NOT_AN_EIF);
    assertRefused(java.util.Arrays.copyOf(v2, 300), EifException.Reason.TRUNCATED);
    assertRefused(java.util.Arrays.copyOf(v2, v2.length - 1), EifException.Reason.TRUNCATED);
    assertRefused(withShort(v2, 26, 33), EifException.Reason.BAD_SECTION_TABLE);
    assertRefused(withShort(v2, 26, 0), EifException.Reason.BAD_SECTION_TABLE);
    assertRefused(withShort(v2, 4, 9), EifException.Reason.UNSUPPORTED_VERSION);
    assertRefused(withLong(v2, 284, 0xFFFF_FFFF_FFFF_FFF0L), EifException.Reason.BAD_SECTION_TABLE);
    assertRefused(
        withLong(v2, 284 + 8 * 4, Long.MAX_VALUE - 3), EifException.Reason.BAD_SECTION_TABLE);
    assertRefused(withLong(v2, 284 + 8 * 4, 16411 + 100), EifException.Reason.TRUNCATED);
    assertRefused(withLong(v2, 284, 1L << 40), EifException.Reason.TRUNCATED);
    assertRefused(withLong(v2, 28 + 8 * 1, 1L << 40), EifException.Reason.BAD_SECTION_TABLE);
    assertRefused(withLong(v2, 28 + 8 * 9, 548), EifException.Reason.BAD_SECTION_TABLE);
    byte[] longer = java.util.Arrays.copyOf(v2, v2.length + 7);
    assertRefused(longer, EifException.Reason.BAD_SECTION_TABLE);
    byte[] badType = v2.clone();
    badType[548 + 1] = 9;
    assertRefused(badType, EifException.Reason.BAD_SECTION);
    byte[] swapped = v2.clone();
    swapped[548 + 1] = 3;
    assertRefused(swapped, EifException.Reason.BAD_LAYOUT);
  }

  private void assertRefused(byte[] bytes, EifException.Reason reason) throws IOException {
    Path file = write(bytes);
    assertThatThrownBy(() -> EifFile.read(file))
        .isInstanceOfSatisfying(EifException.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageNotContaining("\n");
  }

  private static byte[] withShort(byte[] bytes, int at, int value) {
    byte[] copy = bytes.clone();
    ByteBuffer.wrap(copy).putShort(at, (short) value);
    return copy;
  }

  private static byte[] withLong(byte[] bytes, int at, long value) {
    byte[] copy = bytes.clone();
    ByteBuffer.wrap(copy).putLong(at, value);
    return copy;
  }

  private Path write(byte[] bytes) throws IOException {
    return Files.write(Files.createTempFile(temp, "eif", ".eif"), bytes);
  }
}
