package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.NsmCodecFixtures.DATA;
import static dev.nitroemu.enclave.NsmCodecFixtures.HEX;
import static dev.nitroemu.enclave.NsmCodecFixtures.op;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.internal.CborWriter;
import org.junit.jupiter.api.Test;

/** NsmCodec: decoding the responses of a module, and what makes one invalid. */
class NsmCodecResponseDecodingTest {
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
