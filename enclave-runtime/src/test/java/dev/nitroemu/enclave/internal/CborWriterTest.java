package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CborWriterTest {
  private static final HexFormat HEX = HexFormat.of();

  private static String hex(CborWriter w) {
    return HEX.formatHex(w.toByteArray());
  }

  /** Expected values are RFC 8949 Appendix A plus every head-width boundary. */
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "0, 00",
    "1, 01",
    "10, 0a",
    "23, 17",
    "24, 1818",
    "25, 1819",
    "100, 1864",
    "255, 18ff",
    "256, 190100",
    "1000, 1903e8",
    "65535, 19ffff",
    "65536, 1a00010000",
    "1000000, 1a000f4240",
    "4294967295, 1affffffff",
    "4294967296, 1b0000000100000000",
    "1000000000000, 1b000000e8d4a51000",
    "9223372036854775807, 1b7fffffffffffffff",
    "-1, 20",
    "-10, 29",
    "-24, 37",
    "-25, 3818",
    "-100, 3863",
    "-256, 38ff",
    "-257, 390100",
    "-1000, 3903e7",
    "-65536, 39ffff",
    "-65537, 3a00010000",
    "-4294967296, 3affffffff",
    "-4294967297, 3b0000000100000000",
    "-9223372036854775808, 3b7fffffffffffffff"
  })
  void integersUseTheShortestHead(long value, String expected) throws Exception {
    byte[] encoded = new CborWriter().integer(value).toByteArray();

    assertThat(HEX.formatHex(encoded)).isEqualTo(expected);
    JsonNode decoded = Cbor.read(encoded);
    assertThat(decoded.isIntegralNumber()).isTrue();
    assertThat(decoded.longValue()).isEqualTo(value);
  }

  @ParameterizedTest(name = "length {0} -> head {1}")
  @CsvSource({
    "0, 40",
    "23, 57",
    "24, 5818",
    "255, 58ff",
    "256, 590100",
    "65535, 59ffff",
    "65536, 5a00010000"
  })
  void byteStringLengthsUseTheShortestHead(int length, String expectedHead) throws Exception {
    byte[] content = new byte[length];
    Arrays.fill(content, (byte) 0x5A);

    byte[] encoded = new CborWriter().bytes(content).toByteArray();

    int headLength = expectedHead.length() / 2;
    assertThat(HEX.formatHex(encoded, 0, headLength)).isEqualTo(expectedHead);
    assertThat(encoded).hasSize(headLength + length);
    assertThat(Arrays.copyOfRange(encoded, headLength, encoded.length)).isEqualTo(content);
    assertThat(Cbor.read(encoded).binaryValue()).isEqualTo(content);
  }

  @ParameterizedTest(name = "length {0} -> head {1}")
  @CsvSource({
    "0, 60",
    "23, 77",
    "24, 7818",
    "255, 78ff",
    "256, 790100",
    "65535, 79ffff",
    "65536, 7a00010000"
  })
  void textLengthsUseTheShortestHead(int length, String expectedHead) throws Exception {
    String text = "t".repeat(length);

    byte[] encoded = new CborWriter().text(text).toByteArray();

    int headLength = expectedHead.length() / 2;
    assertThat(HEX.formatHex(encoded, 0, headLength)).isEqualTo(expectedHead);
    assertThat(encoded).hasSize(headLength + length);
    assertThat(Cbor.read(encoded).textValue()).isEqualTo(text);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "a, 6161",
    "IETF, 6449455446",
    "\u00fc, 62c3bc",
    "\u6c34, 63e6b0b4",
    "\ud800\udd51, 64f0908591"
  })
  void textLengthCountsUtf8BytesNotChars(String text, String expected) {
    assertThat(hex(new CborWriter().text(text))).isEqualTo(expected);
  }

  @Test
  void textOfTwelveTwoByteCharsNeedsAOneByteLengthHead() {
    // 12 chars but 24 UTF-8 bytes: crosses the 23/24 boundary only if bytes are counted.
    assertThat(hex(new CborWriter().text("\u00fc".repeat(12)))).startsWith("7818c3bc");
  }

  @ParameterizedTest(name = "size {0}")
  @CsvSource({
    "0, 80, a0",
    "23, 97, b7",
    "24, 9818, b818",
    "255, 98ff, b8ff",
    "256, 990100, b90100",
    "65535, 99ffff, b9ffff",
    "65536, 9a00010000, ba00010000",
    "2147483647, 9a7fffffff, ba7fffffff"
  })
  void arrayAndMapHeadsUseTheShortestForm(int size, String arrayHead, String mapHead) {
    assertThat(hex(new CborWriter().array(size))).isEqualTo(arrayHead);
    assertThat(hex(new CborWriter().map(size))).isEqualTo(mapHead);
  }

  @Test
  void simpleValuesHaveTheirFixedBytes() {
    assertThat(hex(new CborWriter().bool(false).bool(true).nul())).isEqualTo("f4f5f6");
  }

  @Test
  void nullByteStringIsWrittenAsCborNull() {
    assertThat(hex(new CborWriter().bytes(null))).isEqualTo("f6");
  }

  @Test
  void indefiniteMapIsFramedByBfAndFfAndReadsBackAsAMap() throws Exception {
    byte[] encoded =
        new CborWriter()
            .indefiniteMap()
            .text("a")
            .integer(1)
            .text("b")
            .array(2)
            .integer(2)
            .integer(3)
            .endIndefinite()
            .toByteArray();

    // RFC 8949 Appendix A: {_ "a": 1, "b": [2, 3]} = bf61610161628202 03ff
    assertThat(HEX.formatHex(encoded)).isEqualTo("bf61610161628202" + "03ff");
    JsonNode decoded = Cbor.read(encoded);
    assertThat(decoded.get("a").intValue()).isEqualTo(1);
    assertThat(decoded.get("b").get(1).intValue()).isEqualTo(3);
  }

  @Test
  void nestedDefiniteContainersMatchRfcExample() {
    // RFC 8949 Appendix A: {"a": 1, "b": [2, 3]} = a26161016162820203
    byte[] encoded =
        new CborWriter()
            .map(2)
            .text("a")
            .integer(1)
            .text("b")
            .array(2)
            .integer(2)
            .integer(3)
            .toByteArray();

    assertThat(HEX.formatHex(encoded)).isEqualTo("a26161016162820203");
  }

  @Test
  void rawAppendsBytesVerbatim() {
    byte[] encoded = new CborWriter().array(2).raw(HEX.parseHex("1903e8")).integer(1).toByteArray();

    assertThat(HEX.formatHex(encoded)).isEqualTo("821903e801");
  }

  @Test
  void initialCapacityDoesNotLimitOutput() {
    byte[] content = new byte[1000];

    byte[] encoded = new CborWriter(1).bytes(content).toByteArray();

    assertThat(encoded).hasSize(1003);
  }
}
