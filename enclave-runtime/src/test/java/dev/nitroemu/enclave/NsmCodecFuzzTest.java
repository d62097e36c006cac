package dev.nitroemu.enclave;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzzes the NSM wire codec: any bytes decode to a request/response or fail with {@link
 * NsmException}, and whatever decodes re-encodes and decodes to an equal message. {@code mvn
 * verify} replays the corpus in {@code
 * src/test/resources/dev/nitroemu/enclave/NsmCodecFuzzTestInputs}.
 */
class NsmCodecFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void requests(byte[] input) {
    NsmRequest request;
    try {
      request = NsmCodec.decodeRequest(input);
    } catch (NsmException expected) {
      return;
    }
    byte[] encoded = NsmCodec.encodeRequest(request);
    if (!java.util.Arrays.equals(
        NsmCodec.encodeRequest(NsmCodec.decodeRequest(encoded)), encoded)) {
      throw new AssertionError("request does not survive a round trip: " + request);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void responses(byte[] input) {
    try {
      NsmCodec.decodeResponse(input);
    } catch (NsmException expected) {
      // a typed refusal is the only acceptable failure
    }
  }
}
