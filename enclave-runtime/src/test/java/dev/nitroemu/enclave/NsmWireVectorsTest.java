package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every message of {@code vectors/nsm-wire/vectors.json} through the codec. The expected
 * objects are built from each vector's {@code decoded} JSON, so adding a vector adds a test.
 */
class NsmWireVectorsTest {
  private static final HexFormat HEX = HexFormat.of();

  static Path vectorsFile() {
    return Path.of(
        System.getProperty("nitro.vectors.dir", "../test-vectors"), "nsm-wire", "vectors.json");
  }

  static List<JsonNode> vectors() throws IOException {
    List<JsonNode> list = new ArrayList<>();
    new ObjectMapper().readTree(vectorsFile().toFile()).get("vectors").forEach(list::add);
    return list;
  }

  private static Stream<Arguments> vectorsWithDirection(String direction) throws IOException {
    return vectors().stream()
        .filter(v -> v.get("direction").textValue().equals(direction))
        .map(
            v ->
                Arguments.of(
                    v.get("message").textValue(), v.get("hex").textValue(), v.get("decoded")));
  }

  static Stream<Arguments> requests() throws IOException {
    return vectorsWithDirection("request");
  }

  static Stream<Arguments> responses() throws IOException {
    return vectorsWithDirection("response");
  }

  static Stream<Arguments> payloads() throws IOException {
    return vectorsWithDirection("payload");
  }

