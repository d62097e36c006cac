package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.nitroemu.kms.AuditEvent;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes an {@link AuditEvent} as a CloudTrail JSON record, reads one back, and normalises its JSON
 * members.
 */
public final class AuditEventJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();
  private static final Pattern ASSUMED_ROLE =
      Pattern.compile("arn:([^:]+):sts::(\\d{12}):assumed-role/([^/]+)/.+");

  /**
   * The strings this thread last produced or accepted as compact JSON, by identity: an {@link
   * AuditEvent} built from them (and its pooled copy, see {@link StringPool}) need not parse them
   * again. A profile of the Decrypt benchmark put that second parse at 5 % of the mock's CPU.
   */
  private static final ThreadLocal<String[]> RECENT = ThreadLocal.withInitial(() -> new String[8]);

  private AuditEventJson() {}

  /**
   * Remembers that {@code json} (this very string) is a compact JSON object, so that {@link
   * #canonical} returns it as it is. Only for strings equal to one {@link #canonical} returned.
   */
  static void markCanonical(String json) {
    if (json == null) {
      return;
    }
    String[] recent = RECENT.get();
    for (String known : recent) {
      if (known == json) {
        return;
      }
    }
    System.arraycopy(recent, 0, recent, 1, recent.length - 1);
    recent[0] = json;
  }

  private static boolean knownCanonical(String json) {
    for (String known : RECENT.get()) {
      if (known == json) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code json} as compact JSON text ({@code json} itself when it already is), or {@code "null"}
   * for a null or JSON-null value when {@code nullAllowed}.
   *
   * @throws IllegalArgumentException naming {@code member} if the text is not a JSON object (or
   *     null)
   */
  public static String canonical(String json, String member, boolean nullAllowed) {
    if (json != null && knownCanonical(json) && (nullAllowed || !json.equals("null"))) {
      return json;
    }
    JsonNode node = json == null ? NullNode.getInstance() : parseOrNull(json);
    if (node != null && node.isNull() && nullAllowed) {
      return "null";
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(
          member + " must be a JSON object" + (nullAllowed ? " or null" : ""));
    }
    String compact = compact(node);
    String result = compact.equals(json) ? json : compact;
    markCanonical(result);
    return result;
  }

  /** Compact JSON text for {@code node}; {@code "null"} for null or a missing node. */
  public static String compact(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return "null";
    }
    try {
      String compact = JSON.writeValueAsString(node);
      if (node.isObject()) {
        markCanonical(compact);
      }
      return compact;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not serializable as JSON", e);
    }
  }

  /** A fresh tree for JSON text that {@link #canonical} accepted. */
  public static JsonNode parse(String json) {
    JsonNode node = parseOrNull(json);
    if (node == null) {
      throw new IllegalStateException("stored JSON does not parse");
    }
    return node;
  }

  private static JsonNode parseOrNull(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      return node == null || node.isMissingNode() ? null : node;
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /** The record as one line of JSON, fields in CloudTrail's order. */
  public static String write(AuditEvent event) {
    StringWriter out = new StringWriter(512);
    try (JsonGenerator json = FACTORY.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("eventVersion", event.eventVersion());
      writeIdentity(json, event.userIdentity());
      json.writeStringField("eventTime", DateTimeFormatter.ISO_INSTANT.format(event.eventTime()));
      json.writeStringField("eventSource", AuditEvent.EVENT_SOURCE);
      json.writeStringField("eventName", event.eventName());
      optional(json, "awsRegion", event.awsRegion());
      optional(json, "sourceIPAddress", event.sourceIpAddress());
      optional(json, "userAgent", event.userAgent());
      optional(json, "errorCode", event.errorCode());
      optional(json, "errorMessage", event.errorMessage());
      json.writeFieldName("requestParameters");
      json.writeRawValue(event.requestParametersJson());
      json.writeFieldName("responseElements");
      json.writeRawValue(event.responseElementsJson());
      if (event.additionalEventDataJson() != null) {
        json.writeFieldName("additionalEventData");
        json.writeRawValue(event.additionalEventDataJson());
      }
      optional(json, "requestID", event.requestId());
      json.writeStringField("eventID", event.eventId().toString());
      json.writeBooleanField("readOnly", event.readOnly());
      json.writeArrayFieldStart("resources");
      for (String arn : event.resources()) {
        json.writeStartObject();
        String[] parts = arn.split(":", 6);
        if (parts.length == 6 && !parts[4].isEmpty()) {
          json.writeStringField("accountId", parts[4]);
        }
        json.writeStringField("type", "AWS::KMS::Key");
        json.writeStringField("ARN", arn);
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeStringField("eventType", "AwsApiCall");
      json.writeBooleanField("managementEvent", true);
      optional(json, "recipientAccountId", event.recipientAccountId());
      json.writeStringField("eventCategory", "Management");
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private static void writeIdentity(JsonGenerator json, AuditEvent.UserIdentity identity)
      throws IOException {
    json.writeObjectFieldStart("userIdentity");
    json.writeStringField("type", identity.type());
    optional(json, "principalId", identity.principalId());
    optional(json, "arn", identity.arn());
    optional(json, "accountId", identity.accountId());
    optional(json, "accessKeyId", identity.accessKeyId());
    Matcher session = identity.arn() == null ? null : ASSUMED_ROLE.matcher(identity.arn());
    if (session != null && session.matches()) {
      json.writeObjectFieldStart("sessionContext");
      json.writeObjectFieldStart("sessionIssuer");
      json.writeStringField("type", "Role");
      json.writeStringField(
          "arn",
          "arn:" + session.group(1) + ":iam::" + session.group(2) + ":role/" + session.group(3));
      json.writeStringField("accountId", session.group(2));
      json.writeStringField("userName", session.group(3));
      json.writeEndObject();
      json.writeEndObject();
    }
    json.writeEndObject();
  }

  private static void optional(JsonGenerator json, String name, String value) throws IOException {
    if (value != null) {
      json.writeStringField(name, value);
    }
  }

  /**
   * Reads a record written by {@link #write} back into an event.
   *
   * @throws IllegalArgumentException if the text is not such a record
   */
  public static AuditEvent read(String json) {
    JsonNode node = parseOrNull(json);
    if (node == null
        || !node.isObject()
        || !node.path("eventName").isTextual()
        || !node.path("eventTime").isTextual()
        || !node.path("eventID").isTextual()) {
      throw new IllegalArgumentException(
          "not a CloudTrail record: eventName, eventTime and eventID are required");
    }
    JsonNode identity = node.path("userIdentity");
    Instant time;
    UUID eventId;
    try {
      time = Instant.parse(node.get("eventTime").asText());
      eventId = UUID.fromString(node.get("eventID").asText());
    } catch (DateTimeParseException | IllegalArgumentException e) {
      throw new IllegalArgumentException("not a CloudTrail record: bad eventTime or eventID", e);
    }
    List<String> arns = new ArrayList<>();
    for (JsonNode resource : node.path("resources")) {
      if (resource.hasNonNull("ARN")) {
        arns.add(resource.get("ARN").asText());
      }
    }
    JsonNode additional = node.get("additionalEventData");
    return new AuditEvent(
        node.path("eventVersion").asText(AuditEvent.EVENT_VERSION),
        new AuditEvent.UserIdentity(
            textOrNull(identity, "type"),
            textOrNull(identity, "principalId"),
            textOrNull(identity, "arn"),
            textOrNull(identity, "accountId"),
            textOrNull(identity, "accessKeyId")),
        time,
        node.get("eventName").asText(),
        textOrNull(node, "awsRegion"),
        textOrNull(node, "sourceIPAddress"),
        textOrNull(node, "userAgent"),
        textOrNull(node, "errorCode"),
        textOrNull(node, "errorMessage"),
        compact(node.get("requestParameters")),
        compact(node.get("responseElements")),
        additional == null || additional.isNull() ? null : compact(additional),
        textOrNull(node, "requestID"),
        eventId,
        node.path("readOnly").asBoolean(),
        arns,
        textOrNull(node, "recipientAccountId"));
  }

  private static String textOrNull(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value.asText();
  }
}
