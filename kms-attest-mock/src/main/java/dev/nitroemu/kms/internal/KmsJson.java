package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Locale;

/**
 * The awsJson1_1 bodies: parsing request bodies (an empty body is {@code {}}) and writing response
 * and error bodies ({@code {"__type": ..., "message": ...}}).
 *
 * <p>Request bodies must be one JSON object: malformed JSON, trailing data, duplicate member names,
 * nesting deeper than {@value #MAX_NESTING_DEPTH} and non-object documents are refused with {@code
 * SerializationException}. Error bodies follow what real KMS sends: {@code AccessDeniedException}
 * carries its text in {@code "Message"} (capital M), {@code InvalidCiphertextException} carries no
 * text, every other error uses {@code "message"}.
 */
public final class KmsJson {
  /** The awsJson1_1 media type, sent on every response. */
  public static final String CONTENT_TYPE = "application/x-amz-json-1.1";

  /** Deepest JSON nesting a request may use; KMS requests nest three levels at most. */
  public static final int MAX_NESTING_DEPTH = 32;

  static final String SERIALIZATION = "SerializationException";

  private static final byte[] EMPTY = new byte[0];
  private static final ObjectMapper MAPPER = newMapper();

  private KmsJson() {}

  /** A mapper configured as this server parses requests; shared, thread-safe. */
  public static ObjectMapper mapper() {
    return MAPPER;
  }

  /**
   * Parses a request body.
   *
   * @throws KmsError {@code SerializationException} if the body is not a single JSON object
   */
  public static ObjectNode parseRequest(byte[] body) {
    if (body.length == 0 || isBlank(body)) {
      return MAPPER.createObjectNode();
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      // The parser's own text can quote request bytes (maybe secrets), so only the position is
      // reported.
      throw new KmsError(SERIALIZATION, "The request body is not valid JSON" + where(e) + ".");
    } catch (IOException e) {
      throw new KmsError(SERIALIZATION, "The request body is not valid JSON.");
    }
    if (!(tree instanceof ObjectNode)) {
      String kind = tree == null ? "nothing" : tree.getNodeType().name().toLowerCase(Locale.ROOT);
      throw new KmsError(
          SERIALIZATION, "The request body must be a JSON object, not " + kind + ".");
    }
    return (ObjectNode) tree;
  }

  /**
   * The response body for {@code response}: empty for an empty object (operations without output).
   */
  public static byte[] responseBody(ObjectNode response) {
    if (response == null || response.isEmpty()) {
      return EMPTY;
    }
    try {
      return MAPPER.writeValueAsBytes(response);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  /** The error body for {@code error}, shaped as real KMS shapes it (see the class description). */
  public static byte[] errorBody(KmsError error) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("__type", error.type());
    String message = error.getMessage();
    if (message != null && !error.type().equals("InvalidCiphertextException")) {
      body.put(error.type().equals("AccessDeniedException") ? "Message" : "message", message);
    }
    try {
      return MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree", e);
    }
  }

  private static boolean isBlank(byte[] body) {
    for (byte b : body) {
      if (b != ' ' && b != '\t' && b != '\r' && b != '\n') {
        return false;
      }
    }
    return true;
  }

  private static String where(JsonProcessingException e) {
    if (e.getLocation() == null || e.getLocation().getLineNr() < 1) {
      return "";
    }
    return " (line "
        + e.getLocation().getLineNr()
        + ", column "
        + e.getLocation().getColumnNr()
        + ")";
  }

  private static ObjectMapper newMapper() {
    JsonMapper mapper =
        JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    mapper
        .getFactory()
        .setStreamReadConstraints(
            StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build());
    return mapper;
  }
}
