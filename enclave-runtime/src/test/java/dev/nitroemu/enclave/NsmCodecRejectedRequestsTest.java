package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.NsmCodecFixtures.HEX;
import static dev.nitroemu.enclave.NsmCodecFixtures.extendRequestOfSize;
import static dev.nitroemu.enclave.NsmCodecFixtures.op;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.internal.CborWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** NsmCodec: the requests it rejects, and with which error code. */
class NsmCodecRejectedRequestsTest {
  private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(
      byte[] request, ErrorCode code) {
    return assertThatThrownBy(() -> NsmCodec.decodeRequest(request))
        .isInstanceOf(NsmException.class)
        .satisfies(e -> assertThat(((NsmException) e).code()).isEqualTo(code));
  }

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
        op("ExtendPCR").map(1).text("index").integer(1).toByteArray(), ErrorCode.INVALID_OPERATION);
    assertRejected(
        op("ExtendPCR").map(2).text("index").integer(1).text("data").nul().toByteArray(),
        ErrorCode.INVALID_OPERATION);
    assertRejected(
        op("LockPCRs").map(1).text("index").integer(1).toByteArray(), ErrorCode.INVALID_OPERATION);
    assertRejected(new CborWriter().text("DescribePCR").toByteArray(), ErrorCode.INVALID_OPERATION);
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
      strings = {"5bffffffffffffffff", "7bffffffffffffffff", "5a7fffffff00", "9bffffffffffffffff"})
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
