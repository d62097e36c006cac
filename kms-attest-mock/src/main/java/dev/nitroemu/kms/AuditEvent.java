package dev.nitroemu.kms;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.kms.internal.AuditEventJson;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One KMS call as an AWS CloudTrail record ({@code eventSource} {@code kms.amazonaws.com}): who
 * called, which operation, its parameters without secrets, the outcome, and for attested calls the
 * enclave's measurements in {@code additionalEventData.recipient}.
 *
 * <p>An immutable value: two events are equal when all their fields are. The JSON members are kept
 * as compact JSON text, normalised on construction so that equal documents are equal strings;
 * {@link #requestParameters()} and its siblings parse a fresh tree on each call. {@link #toJson()}
 * writes the record in CloudTrail's field order and {@link #fromJson} reads it back.
 *
 * @param eventVersion {@code eventVersion}, e.g. {@value #EVENT_VERSION}
 * @param userIdentity {@code userIdentity}
 * @param eventTime {@code eventTime}, truncated to the second as CloudTrail records it
 * @param eventName {@code eventName}: the operation, e.g. {@code Decrypt}
 * @param awsRegion {@code awsRegion}, or null
 * @param sourceIpAddress {@code sourceIPAddress}, or null
 * @param userAgent {@code userAgent}, or null
 * @param errorCode {@code errorCode}: the error's {@code __type}, or null for a successful call
 * @param errorMessage {@code errorMessage}, or null
 * @param requestParametersJson {@code requestParameters} as JSON text: an object without secrets,
 *     or {@code null} (the JSON literal; a Java null means the same)
 * @param responseElementsJson {@code responseElements} as JSON text: an object, or {@code null}
 * @param additionalEventDataJson {@code additionalEventData} as JSON text (an object), or a Java
 *     null when the record has none
 * @param requestId {@code requestID}: the {@code x-amzn-RequestId} of the response, or null
 * @param eventId {@code eventID}: unique to this event
 * @param readOnly {@code readOnly}
 * @param resources the key ARNs of {@code resources} ({@code AWS::KMS::Key})
 * @param recipientAccountId {@code recipientAccountId}: the account owning the resource, or null
 */
public record AuditEvent(
    String eventVersion,
    UserIdentity userIdentity,
    Instant eventTime,
    String eventName,
    String awsRegion,
    String sourceIpAddress,
    String userAgent,
    String errorCode,
    String errorMessage,
    String requestParametersJson,
    String responseElementsJson,
    String additionalEventDataJson,
    String requestId,
    UUID eventId,
    boolean readOnly,
    List<String> resources,
    String recipientAccountId) {

  /** The CloudTrail record version written. */
  public static final String EVENT_VERSION = "1.08";

  /** The event source of every KMS record. */
  public static final String EVENT_SOURCE = "kms.amazonaws.com";

  /**
   * Checks and normalises the fields.
   *
   * @throws NullPointerException if eventVersion, userIdentity, eventTime, eventName, eventId or
   *     resources is null
   * @throws IllegalArgumentException if a JSON member is not a JSON object (or {@code null} where
   *     allowed)
   */
  public AuditEvent {
    Objects.requireNonNull(eventVersion, "eventVersion");
    Objects.requireNonNull(userIdentity, "userIdentity");
    eventTime = Objects.requireNonNull(eventTime, "eventTime").truncatedTo(ChronoUnit.SECONDS);
    Objects.requireNonNull(eventName, "eventName");
    requestParametersJson =
        AuditEventJson.canonical(requestParametersJson, "requestParameters", true);
    responseElementsJson = AuditEventJson.canonical(responseElementsJson, "responseElements", true);
    additionalEventDataJson =
        additionalEventDataJson == null
            ? null
            : AuditEventJson.canonical(additionalEventDataJson, "additionalEventData", false);
    Objects.requireNonNull(eventId, "eventId");
    resources = List.copyOf(resources);
  }

  /**
   * Reads a record written by {@link #toJson()}; fields CloudTrail has but this type does not keep
   * are dropped.
   *
   * @throws IllegalArgumentException if the text is not such a record
   */
  public static AuditEvent fromJson(String json) {
    return AuditEventJson.read(json);
  }

  /** {@code eventSource}: always {@value #EVENT_SOURCE}. */
  public String eventSource() {
    return EVENT_SOURCE;
  }

  /**
   * {@code requestParameters} in CloudTrail's camelCase, a fresh tree; a JSON null when there were
   * none.
   */
  public JsonNode requestParameters() {
    return AuditEventJson.parse(requestParametersJson);
  }

  /**
   * {@code responseElements}, a fresh tree: a JSON null for cryptographic and read-only operations.
   */
  public JsonNode responseElements() {
    return AuditEventJson.parse(responseElementsJson);
  }

  /**
   * {@code additionalEventData} as a fresh tree, or null when absent: {@code recipient} for
   * attested calls, {@code warnings} ({@code rule}, {@code statement}, {@code message}; see {@link
   * KeyPolicyLint}) for a CreateKey or PutKeyPolicy whose policy has lint warnings, {@code denial}
   * for a denied call: the statement and condition that decided and what the attestation document
   * presented, which {@link RequestLogEntry#reason()} renders (not part of real CloudTrail
   * records).
   */
  public JsonNode additionalEventData() {
    return additionalEventDataJson == null ? null : AuditEventJson.parse(additionalEventDataJson);
  }

  /** The record as one line of JSON, fields in CloudTrail's order. */
  public String toJson() {
    return AuditEventJson.write(this);
  }

  /** The same as {@link #toJson()}. */
  @Override
  public String toString() {
    return toJson();
  }

  /**
   * CloudTrail's {@code userIdentity} of a KMS call.
   *
   * @param type Root, IAMUser, AssumedRole, FederatedUser, or Unknown (also for null) before
   *     authentication
   * @param principalId {@code principalId}, or null
   * @param arn the caller's principal ARN, or null when the call was refused before authentication
   * @param accountId {@code accountId}, or null
   * @param accessKeyId {@code accessKeyId}, or null
   */
  public record UserIdentity(
      String type, String principalId, String arn, String accountId, String accessKeyId) {
    /** The identity of a call refused before its caller was known. */
    public static final UserIdentity UNKNOWN = new UserIdentity("Unknown", null, null, null, null);

    /** Makes a null type {@code Unknown}. */
    public UserIdentity {
      type = type == null ? "Unknown" : type;
    }
  }
}
