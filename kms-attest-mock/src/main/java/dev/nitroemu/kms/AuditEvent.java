package dev.nitroemu.kms;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.nitroemu.kms.internal.AuditEvents;
import dev.nitroemu.kms.internal.StringPool;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One KMS call as an AWS CloudTrail record ({@code eventSource} {@code kms.amazonaws.com}): who called,
 * which operation, its parameters without secrets, the outcome, and for attested calls the enclave's
 * measurements in {@code additionalEventData.recipient}. Immutable; {@link #toJson()} writes the
 * record in CloudTrail's field order.
 */
public final class AuditEvent {
  /** The CloudTrail record version written. */
  public static final String EVENT_VERSION = "1.08";
  /** The event source of every KMS record. */
  public static final String EVENT_SOURCE = "kms.amazonaws.com";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFactory FACTORY = JSON.getFactory();
  private static final Pattern ASSUMED_ROLE = Pattern.compile("arn:([^:]+):sts::(\\d{12}):assumed-role/([^/]+)/.+");

  private final String eventVersion;
  private final String identityType;
  private final String principalId;
  private final String principalArn;
  private final String accountId;
  private final String accessKeyId;
  private final long eventTime;
  private final String eventName;
  private final String awsRegion;
  private final String sourceIpAddress;
  private final String userAgent;
  private final String errorCode;
  private final String errorMessage;
  private final String requestParameters;
  private final String responseElements;
  private final String additionalEventData;
  private final String requestId;
  private final long requestIdHigh;
  private final long requestIdLow;
  private final long eventIdHigh;
  private final long eventIdLow;
  private final boolean readOnly;
  private final String[] resources;
  private final String recipientAccountId;

  private AuditEvent(Builder b) {
    this.eventVersion = StringPool.share(b.eventVersion);
    this.identityType = StringPool.share(b.identityType);
    this.principalId = StringPool.share(b.principalId);
    this.principalArn = StringPool.share(b.principalArn);
    this.accountId = StringPool.share(b.accountId);
    this.accessKeyId = StringPool.share(b.accessKeyId);
    this.eventTime = Objects.requireNonNull(b.eventTime, "eventTime").getEpochSecond();
    this.eventName = StringPool.share(Objects.requireNonNull(b.eventName, "eventName"));
    this.awsRegion = StringPool.share(b.awsRegion);
    this.sourceIpAddress = StringPool.share(b.sourceIpAddress);
    this.userAgent = StringPool.share(b.userAgent);
    this.errorCode = StringPool.share(b.errorCode);
    this.errorMessage = b.errorMessage;
    this.requestParameters = StringPool.share(compact(b.requestParameters));
    this.responseElements = StringPool.share(compact(b.responseElements));
    this.additionalEventData = b.additionalEventData == null ? null : StringPool.share(compact(b.additionalEventData));
    // Request ids are usually UUIDs: two longs instead of a 36-character String.
    UUID requestUuid = StringPool.asUuid(b.requestId);
    this.requestId = requestUuid == null ? b.requestId : null;
    this.requestIdHigh = requestUuid == null ? 0 : requestUuid.getMostSignificantBits();
    this.requestIdLow = requestUuid == null ? 0 : requestUuid.getLeastSignificantBits();
    UUID id = b.eventId != null ? b.eventId : UUID.randomUUID();
    this.eventIdHigh = id.getMostSignificantBits();
    this.eventIdLow = id.getLeastSignificantBits();
    this.readOnly = b.readOnly;
    this.resources = b.resources.stream().map(StringPool::share).toArray(String[]::new);
    this.recipientAccountId = StringPool.share(b.recipientAccountId);
  }

  /** A builder for events; AuditEvents in the internal package fills it from a call. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads a record written by {@link #toJson()}; fields CloudTrail has but this class does not keep
   * are dropped.
   *
   * @throws IllegalArgumentException if the text is not such a record
   */
  public static AuditEvent fromJson(String json) {
    return AuditEvents.fromJson(json);
  }

  /** {@code eventVersion}. */
  public String eventVersion() {
    return eventVersion;
  }

  /** {@code userIdentity.type}: Root, IAMUser, AssumedRole, FederatedUser, or Unknown before authentication. */
  public String userIdentityType() {
    return identityType;
  }

  /** {@code userIdentity.principalId}, or null. */
  public String principalId() {
    return principalId;
  }

  /** {@code userIdentity.arn}: the caller's principal ARN, or null when the call was refused before authentication. */
  public String principalArn() {
    return principalArn;
  }

  /** {@code userIdentity.accountId}, or null. */
  public String accountId() {
    return accountId;
  }

  /** {@code userIdentity.accessKeyId}, or null. */
  public String accessKeyId() {
    return accessKeyId;
  }

  /** {@code eventTime}, to the second as CloudTrail records it. */
  public Instant eventTime() {
    return Instant.ofEpochSecond(eventTime);
  }

  /** {@code eventSource}: always {@code kms.amazonaws.com}. */
  public String eventSource() {
    return EVENT_SOURCE;
  }

  /** {@code eventName}: the operation, e.g. {@code Decrypt}. */
  public String eventName() {
    return eventName;
  }

  /** {@code awsRegion}. */
  public String awsRegion() {
    return awsRegion;
  }

  /** {@code sourceIPAddress}, or null. */
  public String sourceIpAddress() {
    return sourceIpAddress;
  }

  /** {@code userAgent}, or null. */
  public String userAgent() {
    return userAgent;
  }

  /** {@code errorCode}: the error's {@code __type}, or null for a successful call. */
  public String errorCode() {
    return errorCode;
  }

  /** {@code errorMessage}, or null. */
  public String errorMessage() {
    return errorMessage;
  }

  /** {@code requestParameters} in CloudTrail's camelCase, without secrets; a JSON null when there were none. */
  public JsonNode requestParameters() {
    return parse(requestParameters);
  }

  /** {@code responseElements}: a JSON null for cryptographic and read-only operations. */
  public JsonNode responseElements() {
    return parse(responseElements);
  }

  /**
   * {@code additionalEventData}, or null when absent: {@code recipient} for attested calls, {@code warnings}
   * ({@code rule}, {@code statement}, {@code message}; see {@link KeyPolicyLint}) for a CreateKey or
   * PutKeyPolicy whose policy has lint warnings.
   */
  public JsonNode additionalEventData() {
    return additionalEventData == null ? null : parse(additionalEventData);
  }

  /** {@code requestID}: the {@code x-amzn-RequestId} of the response. */
  public String requestId() {
    return requestId != null || (requestIdHigh == 0 && requestIdLow == 0)
        ? requestId
        : new UUID(requestIdHigh, requestIdLow).toString();
  }

  /** {@code eventID}: a UUID unique to this event. */
  public String eventId() {
    return new UUID(eventIdHigh, eventIdLow).toString();
  }

  /** {@code readOnly}. */
  public boolean readOnly() {
    return readOnly;
  }

  /** The ARNs of {@code resources} ({@code AWS::KMS::Key}). */
  public List<String> resources() {
    return List.of(resources);
  }

  /** {@code recipientAccountId}, or null. */
  public String recipientAccountId() {
    return recipientAccountId;
  }

  /** The record as one line of JSON, fields in CloudTrail's order. */
  public String toJson() {
    StringWriter out = new StringWriter(512);
    try (JsonGenerator json = FACTORY.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("eventVersion", eventVersion);
      writeIdentity(json);
      json.writeStringField("eventTime", DateTimeFormatter.ISO_INSTANT.format(eventTime()));
      json.writeStringField("eventSource", EVENT_SOURCE);
      json.writeStringField("eventName", eventName);
      optional(json, "awsRegion", awsRegion);
      optional(json, "sourceIPAddress", sourceIpAddress);
      optional(json, "userAgent", userAgent);
      optional(json, "errorCode", errorCode);
      optional(json, "errorMessage", errorMessage);
      json.writeFieldName("requestParameters");
      json.writeRawValue(requestParameters);
      json.writeFieldName("responseElements");
      json.writeRawValue(responseElements);
      if (additionalEventData != null) {
        json.writeFieldName("additionalEventData");
        json.writeRawValue(additionalEventData);
      }
      optional(json, "requestID", requestId());
      json.writeStringField("eventID", eventId());
      json.writeBooleanField("readOnly", readOnly);
      json.writeArrayFieldStart("resources");
      for (String arn : resources) {
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
      optional(json, "recipientAccountId", recipientAccountId);
      json.writeStringField("eventCategory", "Management");
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString();
  }

  private void writeIdentity(JsonGenerator json) throws IOException {
    json.writeObjectFieldStart("userIdentity");
    json.writeStringField("type", identityType == null ? "Unknown" : identityType);
    optional(json, "principalId", principalId);
    optional(json, "arn", principalArn);
    optional(json, "accountId", accountId);
    optional(json, "accessKeyId", accessKeyId);
    Matcher session = principalArn == null ? null : ASSUMED_ROLE.matcher(principalArn);
    if (session != null && session.matches()) {
      json.writeObjectFieldStart("sessionContext");
      json.writeObjectFieldStart("sessionIssuer");
      json.writeStringField("type", "Role");
      json.writeStringField("arn", "arn:" + session.group(1) + ":iam::" + session.group(2) + ":role/" + session.group(3));
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

  private static String compact(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return "null";
    }
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not serializable as JSON", e);
    }
  }

  private static JsonNode parse(String json) {
    try {
      JsonNode node = JSON.readTree(json);
      return node == null ? NullNode.getInstance() : node;
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored JSON does not parse", e);
    }
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof AuditEvent && ((AuditEvent) other).toJson().equals(toJson());
  }

  @Override
  public int hashCode() {
    return toJson().hashCode();
  }

  @Override
  public String toString() {
    return toJson();
  }

  /** Fills an {@link AuditEvent}; eventName and eventTime are required, a random eventID is made if none is set. */
  public static final class Builder {
    private String eventVersion = EVENT_VERSION;
    private String identityType;
    private String principalId;
    private String principalArn;
    private String accountId;
    private String accessKeyId;
    private Instant eventTime;
    private String eventName;
    private String awsRegion;
    private String sourceIpAddress;
    private String userAgent;
    private String errorCode;
    private String errorMessage;
    private JsonNode requestParameters;
    private JsonNode responseElements;
    private JsonNode additionalEventData;
    private String requestId;
    private UUID eventId;
    private boolean readOnly;
    private List<String> resources = List.of();
    private String recipientAccountId;

    private Builder() {}

    /** {@code eventVersion} (default 1.08). */
    public Builder eventVersion(String version) {
      this.eventVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /** {@code userIdentity}: type, principalId, arn, accountId and accessKeyId, each nullable. */
    public Builder identity(String type, String principalId, String arn, String accountId, String accessKeyId) {
      this.identityType = type;
      this.principalId = principalId;
      this.principalArn = arn;
      this.accountId = accountId;
      this.accessKeyId = accessKeyId;
      return this;
    }

    /** {@code eventTime} (kept to the second). */
    public Builder eventTime(Instant time) {
      this.eventTime = time.truncatedTo(ChronoUnit.SECONDS);
      return this;
    }

    /** {@code eventName}. */
    public Builder eventName(String name) {
      this.eventName = name;
      return this;
    }

    /** {@code awsRegion}. */
    public Builder awsRegion(String region) {
      this.awsRegion = region;
      return this;
    }

    /** {@code sourceIPAddress}. */
    public Builder sourceIpAddress(String address) {
      this.sourceIpAddress = address;
      return this;
    }

    /** {@code userAgent}. */
    public Builder userAgent(String agent) {
      this.userAgent = agent;
      return this;
    }

    /** {@code errorCode} and {@code errorMessage}, for a failed call. */
    public Builder error(String code, String message) {
      this.errorCode = code;
      this.errorMessage = message;
      return this;
    }

    /** {@code requestParameters}; the caller must already have removed secrets. */
    public Builder requestParameters(JsonNode parameters) {
      this.requestParameters = parameters;
      return this;
    }

    /** {@code responseElements}; null writes a JSON null. */
    public Builder responseElements(JsonNode elements) {
      this.responseElements = elements;
      return this;
    }

    /** {@code additionalEventData}; null leaves the field out. */
    public Builder additionalEventData(JsonNode data) {
      this.additionalEventData = data == null || data.isNull() || data.isMissingNode() ? null : data;
      return this;
    }

    /** {@code requestID}. */
    public Builder requestId(String id) {
      this.requestId = id;
      return this;
    }

    /** {@code eventID}; random when not set. */
    public Builder eventId(UUID id) {
      this.eventId = id;
      return this;
    }

    /** {@code readOnly}. */
    public Builder readOnly(boolean value) {
      this.readOnly = value;
      return this;
    }

    /** The key ARNs for {@code resources}. */
    public Builder resources(List<String> arns) {
      this.resources = List.copyOf(arns);
      return this;
    }

    /** {@code recipientAccountId}: the account that owns the resource. */
    public Builder recipientAccountId(String account) {
      this.recipientAccountId = account;
      return this;
    }

    /** The event. */
    public AuditEvent build() {
      return new AuditEvent(this);
    }
  }
}
