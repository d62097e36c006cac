package dev.nitroemu.enclavetests.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclavetests.TestResult;
import java.io.IOException;

/**
 * The JSON form of {@link ResultEvent}s, one object per frame, told apart by {@code "type"}:
 *
 * <pre>
 * {"type":"runStarted","version":1,"runId":"…","mode":"real","plannedTests":12,"startedAt":"2026-…Z"}
 * {"type":"testFinished","id":"[engine:junit-jupiter]/…","className":"a.B","name":"c()",
 *  "displayName":"c()","status":"FAILED","durationMillis":3,"failureType":"…","message":"…","stackTrace":"…"}
 * {"type":"runFinished","tests":12,"failures":1,"skipped":0,"finishedAt":"2026-…Z"}
 * </pre>
 *
 * Decoding is bounded (frame size, string length, nesting) and every bad input is a {@link
 * ProtocolException}; unknown fields are ignored so newer senders still work.
 */
public final class ResultCodec {

  /** The protocol version a {@code runStarted} carries. */
  public static final int VERSION = 1;

  /** Largest frame: the biggest valid result, every character JSON-escaped to six bytes, fits. */
  public static final int MAX_FRAME_SIZE = 1024 * 1024;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder(
              com.fasterxml.jackson.core.JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxStringLength(TestResult.MAX_STACK_TRACE_LENGTH * 2)
                          .maxNestingDepth(4)
                          .maxNumberLength(20)
                          .build())
                  .build())
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();

  private ResultCodec() {}

  /** The UTF-8 JSON bytes of one event. */
  public static byte[] encode(ResultEvent event) {
    ObjectNode node;
    if (event instanceof ResultEvent.RunStarted started) {
      node = MAPPER.valueToTree(started);
      node.put("version", VERSION);
      node.put("type", "runStarted");
    } else if (event instanceof ResultEvent.TestFinished finished) {
      node = MAPPER.valueToTree(finished.result());
      node.put("type", "testFinished");
    } else {
      node = MAPPER.valueToTree(event);
      node.put("type", "runFinished");
    }
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }

  /**
   * Reads one event.
   *
   * @throws ProtocolException if the bytes are too many, not JSON, of an unknown type or version,
   *     or miss or break a field's rules
   */
  public static ResultEvent decode(byte[] frame) throws ProtocolException {
    if (frame.length > MAX_FRAME_SIZE) {
      throw new ProtocolException(
          "message of " + frame.length + " bytes exceeds " + MAX_FRAME_SIZE);
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(frame);
    } catch (IOException e) {
      throw new ProtocolException(
          "message is not valid JSON or breaks a size limit: " + firstLine(e.getMessage()));
    }
    if (node == null || !node.isObject()) {
      throw new ProtocolException("message is not a JSON object");
    }
    String type = node.path("type").asText("");
    Class<? extends ResultEvent> target;
    switch (type) {
      case "runStarted":
        int version = node.path("version").asInt(-1);
        if (version != VERSION) {
          throw new ProtocolException(
              "unsupported protocol version "
                  + node.path("version")
                  + " (this collector speaks "
                  + VERSION
                  + ")");
        }
        target = ResultEvent.RunStarted.class;
        break;
      case "testFinished":
        return new ResultEvent.TestFinished(convert(node, TestResult.class, type));
      case "runFinished":
        target = ResultEvent.RunFinished.class;
        break;
      default:
        throw new ProtocolException("unknown message type '" + abbreviate(type) + "'");
    }
    return convert(node, target, type);
  }

  private static <T> T convert(JsonNode node, Class<T> type, String name) throws ProtocolException {
    try {
      return MAPPER.treeToValue(node, type);
    } catch (IllegalArgumentException | JsonProcessingException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new ProtocolException("bad " + name + " message: " + firstLine(cause.getMessage()));
    }
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "";
    }
    int newline = text.indexOf('\n');
    return abbreviate(newline < 0 ? text : text.substring(0, newline));
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  /** The bytes are not a valid result message; the collector drops the connection. */
  public static final class ProtocolException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
      super(message);
    }
  }
}
