package dev.nitroemu.nsm.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * Finds the measurements in what {@code nitro-cli} prints: the JSON object with a {@code
 * "Measurements"} member, anywhere in {@code build-enclave} stdout (after its progress lines),
 * {@code describe-eif} output or the first enclave of {@code describe-enclaves}.
 */
public final class NitroCliMeasurements {
  /** Largest text accepted, far above any real nitro-cli output. */
  public static final int MAX_TEXT_LENGTH = 1 << 20;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String[] REQUIRED = {"PCR0", "PCR1", "PCR2"};

  /**
   * The image PCRs and debug flag found in the output.
   *
   * @param pcrs PCR0, PCR1, PCR2 and (for a signed EIF) PCR8, each 48 bytes
   * @param debugMode true when a describe-enclaves entry has {@code "Flags": "DEBUG_MODE"}
   */
  public record Measurements(Map<Integer, byte[]> pcrs, boolean debugMode) {}

  private NitroCliMeasurements() {}

  /**
   * Parses nitro-cli output.
   *
   * @throws IllegalArgumentException when the text is too long, holds no JSON object with {@code
   *     Measurements}, or a PCR is missing or not 96 hex digits (the message names the field)
   */
  public static Measurements parse(String text) {
    if (text.length() > MAX_TEXT_LENGTH) {
      throw new IllegalArgumentException(
          "nitro-cli output longer than " + MAX_TEXT_LENGTH + " characters");
    }
    JsonNode object = findMeasuredObject(text);
    JsonNode measurements = object.get("Measurements");
    if (!measurements.isObject()) {
      throw new IllegalArgumentException("Measurements must be a JSON object");
    }
    Map<Integer, byte[]> pcrs = new TreeMap<>();
    for (String name : REQUIRED) {
      JsonNode value = measurements.get(name);
      if (value == null || value.isNull()) {
        throw new IllegalArgumentException("Measurements." + name + " is missing");
      }
      pcrs.put(Integer.parseInt(name.substring(3)), pcr(name, value));
    }
    JsonNode pcr8 = measurements.get("PCR8");
    if (pcr8 != null && !pcr8.isNull()) {
      pcrs.put(8, pcr("PCR8", pcr8));
    }
    JsonNode flags = object.get("Flags");
    boolean debug = flags != null && flags.isTextual() && flags.textValue().equals("DEBUG_MODE");
    return new Measurements(pcrs, debug);
  }

  private static JsonNode findMeasuredObject(String text) {
    char[] chars = text.toCharArray();
    for (int start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
      JsonNode node = tryParseObjectAt(chars, start);
      if (node != null && node.has("Measurements")) {
        return node;
      }
    }
    throw new IllegalArgumentException(
        "no JSON object with \"Measurements\" found in nitro-cli output");
  }

  private static JsonNode tryParseObjectAt(char[] text, int start) {
    // Reads one JSON value starting at '{' and ignores whatever follows it.
    try (JsonParser parser = MAPPER.createParser(text, start, text.length - start)) {
      JsonNode node = MAPPER.readTree(parser);
      return node != null && node.isObject() ? node : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static byte[] pcr(String name, JsonNode value) {
    if (!value.isTextual()) {
      throw new IllegalArgumentException("Measurements." + name + " must be a hex string");
    }
    String hex = value.textValue().trim();
    if (hex.length() != 2 * PcrBank.PCR_LENGTH) {
      throw new IllegalArgumentException(
          "Measurements."
              + name
              + " must be 96 hex digits (48 bytes), got "
              + hex.length()
              + " characters");
    }
    try {
      return HexFormat.of().parseHex(hex);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Measurements." + name + " is not valid hex", e);
    }
  }
}
