package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code Tags} of CreateKey and TagResource, validated as KMS does, and the condition keys they
 * give a policy ({@code aws:RequestTag/<key>}, {@code aws:TagKeys}).
 *
 * <p>Order of checks: each tag's members (present, key 1..128 and value 0..256 characters: {@code
 * ValidationException} naming {@code tags.<n>.member.tagKey}), then {@code TagException} for
 * duplicate keys ({@code Duplicate tag keys}), more than 50 tags ({@code Too many tags}) and keys
 * starting with {@code aws:} in any case ({@code Tags beginning with aws: are reserved}); these
 * texts are the ones LocalStack's AWS-validated tests record.
 */
final class KeyTags {
  static final int MAX_TAGS = 50;
  static final int MAX_KEY = 128;
  static final int MAX_VALUE = 256;

  private KeyTags() {}

  /**
   * Reads and validates a list of tags.
   *
   * @param exempt tag keys whose value is not length-checked (LocalStack's {@code
   *     _custom_key_material_})
   * @return tag key to value, in request order
   */
  static LinkedHashMap<String, String> parse(
      RequestFields fields, String member, boolean required, Set<String> exempt) {
    if (required && !fields.has(member)) {
      throw RequestFields.notNull(member);
    }
    List<ObjectNode> list = fields.objectList(member);
    List<String[]> tags = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String path = RequestFields.wireName(member) + "." + (i + 1) + ".member.";
      String key = text(list.get(i), "TagKey", path + "tagKey");
      String value = text(list.get(i), "TagValue", path + "tagValue");
      checkLength(key, path + "tagKey", 1, MAX_KEY);
      if (!exempt.contains(key)) {
        checkLength(value, path + "tagValue", 0, MAX_VALUE);
      }
      tags.add(new String[] {key, value});
    }
    LinkedHashMap<String, String> result = new LinkedHashMap<>();
    for (String[] tag : tags) {
      if (result.put(tag[0], tag[1]) != null) {
        throw tagException("Duplicate tag keys");
      }
    }
    if (result.size() > MAX_TAGS) {
      throw tooMany();
    }
    for (String key : result.keySet()) {
      checkNotReserved(key);
    }
    return result;
  }

  /** TagException {@code Too many tags}: a key has at most 50 tags. */
  static KmsError tooMany() {
    return tagException("Too many tags");
  }

  /** TagException for a key starting with {@code aws:} (any case). */
  static void checkNotReserved(String key) {
    if (key.toLowerCase(Locale.ROOT).startsWith("aws:")) {
      throw tagException("Tags beginning with aws: are reserved");
    }
  }

  /**
   * {@code aws:RequestTag/<key>} for each tag and {@code aws:TagKeys}, as TagResource's policy sees
   * them.
   */
  static Map<String, List<String>> requestContext(Map<String, String> tags) {
    Map<String, List<String>> context = new LinkedHashMap<>();
    tags.forEach((k, v) -> context.put("aws:RequestTag/" + k, List.of(v)));
    context.put("aws:TagKeys", List.copyOf(tags.keySet()));
    return context;
  }

  /** The {@code [{"TagKey": ..., "TagValue": ...}]} list of a response. */
  static void put(ObjectNode response, String member, List<Map.Entry<String, String>> tags) {
    var array = response.putArray(member);
    for (Map.Entry<String, String> tag : tags) {
      array.addObject().put("TagKey", tag.getKey()).put("TagValue", tag.getValue());
    }
  }

  /** The state directory's form of a key's tags: a JSON object, tag key to value, in order. */
  static ObjectNode toStateJson(Map<String, String> tags) {
    ObjectNode node = OperationSupport.JSON.objectNode();
    tags.forEach(node::put);
    return node;
  }

  /**
   * Reads {@link #toStateJson}'s form; null (files written before tags existed) is no tags.
   *
   * @throws IllegalArgumentException if the node is not such an object
   */
  static Map<String, String> fromStateJson(JsonNode node) {
    Map<String, String> tags = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return tags;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("field tags is not an object");
    }
    for (Map.Entry<String, JsonNode> tag : node.properties()) {
      if (!tag.getValue().isTextual()) {
        throw new IllegalArgumentException("tag " + tag.getKey() + " is not a string");
      }
      tags.put(tag.getKey(), tag.getValue().textValue());
    }
    return tags;
  }

  static void checkLength(String text, String path, int min, int max) {
    int length = text.codePointCount(0, text.length());
    if (length < min) {
      throw RequestFields.validation(
          "'" + text + "'", path, "Member must have length greater than or equal to " + min);
    }
    if (length > max) {
      throw RequestFields.validation(
          "'" + text + "'", path, "Member must have length less than or equal to " + max);
    }
  }

  private static String text(ObjectNode tag, String field, String path) {
    JsonNode value = tag.get(field);
    if (value == null || value.isNull()) {
      throw RequestFields.validation("null", path, "Member must not be null");
    }
    if (!value.isTextual()) {
      throw RequestFields.wrongType(value, "a String");
    }
    return value.textValue();
  }

  private static KmsError tagException(String message) {
    return new KmsError("TagException", message);
  }
}
