package dev.nitroemu.nsm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.internal.CborWriter;
import dev.nitroemu.enclave.internal.NsmDispatcher;
import dev.nitroemu.nsm.SoftwareNsm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NsmDispatcherTest {
  private static final HexFormat HEX = HexFormat.of();

  private final PcrBankNsm nsm = new PcrBankNsm();

  /** The vectors' hex by message name, e.g. {@code "Error(InputTooLarge)"}. */
  private static Map<String, String> vectorHexByMessage() throws IOException {
    Path file =
        Path.of(
            System.getProperty("nitro.vectors.dir", "../test-vectors"), "nsm-wire", "vectors.json");
    Map<String, String> byMessage = new LinkedHashMap<>();
    for (JsonNode v : new ObjectMapper().readTree(file.toFile()).get("vectors")) {
      byMessage.put(v.get("message").textValue(), v.get("hex").textValue());
    }
    return byMessage;
  }

  private static String errorVector(ErrorCode code) throws IOException {
    String hex = vectorHexByMessage().get("Error(" + code.wireName() + ")");
    assertThat(hex).as("vector for %s", code).isNotNull();
    return hex;
  }

  private String process(byte[] request) {
    return HEX.formatHex(NsmDispatcher.process(nsm, request));
  }

  @Test
  void oversizeRequestGetsTheExactInputTooLargeBytes() throws IOException {
    byte[] request = NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(16, new byte[4096]));

    assertThat(process(request))
        .isEqualTo(errorVector(ErrorCode.INPUT_TOO_LARGE))
        .isEqualTo("a1654572726f726d496e707574546f6f4c61726765");
    assertThat(nsm.describePcr(16).data()).isEqualTo(new byte[48]);
  }

  @Test
  void undecodableRequestsGetTheExactInvalidOperationBytes() throws IOException {
    String expected = errorVector(ErrorCode.INVALID_OPERATION);

    assertThat(process(new byte[0])).isEqualTo(expected);
    assertThat(process(null)).isEqualTo(expected);
    assertThat(process(HEX.parseHex("ff"))).isEqualTo(expected);
    assertThat(process(new CborWriter().text("Launch").toByteArray())).isEqualTo(expected);
  }

  @Test
  void rejectedRequestLeavesStateIntact() throws IOException {
    byte[] valid = NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(16, new byte[] {1}));
    byte[] withTrailer = Arrays.copyOf(valid, valid.length + 1);

    assertThat(process(withTrailer)).isEqualTo(errorVector(ErrorCode.INVALID_OPERATION));
    assertThat(nsm.describePcr(16).data()).isEqualTo(new byte[48]);
    assertThat(nsm.calls).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(value = ErrorCode.class, names = "SUCCESS", mode = EnumSource.Mode.EXCLUDE)
  void errorThrownByTheModuleGetsTheExactVectorBytes(ErrorCode code) throws IOException {
    nsm.failWith = () -> new NsmException(code, "injected");

    assertThat(process(NsmCodec.encodeRequest(new NsmRequest.DescribeNsm())))
        .isEqualTo(errorVector(code));
  }

  @Test
  void unexpectedExceptionInTheModuleBecomesInternalError() throws IOException {
    nsm.failWith = () -> new IllegalStateException("boom");

    assertThat(process(NsmCodec.encodeRequest(new NsmRequest.GetRandom())))
        .isEqualTo(errorVector(ErrorCode.INTERNAL_ERROR));
  }

  @Test
  void moduleSemanticErrorsComeBackAsErrorResponses() throws IOException {
    assertThat(process(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(65535))))
        .isEqualTo(errorVector(ErrorCode.INVALID_INDEX));
    assertThat(process(NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(0, new byte[] {1}))))
        .isEqualTo(errorVector(ErrorCode.READ_ONLY_INDEX));
    assertThat(process(NsmCodec.encodeRequest(new NsmRequest.LockPcrs(33))))
        .isEqualTo(errorVector(ErrorCode.INVALID_INDEX));
  }

  @Test
  void everyOperationIsRoutedToTheMatchingTypedCall() {
    byte[] extended =
        NsmDispatcher.process(
            nsm, NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(16, new byte[] {1})));
    assertThat(NsmCodec.decodeResponse(extended))
        .isEqualTo(new NsmResponse.ExtendPcr(nsm.describePcr(16).data()));

    assertThat(
            NsmCodec.decodeResponse(
                NsmDispatcher.process(nsm, NsmCodec.encodeRequest(new NsmRequest.LockPcr(16)))))
        .isEqualTo(new NsmResponse.LockPcr());
    assertThat(
            NsmCodec.decodeResponse(
                NsmDispatcher.process(nsm, NsmCodec.encodeRequest(new NsmRequest.DescribePcr(16)))))
        .isEqualTo(new NsmResponse.DescribePcr(true, nsm.describePcr(16).data()));
    assertThat(
            NsmCodec.decodeResponse(
                NsmDispatcher.process(nsm, NsmCodec.encodeRequest(new NsmRequest.LockPcrs(20)))))
        .isEqualTo(new NsmResponse.LockPcrs());
    assertThat(
            NsmCodec.decodeResponse(
                NsmDispatcher.process(nsm, NsmCodec.encodeRequest(new NsmRequest.DescribeNsm()))))
        .isEqualTo(new NsmResponse.DescribeNsm(nsm.describeNsm()));
    byte[] attestation =
        NsmDispatcher.process(
            nsm, NsmCodec.encodeRequest(new NsmRequest.Attestation(new byte[] {5}, null, null)));
    assertThat(NsmCodec.decodeResponse(attestation))
        .isEqualTo(new NsmResponse.Attestation(new byte[] {5}));
    NsmResponse random =
        NsmCodec.decodeResponse(
            NsmDispatcher.process(nsm, NsmCodec.encodeRequest(new NsmRequest.GetRandom())));
    assertThat(((NsmResponse.GetRandom) random).random()).hasSize(256);
  }

  @Test
  void linuxHwrngRequestGetsAReplyWithTheExactPrefixTheDriverChecks() {
    byte[] hwrngRequest = "iGetRandom".getBytes(StandardCharsets.US_ASCII);
    hwrngRequest[0] = 0x69;

    String reply = process(hwrngRequest);

    String prefix = "a16947657452616e646f6da16672616e646f6d";
    assertThat(reply).startsWith(prefix + "590100");
    assertThat(reply).hasSize(2 * (prefix.length() / 2 + 3 + 256));
  }

  @Test
  void responseOfExactly12288BytesIsSentAndOneMoreIsInternalError() throws IOException {
    // a1 6b"Attestation" a1 68"document" 59 LLLL: 26 bytes of framing.
    nsm.document = new byte[Nsm.MAX_RESPONSE_SIZE - 26];
    byte[] request = NsmCodec.encodeRequest(new NsmRequest.Attestation(null, null, null));
    assertThat(NsmDispatcher.process(nsm, request)).hasSize(Nsm.MAX_RESPONSE_SIZE);

    nsm.document = new byte[Nsm.MAX_RESPONSE_SIZE - 25];
    assertThat(process(request)).isEqualTo(errorVector(ErrorCode.INTERNAL_ERROR));
  }

  @Test
  void defaultNsmProcessUsesTheDispatcher() throws IOException {
    assertThat(HEX.formatHex(nsm.process(new byte[0])))
        .isEqualTo(errorVector(ErrorCode.INVALID_OPERATION));
  }

  @Test
  void randomBytesNeverMakeProcessThrow() {
    Random random = new Random(0x5EED);
    for (int i = 0; i < 10_000; i++) {
      byte[] input = new byte[random.nextInt(i % 100 == 0 ? 5000 : 64)];
      random.nextBytes(input);
      assertAnsweredWithADecodableResponse(input);
    }
  }

  @Test
  void everyTruncationOfEveryVectorIsAnsweredWithADecodableResponse() throws IOException {
    for (String hex : vectorHexByMessage().values()) {
      byte[] vector = HEX.parseHex(hex);
      for (int length = 0; length <= vector.length; length++) {
        assertAnsweredWithADecodableResponse(Arrays.copyOf(vector, length));
      }
    }
  }

  @Test
  void everyBitFlipOfEveryVectorIsAnsweredWithADecodableResponse() throws IOException {
    int inputs = 0;
    for (String hex : vectorHexByMessage().values()) {
      byte[] vector = HEX.parseHex(hex);
      for (int bit = 0; bit < vector.length * 8; bit++) {
        byte[] flipped = vector.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        assertAnsweredWithADecodableResponse(flipped);
        inputs++;
      }
    }
    assertThat(inputs).isGreaterThan(10_000);
  }

  @Test
  void everyTruncationAndBitFlipOfEveryRequestVectorIsAnsweredBySoftwareNsm() throws IOException {
    SoftwareNsm software = SoftwareNsm.create();
    for (Map.Entry<String, String> vector : vectorHexByMessage().entrySet()) {
      byte[] bytes = HEX.parseHex(vector.getValue());
      if (!isRequest(bytes)) {
        continue;
      }
      for (int length = 0; length < bytes.length; length++) {
        assertAnsweredWithADecodableResponse(software, Arrays.copyOf(bytes, length));
      }
      for (int bit = 0; bit < bytes.length * 8; bit++) {
        byte[] flipped = bytes.clone();
        flipped[bit / 8] ^= (byte) (1 << (bit % 8));
        assertAnsweredWithADecodableResponse(software, flipped);
      }
    }
  }

  private static boolean isRequest(byte[] bytes) {
    try {
      NsmCodec.decodeRequest(bytes);
      return true;
    } catch (NsmException e) {
      return false;
    }
  }

  private void assertAnsweredWithADecodableResponse(byte[] input) {
    assertAnsweredWithADecodableResponse(nsm, input);
  }

  private static void assertAnsweredWithADecodableResponse(Nsm nsm, byte[] input) {
    assertThatCode(
            () -> {
              byte[] reply = nsm.process(input);
              assertThat(reply.length).isBetween(1, Nsm.MAX_RESPONSE_SIZE);
              assertThat(NsmCodec.decodeResponse(reply)).isNotNull();
            })
        .as("input %s", HEX.formatHex(input, 0, Math.min(input.length, 64)))
        .doesNotThrowAnyException();
  }
}
