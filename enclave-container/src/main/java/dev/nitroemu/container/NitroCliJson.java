package dev.nitroemu.container;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * JSON laid out as nitro-cli prints it (serde_json's pretty form: two-space indent, {@code "key":
 * value}, one array element a line, {@code []} for an empty array), so scripts that compare or
 * parse nitro-cli's output line by line read the emulator's the same way.
 */
public final class NitroCliJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private NitroCliJson() {}

  /** {@code node} in nitro-cli's layout, without a trailing line break. */
  public static String pretty(JsonNode node) {
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter()
            .withSeparators(
                Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER));
    printer.indentArraysWith(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE);
    try {
      return JSON.writer(printer).writeValueAsString(node).replace("[ ]", "[]");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON", e);
    }
  }
}
