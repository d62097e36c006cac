package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Typed, validated access to the members of an awsJson1_1 request body, failing with the texts
 * KMS's request validation uses ({@code 1 validation error detected: Value ... at 'member' failed
 * to satisfy constraint: ...}) and SerializationException for members of the wrong JSON type.
 */
final class RequestFields {
  private final ObjectNode request;

  RequestFields(ObjectNode request) {
    this.request = Objects.requireNonNull(request, "request");
  }

  /** The raw member, or null when absent or JSON null. */
  JsonNode node(String member) {
    JsonNode value = request.get(member);
    return value == null || value.isNull() ? null : value;
  }

  /** Whether the member is present and not null. */
  boolean has(String member) {
    return node(member) != null;
  }

  /** A string member, or null. */
  String string(String member) {
    JsonNode value = node(member);
    if (value == null) {
      return null;
    }
    if (!value.isTextual()) {
      throw wrongType(value, "a String");
    }
    return value.textValue();
  }

  /** A string member whose length, when present, is within [min, max]. */
  String string(String member, int min, int max) {
    String value = string(member);
    if (value != null) {
      checkLength(member, "'" + value + "'", value.length(), min, max);
    }
    return value;
  }

  /** A required string member with a length in [min, max]. */
  String requiredString(String member, int min, int max) {
    String value = string(member, min, max);
    if (value == null) {
      throw notNull(member);
    }
    return value;
  }

  /** A string member that must be one of the enum values, or null. */
  String enumValue(String member, List<String> values) {
    String value = string(member);
    if (value != null && !values.contains(value)) {
      throw validation("'" + value + "'", member, "Member must satisfy enum value set: " + values);
    }
    return value;
  }

  /**
   * A base64 blob member whose length, when present, is within [min, max]; never echoed in errors.
   */
  byte[] blob(String member, int min, int max) {
    JsonNode value = node(member);
    if (value == null) {
      return null;
    }
    if (!value.isTextual()) {
      throw wrongType(value, "a Blob");
    }
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(value.textValue());
    } catch (IllegalArgumentException e) {
      throw new KmsError(
          "SerializationException",
          "Base64 encoded value of '" + member + "' could not be decoded");
    }
    checkLength(member, null, bytes.length, min, max);
    return bytes;
  }

  /** A required base64 blob member. */
  byte[] requiredBlob(String member, int min, int max) {
    byte[] value = blob(member, min, max);
    if (value == null) {
      throw notNull(member);
    }
    return value;
  }

  /** An integer member within [min, max], or null. */
  Integer integer(String member, int min, int max) {
    JsonNode value = node(member);
    if (value == null) {
      return null;
    }
    if (!value.isIntegralNumber() || !value.canConvertToInt()) {
      throw wrongType(value, "an Integer");
    }
    int number = value.intValue();
    if (number < min) {
      throw validation(
          "'" + number + "'", member, "Member must have value greater than or equal to " + min);
    }
    if (number > max) {
      throw validation(
          "'" + number + "'", member, "Member must have value less than or equal to " + max);
    }
    return number;
  }

  /** A timestamp member (awsJson: epoch seconds, a number), or null. */
  Instant timestamp(String member) {
    JsonNode value = node(member);
    if (value == null) {
      return null;
    }
    if (!value.isNumber()) {
      throw wrongType(value, "a Timestamp");
    }
    try {
      return Instant.ofEpochMilli(
          value.decimalValue().movePointRight(3).setScale(0, RoundingMode.FLOOR).longValueExact());
    } catch (ArithmeticException | java.time.DateTimeException e) {
      throw new KmsError(
          "SerializationException", "Timestamp value of '" + member + "' is out of range");
    }
  }

  /** A boolean member; absent means false. */
  boolean bool(String member) {
    JsonNode value = node(member);
    if (value == null) {
      return false;
    }
    if (!value.isBoolean()) {
      throw wrongType(value, "a Boolean");
    }
    return value.booleanValue();
  }

  /** A map of strings (an encryption context); absent means empty. Order as sent. */
  Map<String, String> stringMap(String member) {
    JsonNode value = node(member);
    Map<String, String> map = new LinkedHashMap<>();
    if (value == null) {
      return map;
    }
    if (!value.isObject()) {
      throw wrongType(value, "a Map");
    }
    for (Map.Entry<String, JsonNode> field : value.properties()) {
      if (!field.getValue().isTextual()) {
        throw wrongType(field.getValue(), "a String");
      }
      map.put(field.getKey(), field.getValue().textValue());
    }
    return map;
  }

  /** A list of strings with at most {@code maxItems} entries; absent means empty. */
  List<String> stringList(String member, int maxItems) {
    JsonNode value = node(member);
    List<String> list = new ArrayList<>();
    if (value == null) {
      return list;
    }
    if (!value.isArray()) {
      throw wrongType(value, "a List");
    }
    for (JsonNode item : value) {
      if (!item.isTextual()) {
        throw wrongType(item, "a String");
      }
      list.add(item.textValue());
    }
    if (list.size() > maxItems) {
      throw validation(
          "'" + list + "'", member, "Member must have length less than or equal to " + maxItems);
    }
    return list;
  }

  /** A list of JSON objects (e.g. Tags); absent means empty. */
  List<ObjectNode> objectList(String member) {
    JsonNode value = node(member);
    List<ObjectNode> list = new ArrayList<>();
    if (value == null) {
      return list;
    }
    if (!value.isArray()) {
      throw wrongType(value, "a List");
    }
    for (JsonNode item : value) {
      if (!item.isObject()) {
        throw wrongType(item, "a Structure");
      }
      list.add((ObjectNode) item);
    }
    return list;
  }

  /** {@code Value null at 'member' failed to satisfy constraint: Member must not be null}. */
  static KmsError notNull(String member) {
    return validation("null", member, "Member must not be null");
  }

  /**
   * A one-error ValidationException; {@code shownValue} null leaves the value out (sensitive
   * members).
   */
  static KmsError validation(String shownValue, String member, String constraint) {
    String value = shownValue == null ? "Value" : "Value " + shownValue;
    return KmsError.validation(
        "1 validation error detected: "
            + value
            + " at '"
            + wireName(member)
            + "' failed to satisfy constraint: "
            + constraint);
  }

  /**
   * The member name as KMS validation messages spell it: {@code NumberOfBytes} -> {@code
   * numberOfBytes}.
   */
  static String wireName(String member) {
    return Character.toLowerCase(member.charAt(0)) + member.substring(1);
  }

  private static void checkLength(String member, String shownValue, int length, int min, int max) {
    if (length < min) {
      throw validation(
          shownValue, member, "Member must have length greater than or equal to " + min);
    }
    if (length > max) {
      throw validation(shownValue, member, "Member must have length less than or equal to " + max);
    }
  }

  /** SerializationException for a member of the wrong JSON type, as KMS words it. */
  static KmsError wrongType(JsonNode value, String target) {
    String message;
    if (value.isObject()) {
      message = "Start of structure or map found where not expected.";
    } else if (value.isArray()) {
      message = "Start of list found where not expected.";
    } else {
      String kind =
          value.isTextual()
              ? "STRING_VALUE"
              : value.isBoolean() ? "BOOLEAN_VALUE" : value.isNumber() ? "NUMBER_VALUE" : "VALUE";
      message = kind + " can not be converted to " + target;
    }
    return new KmsError("SerializationException", message);
  }
}