  @Test
  void vectorFileHoldsAllTwentySevenMessages() throws IOException {
    List<JsonNode> all = vectors();

    assertThat(all).hasSize(27);
    assertThat(all)
        .extracting(v -> v.get("direction").textValue())
        .containsOnly("request", "response", "payload");
    assertThat(requests().count() + responses().count() + payloads().count()).isEqualTo(27);
    assertThat(payloads().count()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void requestEncodesToTheVectorBytes(String message, String hex, JsonNode decoded) {
    assertThat(HEX.formatHex(NsmCodec.encodeRequest(requestFrom(decoded)))).isEqualTo(hex);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requests")
  void requestDecodesFromTheVectorBytes(String message, String hex, JsonNode decoded) {
    assertThat(NsmCodec.decodeRequest(HEX.parseHex(hex))).isEqualTo(requestFrom(decoded));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void responseEncodesToTheVectorBytes(String message, String hex, JsonNode decoded) {
    assertThat(HEX.formatHex(NsmCodec.encodeResponse(responseFrom(decoded)))).isEqualTo(hex);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("responses")
  void responseDecodesFromTheVectorBytes(String message, String hex, JsonNode decoded) {
    assertThat(NsmCodec.decodeResponse(HEX.parseHex(hex))).isEqualTo(responseFrom(decoded));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("payloads")
  void payloadRoundTripsAsADefiniteAttestationDocument(
      String message, String hex, JsonNode decoded) {
    byte[] bytes = HEX.parseHex(hex);
    AttestationDocument expected = documentFrom(decoded);

    AttestationDocument parsed = AttestationDocument.decodePayload(bytes);

    assertThat(AttestationDocument.encodingOf(bytes)).isEqualTo(PayloadEncoding.DEFINITE);
    assertThat(parsed).isEqualTo(expected);
    assertThat(parsed.moduleId()).isEqualTo(decoded.get("module_id").textValue());
    assertThat(parsed.timestamp()).isEqualTo(decoded.get("timestamp").longValue());
    assertThat(parsed.pcrs()).containsOnlyKeys(expected.pcrs().keySet());
    assertThat(parsed.userData()).isEqualTo(expected.userData());
    assertThat(parsed.publicKey()).isNull();
    assertThat(parsed.nonce()).isNull();
    assertThat(HEX.formatHex(expected.encodePayload(PayloadEncoding.DEFINITE))).isEqualTo(hex);
    assertThat(HEX.formatHex(parsed.encodePayload(PayloadEncoding.DEFINITE))).isEqualTo(hex);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("payloads")
  void payloadReencodedIndefiniteDiffersOnlyInTheOuterMapFraming(
      String message, String hex, JsonNode decoded) {
    String indefinite =
        HEX.formatHex(documentFrom(decoded).encodePayload(PayloadEncoding.INDEFINITE));

    assertThat(hex).startsWith("a9");
    assertThat(indefinite).isEqualTo("bf" + hex.substring(2) + "ff");
    assertThat(AttestationDocument.decodePayload(HEX.parseHex(indefinite)))
        .isEqualTo(documentFrom(decoded));
  }

  // ---- building messages from the vectors' "decoded" JSON ----

  /** A unit variant is a bare string; any other variant is {name: fields}. */
  private record Variant(String name, JsonNode fields) {
    static Variant of(JsonNode decoded) {
      if (decoded.isTextual()) {
        return new Variant(decoded.textValue(), null);
      }
      assertThat(decoded.size()).as("variant map has one entry").isEqualTo(1);
      Map.Entry<String, JsonNode> e = decoded.properties().iterator().next();
      return new Variant(e.getKey(), e.getValue());
    }
  }

  static NsmRequest requestFrom(JsonNode decoded) {
    Variant v = Variant.of(decoded);
    JsonNode f = v.fields();
    switch (v.name()) {
      case "DescribePCR":
        return new NsmRequest.DescribePcr(f.get("index").intValue());
      case "ExtendPCR":
        return new NsmRequest.ExtendPcr(f.get("index").intValue(), bytes(f.get("data")));
      case "LockPCR":
        return new NsmRequest.LockPcr(f.get("index").intValue());
      case "LockPCRs":
        return new NsmRequest.LockPcrs(f.get("range").intValue());
      case "DescribeNSM":
        return new NsmRequest.DescribeNsm();
      case "GetRandom":
        return new NsmRequest.GetRandom();
      case "Attestation":
        return new NsmRequest.Attestation(
            bytes(f.get("user_data")), bytes(f.get("nonce")), bytes(f.get("public_key")));
      default:
        throw new AssertionError("vector names an unknown request: " + v.name());
    }
  }

  static NsmResponse responseFrom(JsonNode decoded) {
    Variant v = Variant.of(decoded);
    JsonNode f = v.fields();
    switch (v.name()) {
      case "DescribePCR":
        return new NsmResponse.DescribePcr(f.get("lock").booleanValue(), bytes(f.get("data")));
      case "ExtendPCR":
        return new NsmResponse.ExtendPcr(bytes(f.get("data")));
      case "LockPCR":
        return new NsmResponse.LockPcr();
      case "LockPCRs":
        return new NsmResponse.LockPcrs();
      case "DescribeNSM":
        TreeSet<Integer> locked = new TreeSet<>();
        f.get("locked_pcrs").forEach(n -> locked.add(n.intValue()));
        return new NsmResponse.DescribeNsm(
            new NsmDescription(
                f.get("version_major").intValue(),
                f.get("version_minor").intValue(),
                f.get("version_patch").intValue(),
                f.get("module_id").textValue(),
                f.get("max_pcrs").intValue(),
                locked,
                Digest.fromWireName(f.get("digest").textValue())));
      case "Attestation":
        return new NsmResponse.Attestation(bytes(f.get("document")));
      case "GetRandom":
        return new NsmResponse.GetRandom(bytes(f.get("random")));
      case "Error":
        return new NsmResponse.Error(
            ErrorCode.fromWireName(f.textValue())
                .orElseThrow(() -> new AssertionError("unknown error " + f)));
      default:
        throw new AssertionError("vector names an unknown response: " + v.name());
    }
  }

  static AttestationDocument documentFrom(JsonNode d) {
    TreeMap<Integer, byte[]> pcrs = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : d.get("pcrs").properties()) {
      pcrs.put(Integer.parseInt(e.getKey()), bytes(e.getValue()));
    }
    List<byte[]> cabundle = new ArrayList<>();
    d.get("cabundle").forEach(c -> cabundle.add(bytes(c)));
    return new AttestationDocument(
        d.get("module_id").textValue(),
        d.get("digest").textValue(),
        d.get("timestamp").longValue(),
        pcrs,
        bytes(d.get("certificate")),
        cabundle,
        bytes(d.get("public_key")),
        bytes(d.get("user_data")),
        bytes(d.get("nonce")));
  }

  /** {"bytes": hex} as bytes; JSON null as null. */
  static byte[] bytes(JsonNode node) {
    if (node == null || node.isNull()) {
      return null;
    }
    assertThat(node.has("bytes")).as("byte string in vector: %s", node).isTrue();
    return HEX.parseHex(node.get("bytes").textValue());
  }
}
