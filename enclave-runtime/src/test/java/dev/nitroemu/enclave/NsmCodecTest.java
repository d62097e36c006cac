package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.internal.CborWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NsmCodecTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] DATA = {1, 2, 3};

  private static CborWriter op(String name) {
    return new CborWriter().map(1).text(name);
  }

  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
      byte[] request, ErrorCode code) {
    return assertThatThrownBy(() -> NsmCodec.decodeRequest(request))
        .isInstanceOf(NsmException.class)
        .satisfies(e -> assertThat(((NsmException) e).code()).isEqualTo(code));
  }

  /** ExtendPCR{index, data} whose encoding is exactly {@code total} bytes. */
  private static byte[] extendRequestOfSize(int total) {
    // a1 69"ExtendPCR" a2 65"index" 01 64"data" 59 LLLL <data>: 27 bytes of framing.
    byte[] request = NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(1, new byte[total - 27]));
    assertThat(request).hasSize(total);
    return request;
  }

  @Nested
  class Encoding {
    @Test
    void indexUsesTheShortestHeadAtEveryWidth() {
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(23))))
          .endsWith("696e64657817");
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(24))))
          .endsWith("696e6465781818");
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(256))))
          .endsWith("696e646578190100");
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.LockPcrs(65535))))
          .endsWith("72616e676519ffff");
    }

    @Test
    void emptyDataIsAnEmptyByteStringNotNull() {
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(0, new byte[0]))))
          .isEqualTo("a169457874656e64504352a265696e646578006464617461" + "40");
    }

    @Test
    void getRandomResponseStartsWithThePrefixTheLinuxHwrngInsistsOn() {
      byte[] encoded = NsmCodec.encodeResponse(new NsmResponse.GetRandom(new byte[256]));

      // drivers/misc/nsm.c: A1 69 "GetRandom" A1 66 "random" then a byte string (59 0100 for 256
      // bytes).
      assertThat(HEX.formatHex(encoded))
          .startsWith("a1" + "69" + hexOf("GetRandom") + "a1" + "66" + hexOf("random") + "590100");
      assertThat(encoded).hasSize(1 + 10 + 1 + 7 + 3 + 256);
    }

    @Test
    void describeNsmListsLockedPcrsAscending() {
      NsmDescription d =
          new NsmDescription(1, 0, 0, "i-x", 32, new TreeSet<>(List.of(15, 3, 0)), Digest.SHA384);

      assertThat(HEX.formatHex(NsmCodec.encodeResponse(new NsmResponse.DescribeNsm(d))))
          .contains(hexOf("locked_pcrs") + "8300030f");
    }
  }

  @Nested
  class LenientDecoding {
    @Test
    void goClientNullByteSlicesDecodeAsAbsentAttestationFields() {
      // hf/nsm: nil []byte fields marshal as null.
      byte[] request =
          op("Attestation")
              .map(3)
              .text("user_data")
              .nul()
              .text("nonce")
              .bytes(DATA)
              .text("public_key")
              .nul()
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(null, DATA, null));
    }

    @Test
    void pythonCbor2NoneValuesDecodeAsNull() {
      // aws-nsm-interface: {'Attestation': {'user_data': b'..', 'nonce': None, 'public_key': None}}
      byte[] request =
          op("Attestation")
              .map(3)
              .text("user_data")
              .bytes(DATA)
              .text("nonce")
              .nul()
              .text("public_key")
              .nul()
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(DATA, null, null));
    }

    @Test
    void attestationKeysInAnotherOrderDecodeTheSame() {
      byte[] request =
          op("Attestation")
              .map(3)
              .text("nonce")
              .bytes(new byte[] {9})
              .text("public_key")
              .bytes(new byte[] {7})
              .text("user_data")
              .bytes(DATA)
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(DATA, new byte[] {9}, new byte[] {7}));
    }

    @Test
    void extendPcrFieldsInAnotherOrderDecodeTheSame() {
      byte[] request =
          op("ExtendPCR").map(2).text("data").bytes(DATA).text("index").integer(17).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.ExtendPcr(17, DATA));
    }

    @Test
    void qemuStyleTextDataIsTakenAsUtf8Bytes() {
      byte[] request =
          op("ExtendPCR").map(2).text("index").integer(16).text("data").text("abc").toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.ExtendPcr(16, "abc".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void qemuStyleTextAttestationFieldsAreTakenAsUtf8Bytes() {
      byte[] request =
          op("Attestation")
              .map(2)
              .text("user_data")
              .text("hello")
              .text("nonce")
              .text("n")
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(
              new NsmRequest.Attestation(
                  "hello".getBytes(StandardCharsets.UTF_8), new byte[] {'n'}, null));
    }

    @Test
    void missingAttestationKeysCountAsNull() {
      byte[] request = op("Attestation").map(1).text("public_key").bytes(DATA).toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(null, null, DATA));
    }

    @Test
    void emptyAttestationMapIsAnAttestationWithNoFields() {
      assertThat(NsmCodec.decodeRequest(op("Attestation").map(0).toByteArray()))
          .isEqualTo(new NsmRequest.Attestation(null, null, null));
    }

    @Test
    void unknownFieldsAreIgnoredAsSerdeDoes() {
      byte[] request =
          op("DescribePCR").map(2).text("index").integer(3).text("extra").bytes(DATA).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.DescribePcr(3));
    }

    @Test
    void nonShortestIntegerHeadsAreAccepted() {
      byte[] request =
          op("DescribePCR").map(1).text("index").raw(HEX.parseHex("1a00000003")).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.DescribePcr(3));
    }

    @Test
    void largestU16IndexDecodes() {
      byte[] request = op("LockPCR").map(1).text("index").integer(65535).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.LockPcr(65535));
    }

    @Test
    void requestOfExactly4096BytesIsAccepted() {
      NsmRequest decoded = NsmCodec.decodeRequest(extendRequestOfSize(4096));

      assertThat(decoded).isEqualTo(new NsmRequest.ExtendPcr(1, new byte[4096 - 27]));
    }

    @Test
    void describeNsmResponseInQemuKeyOrderDecodes() {
      // QEMU emits digest, max_pcrs, module_id, locked_pcrs, version_major/minor/patch.
      byte[] response =
          op("DescribeNSM")
              .map(7)
              .text("digest")
              .text("SHA384")
              .text("max_pcrs")
              .integer(32)
              .text("module_id")
              .text("i-abc")
              .text("locked_pcrs")
              .array(2)
              .integer(0)
              .integer(1)
              .text("version_major")
              .integer(1)
              .text("version_minor")
              .integer(2)
              .text("version_patch")
              .integer(3)
              .toByteArray();

      NsmDescription expected =
          new NsmDescription(1, 2, 3, "i-abc", 32, new TreeSet<>(List.of(0, 1)), Digest.SHA384);
      assertThat(NsmCodec.decodeResponse(response))
          .isEqualTo(new NsmResponse.DescribeNsm(expected));
    }
  }

  @Nested
  class RejectedRequests {
    @Test
    void emptyInputIsAnInvalidOperation() {
      assertRejected(new byte[0], ErrorCode.INVALID_OPERATION);
    }

    @Test
    void nullInputIsAnInvalidOperation() {
      assertRejected(null, ErrorCode.INVALID_OPERATION);
    }

    @Test
    void requestOver4096BytesIsInputTooLarge() {
      assertRejected(extendRequestOfSize(4097), ErrorCode.INPUT_TOO_LARGE);
    }

    @Test
    void oversizeGarbageIsInputTooLargeNotInvalidOperation() {
      byte[] garbage = new byte[5000];
      Arrays.fill(garbage, (byte) 0xFF);

      assertRejected(garbage, ErrorCode.INPUT_TOO_LARGE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ff", "1c", "5f", "a1", "7f41", "6b44657363726962654e53", "c0"})
    void nonCborOrTruncatedCborIsAnInvalidOperation(String hex) {
      assertRejected(HEX.parseHex(hex), ErrorCode.INVALID_OPERATION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"00", "f6", "ff", "18", "6947657452616e646f6d"})
    void trailingBytesAfterAValidRequestAreAnInvalidOperation(String trailer) {
      byte[] valid = NsmCodec.encodeRequest(new NsmRequest.DescribeNsm());
      byte[] request = new CborWriter().raw(valid).raw(HEX.parseHex(trailer)).toByteArray();

      assertRejected(request, ErrorCode.INVALID_OPERATION);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Error", "GetRandomBytes", "describepcr", ""})
    void unknownOperationIsAnInvalidOperation(String name) {
      assertRejected(new CborWriter().text(name).toByteArray(), ErrorCode.INVALID_OPERATION);
      assertRejected(
          op(name).map(1).text("index").integer(1).toByteArray(), ErrorCode.INVALID_OPERATION);
    }

    @Test
    void twoEntryRootMapIsAnInvalidOperation() {
      byte[] request =
          new CborWriter()
              .map(2)
              .text("DescribePCR")
              .map(1)
              .text("index")
              .integer(1)
              .text("LockPCR")
              .map(1)
              .text("index")
              .integer(1)
              .toByteArray();

      assertRejected(request, ErrorCode.INVALID_OPERATION);
    }

    @Test
    void emptyRootMapIsAnInvalidOperation() {
      assertRejected(new CborWriter().map(0).toByteArray(), ErrorCode.INVALID_OPERATION);
    }

    @Test
    void rootOfAnotherTypeIsAnInvalidOperation() {
      assertRejected(new CborWriter().integer(1).toByteArray(), ErrorCode.INVALID_OPERATION);
      assertRejected(
          new CborWriter().bytes("GetRandom".getBytes(StandardCharsets.UTF_8)).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          new CborWriter().array(1).text("GetRandom").toByteArray(), ErrorCode.INVALID_OPERATION);
      assertRejected(new CborWriter().nul().toByteArray(), ErrorCode.INVALID_OPERATION);
    }

    @Test
    void indexAbove65535IsAnInvalidOperation() {
      assertRejected(
          op("DescribePCR").map(1).text("index").integer(65536).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("LockPCRs").map(1).text("range").integer(1L << 32).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("LockPCR").map(1).text("index").raw(HEX.parseHex("1bffffffffffffffff")).toByteArray(),
          ErrorCode.INVALID_OPERATION);
    }

    @Test
    void negativeIndexIsAnInvalidOperation() {
      assertRejected(
          op("DescribePCR").map(1).text("index").integer(-1).toByteArray(),
          ErrorCode.INVALID_OPERATION);
    }

    @Test
    void wronglyTypedFieldsAreAnInvalidOperation() {
      assertRejected(
          op("DescribePCR").map(1).text("index").text("3").toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("DescribePCR").map(1).text("index").raw(HEX.parseHex("f93c00")).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("DescribePCR").map(1).text("index").bool(true).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("ExtendPCR").map(2).text("index").integer(1).text("data").integer(5).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("ExtendPCR").map(2).text("index").integer(1).text("data").array(0).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("Attestation").map(1).text("nonce").integer(1).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(op("DescribePCR").text("index").toByteArray(), ErrorCode.INVALID_OPERATION);
      assertRejected(op("Attestation").array(0).toByteArray(), ErrorCode.INVALID_OPERATION);
    }

    @Test
    void missingRequiredFieldsAreAnInvalidOperation() {
      assertRejected(op("DescribePCR").map(0).toByteArray(), ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("ExtendPCR").map(1).text("index").integer(1).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("ExtendPCR").map(2).text("index").integer(1).text("data").nul().toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          op("LockPCRs").map(1).text("index").integer(1).toByteArray(),
          ErrorCode.INVALID_OPERATION);
      assertRejected(
          new CborWriter().text("DescribePCR").toByteArray(), ErrorCode.INVALID_OPERATION);
    }

    @Test
    void duplicateKeysAreAnInvalidOperation() {
      byte[] request =
          op("DescribePCR").map(2).text("index").integer(1).text("index").integer(2).toByteArray();

      assertRejected(request, ErrorCode.INVALID_OPERATION);
    }

    @Test
    void deepNestingIsAnInvalidOperationNotAStackOverflow() {
      byte[] request = new byte[4000];
      Arrays.fill(request, (byte) 0x81);

      assertRejected(request, ErrorCode.INVALID_OPERATION);
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "5bffffffffffffffff",
          "7bffffffffffffffff",
          "5a7fffffff00",
          "9bffffffffffffffff"
        })
    void hugeDeclaredLengthsAreAnInvalidOperationWithoutAllocation(String field) {
      byte[] request =
          op("ExtendPCR")
              .map(2)
              .text("index")
              .integer(1)
              .text("data")
              .raw(HEX.parseHex(field))
              .toByteArray();

      assertRejected(request, ErrorCode.INVALID_OPERATION);
    }
  }

  @Nested
  class ResponseDecoding {
    private void assertInvalidResponse(byte[] response) {
      assertThatThrownBy(() -> NsmCodec.decodeResponse(response))
          .isInstanceOf(NsmException.class)
          .satisfies(
              e -> assertThat(((NsmException) e).code()).isEqualTo(ErrorCode.INVALID_RESPONSE));
    }

    @Test
    void undecodableResponsesAreInvalidResponse() {
      assertInvalidResponse(new byte[0]);
      assertInvalidResponse(null);
      assertInvalidResponse(HEX.parseHex("ff"));
      assertInvalidResponse(new CborWriter().text("Unknown").toByteArray());
      assertInvalidResponse(op("Error").text("NoSuchCode").toByteArray());
      assertInvalidResponse(op("Error").integer(2).toByteArray());
      assertInvalidResponse(op("DescribePCR").map(1).text("data").bytes(DATA).toByteArray());
      assertInvalidResponse(op("GetRandom").map(1).text("random").nul().toByteArray());
    }

    @Test
    void responseLargerThanTheDriverBufferIsInvalidResponse() {
      byte[] response =
          NsmCodec.encodeResponse(new NsmResponse.Attestation(new byte[Nsm.MAX_RESPONSE_SIZE]));

      assertInvalidResponse(response);
    }

    @Test
    void describeNsmWithOutOfRangeLockedPcrIsInvalidResponse() {
      assertInvalidResponse(describeNsmWithLockedEntry("20"));
      assertInvalidResponse(describeNsmWithLockedEntry("1a00010000"));
      assertInvalidResponse(describeNsmWithLockedEntry("fb3ff8000000000000"));
    }

    @Test
    void describeNsmWithUnknownDigestIsInvalidResponse() {
      byte[] response =
          op("DescribeNSM")
              .map(7)
              .text("version_major")
              .integer(1)
              .text("version_minor")
              .integer(0)
              .text("version_patch")
              .integer(0)
              .text("module_id")
              .text("i")
              .text("max_pcrs")
              .integer(32)
              .text("locked_pcrs")
              .array(0)
              .text("digest")
              .text("MD5")
              .toByteArray();

      assertInvalidResponse(response);
    }

    private byte[] describeNsmWithLockedEntry(String entryHex) {
      return op("DescribeNSM")
          .map(7)
          .text("version_major")
          .integer(1)
          .text("version_minor")
          .integer(0)
          .text("version_patch")
          .integer(0)
          .text("module_id")
          .text("i")
          .text("max_pcrs")
          .integer(32)
          .text("locked_pcrs")
          .array(1)
          .raw(HEX.parseHex(entryHex))
          .text("digest")
          .text("SHA384")
          .toByteArray();
    }
  }

  private static String hexOf(String text) {
    return HEX.formatHex(text.getBytes(StandardCharsets.UTF_8));
  }
}
