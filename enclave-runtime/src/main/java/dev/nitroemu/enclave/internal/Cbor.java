package dev.nitroemu.enclave.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import java.io.IOException;

/**
 * Reads CBOR into Jackson trees with the bounds every wire input needs: shallow nesting, no
 * duplicate keys, no trailing bytes. Callers bound the input size before calling.
 */
public final class Cbor {
  private static final ObjectMapper MAPPER = createMapper();

  private Cbor() {}

  private static ObjectMapper createMapper() {
    CBORFactory factory =
        CBORFactory.builder()
            .streamReadConstraints(
                StreamReadConstraints.builder()
                    .maxNestingDepth(8)
                    .maxStringLength(64 * 1024)
                    .build())
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    ObjectMapper mapper = new ObjectMapper(factory);
    mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    mapper.configure(JsonParser.Feature.AUTO_CLOSE_SOURCE, true);
    return mapper;
  }

  /**
   * Parses one complete CBOR item.
   *
   * @throws IOException if the bytes are not exactly one well-formed item within the bounds
   */
  public static JsonNode read(byte[] bytes) throws IOException {
    JsonNode node = MAPPER.readTree(bytes);
    if (node == null || node.isMissingNode()) {
      throw new IOException("empty input");
    }
    return node;
  }
}
