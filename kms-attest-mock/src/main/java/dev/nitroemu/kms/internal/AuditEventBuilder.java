package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.kms.AuditEvent;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Fills an {@link AuditEvent} step by step for {@link AuditEvents}: eventName and eventTime are
 * required, the identity defaults to {@link AuditEvent.UserIdentity#UNKNOWN} and a random eventID
 * is made if none is set.
 */
public final class AuditEventBuilder {
  private String eventVersion = AuditEvent.EVENT_VERSION;
  private AuditEvent.UserIdentity identity = AuditEvent.UserIdentity.UNKNOWN;
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

  /** {@code eventVersion} (default {@value AuditEvent#EVENT_VERSION}). */
  public AuditEventBuilder eventVersion(String version) {
    this.eventVersion = Objects.requireNonNull(version, "version");
    return this;
  }

  /** {@code userIdentity}. */
  public AuditEventBuilder identity(AuditEvent.UserIdentity identity) {
    this.identity = Objects.requireNonNull(identity, "identity");
    return this;
  }

  /** {@code eventTime} (kept to the second). */
  public AuditEventBuilder eventTime(Instant time) {
    this.eventTime = time;
    return this;
  }

  /** {@code eventName}. */
  public AuditEventBuilder eventName(String name) {
    this.eventName = name;
    return this;
  }

  /** {@code awsRegion}. */
  public AuditEventBuilder awsRegion(String region) {
    this.awsRegion = region;
    return this;
  }

  /** {@code sourceIPAddress}. */
  public AuditEventBuilder sourceIpAddress(String address) {
    this.sourceIpAddress = address;
    return this;
  }

  /** {@code userAgent}. */
  public AuditEventBuilder userAgent(String agent) {
    this.userAgent = agent;
    return this;
  }

  /** {@code errorCode} and {@code errorMessage}, for a failed call. */
  public AuditEventBuilder error(String code, String message) {
    this.errorCode = code;
    this.errorMessage = message;
    return this;
  }

  /** {@code requestParameters}; the caller must already have removed secrets. */
  public AuditEventBuilder requestParameters(JsonNode parameters) {
    this.requestParameters = parameters;
    return this;
  }

  /** {@code responseElements}; null writes a JSON null. */
  public AuditEventBuilder responseElements(JsonNode elements) {
    this.responseElements = elements;
    return this;
  }

  /** {@code additionalEventData}; null leaves the field out. */
  public AuditEventBuilder additionalEventData(JsonNode data) {
    this.additionalEventData = data;
    return this;
  }

  /** {@code requestID}. */
  public AuditEventBuilder requestId(String id) {
    this.requestId = id;
    return this;
  }

  /** {@code eventID}; random when not set. */
  public AuditEventBuilder eventId(UUID id) {
    this.eventId = id;
    return this;
  }

  /** {@code readOnly}. */
  public AuditEventBuilder readOnly(boolean value) {
    this.readOnly = value;
    return this;
  }

  /** The key ARNs for {@code resources}. */
  public AuditEventBuilder resources(List<String> arns) {
    this.resources = List.copyOf(arns);
    return this;
  }

  /** {@code recipientAccountId}: the account that owns the resource. */
  public AuditEventBuilder recipientAccountId(String account) {
    this.recipientAccountId = account;
    return this;
  }

  /**
   * The event.
   *
   * @throws NullPointerException if eventName or eventTime is not set
   */
  public AuditEvent build() {
    String additional = AuditEventJson.compact(additionalEventData);
    return new AuditEvent(
        eventVersion,
        identity,
        eventTime,
        eventName,
        awsRegion,
        sourceIpAddress,
        userAgent,
        errorCode,
        errorMessage,
        AuditEventJson.compact(requestParameters),
        AuditEventJson.compact(responseElements),
        additional.equals("null") ? null : additional,
        requestId,
        eventId != null ? eventId : UUID.randomUUID(),
        readOnly,
        resources,
        recipientAccountId);
  }
}
