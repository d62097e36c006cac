package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.KeyPolicyLint;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns KMS calls into CloudTrail-shaped {@link AuditEvent}s. Request parameters are copied from an
 * allow-list of non-secret members in CloudTrail's camelCase, so plaintext, ciphertext blobs,
 * attestation documents, private keys and shared secrets never reach the log; the value of a {@code
 * _custom_key_material_} tag is replaced by {@code HIDDEN_DUE_TO_SECURITY_REASONS}.
 */
public final class AuditEvents {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /**
   * Request members that are never secret; anything else (Plaintext, CiphertextBlob, Recipient...)
   * is dropped.
   */
  private static final Set<String> LOGGED_REQUEST_MEMBERS =
      Set.of(
          "KeyId",
          "EncryptionContext",
          "EncryptionAlgorithm",
          "NumberOfBytes",
          "KeySpec",
          "KeyPairSpec",
          "KeyUsage",
          "Description",
          "Policy",
          "PolicyName",
          "BypassPolicyLockoutSafetyCheck",
          "Origin",
          "CustomerMasterKeySpec",
          "CustomKeyStoreId",
          "Tags",
          "TagKeys",
          "MultiRegion",
          "XksKeyId",
          "AliasName",
          "TargetKeyId",
          "PendingWindowInDays",
          "Limit",
          "Marker",
          "GrantTokens",
          "SourceKeyId",
          "DestinationKeyId",
          "SourceEncryptionContext",
          "DestinationEncryptionContext",
          "SourceEncryptionAlgorithm",
          "DestinationEncryptionAlgorithm",
          "KeyAgreementAlgorithm",
          "PublicKey",
          "DryRun",
          "DryRunModifiers",
          "SigningAlgorithm",
          "MessageType",
          "MacAlgorithm",
          "GranteePrincipal",
          "RetiringPrincipal",
          "Operations",
          "Constraints",
          "Name",
          "GrantId",
          "RotationPeriodInDays",
          "ReplicaRegion",
          "PrimaryRegion",
          "WrappingAlgorithm",
          "WrappingKeySpec",
          "ExpirationModel",
          "IncludeKeyMaterial",
          "ImportType",
          "KeyMaterialDescription",
          "KeyMaterialId",
          "ValidTo");

  /** Response members that are secret or bearer tokens; dropped from responseElements. */
  private static final Set<String> SECRET_RESPONSE_MEMBERS =
      Set.of(
          "Plaintext",
          "CiphertextBlob",
          "CiphertextForRecipient",
          "PrivateKeyPlaintext",
          "PrivateKeyCiphertextBlob",
          "SharedSecret",
          "ImportToken",
          "GrantToken",
          "Signature",
          "Mac");

  /** Members whose values are maps of caller-chosen keys, which keep their case. */
  private static final Set<String> MAP_MEMBERS =
      Set.of(
          "EncryptionContext",
          "SourceEncryptionContext",
          "DestinationEncryptionContext",
          "EncryptionContextSubset",
          "EncryptionContextEquals");

  private static final Set<String> TIMESTAMP_MEMBERS =
      Set.of("CreationDate", "DeletionDate", "ValidTo", "LastUpdatedDate");
  private static final Set<String> KEY_ID_MEMBERS =
      Set.of("KeyId", "SourceKeyId", "DestinationKeyId", "TargetKeyId");
  private static final Set<String> READ_ONLY_OPERATIONS =
      Set.of(
          "Decrypt",
          "Encrypt",
          "ReEncrypt",
          "GenerateDataKey",
          "GenerateDataKeyWithoutPlaintext",
          "GenerateDataKeyPair",
          "GenerateDataKeyPairWithoutPlaintext",
          "GenerateRandom",
          "GenerateMac",
          "VerifyMac",
          "Sign",
          "Verify",
          "DeriveSharedSecret");

  /** The PCRs a real event names, in its order; PCR0 is reported as the image digest. */
  private static final int[] RECIPIENT_PCRS = {1, 2, 3, 4, 8};

  // CloudTrail writes KeyMetadata dates as e.g. "Aug 10, 2022, 10:38:27 PM" (UTC).
  private static final DateTimeFormatter CLOUDTRAIL_DATE =
      DateTimeFormatter.ofPattern("MMM d, yyyy, h:mm:ss a", Locale.US).withZone(ZoneOffset.UTC);
  private static final int MAX_STRING = 4096;
  private static final int MAX_POLICY = KeyPolicy.MAX_POLICY_BYTES;
  private static final int MAX_ENTRIES = 256;
  private static final int MAX_DEPTH = 6;
  private static final Pattern KEY_ARN = Pattern.compile("arn:[^:]+:kms:[^:]*:(\\d{12}):key/.+");

  private AuditEvents() {}

  /** The event for a call that succeeded. */
  public static AuditEvent succeeded(KmsCall call, KmsResult result, String region) {
    AuditEventBuilder event = authenticated(call, region);
    List<String> resources = result.resources() == null ? List.of() : result.resources();
    event
        .responseElements(responseElements(call.operation(), result.response()))
        .resources(resources)
        .recipientAccountId(owner(resources, call.caller()));
    ObjectNode additional = NODES.objectNode();
    if (result.recipient() != null) {
      additional.set("recipient", recipient(result.recipient()));
    }
    if (!result.warnings().isEmpty()) {
      ArrayNode warnings = additional.putArray("warnings");
      for (KeyPolicyLint.Warning warning : result.warnings()) {
        warnings
            .addObject()
            .put("rule", warning.rule())
            .put("statement", warning.statement())
            .put("message", warning.message());
      }
    }
    if (!additional.isEmpty()) {
      event.additionalEventData(additional);
    }
    return event.build();
  }

  /**
   * The event for an authenticated call that failed with a KMS error; a denial's reason ({@link
   * KmsError#denial()}, see {@link DenialDetails}) goes into {@code additionalEventData.denial}.
   */
  public static AuditEvent failed(KmsCall call, KmsError error, String region) {
    List<String> resources = keyArnsIn(call.request());
    ObjectNode denial = error.denial();
    return authenticated(call, region)
        .error(error.type(), error.getMessage())
        .resources(resources)
        .recipientAccountId(owner(resources, call.caller()))
        .additionalEventData(denial == null ? null : NODES.objectNode().set("denial", denial))
        .build();
  }

  /**
   * The event for a call refused before authentication completed (bad signature, unknown key...).
   */
  public static AuditEvent rejected(
      String operation,
      String requestId,
      Instant time,
      String userAgent,
      String sourceAddress,
      KmsError error,
      String region) {
    return new AuditEventBuilder()
        .eventTime(time)
        .eventName(operation == null || operation.isEmpty() ? "Unknown" : operation)
        .awsRegion(region)
        .sourceIpAddress(sourceAddress)
        .userAgent(userAgent)
        .error(error.type(), error.getMessage())
        .requestId(requestId)
        .readOnly(operation != null && readOnly(operation))
        .build();
  }

  /**
   * Whether CloudTrail marks the operation read-only: Describe/Get/List and the cryptographic
   * operations.
   */
  public static boolean readOnly(String operation) {
    return operation.startsWith("Describe")
        || operation.startsWith("Get")
        || operation.startsWith("List")
        || READ_ONLY_OPERATIONS.contains(operation);
  }

  /**
   * CloudTrail's requestParameters for a request body: allow-listed members in camelCase, or a JSON
   * null.
   */
  public static JsonNode requestParameters(ObjectNode request) {
    if (request == null || request.isEmpty()) {
      return NODES.nullNode();
    }
    ObjectNode parameters = NODES.objectNode();
    for (Map.Entry<String, JsonNode> member : request.properties()) {
      if (LOGGED_REQUEST_MEMBERS.contains(member.getKey())) {
        int limit = member.getKey().equals("Policy") ? MAX_POLICY : MAX_STRING;
        JsonNode value =
            member.getKey().equals("Tags")
                ? LocalStackTags.redact(member.getValue())
                : member.getValue();
        parameters.set(camelCase(member.getKey()), copy(member.getKey(), value, limit, 0));
      }
    }
    return parameters.isEmpty() ? NODES.nullNode() : parameters;
  }

  /**
   * CloudTrail's responseElements: null for read-only and output-less operations, else the
   * non-secret members.
   */
  public static JsonNode responseElements(String operation, ObjectNode response) {
    if (readOnly(operation) || response == null || response.isEmpty()) {
      return NODES.nullNode();
    }
    ObjectNode elements = NODES.objectNode();
    for (Map.Entry<String, JsonNode> member : response.properties()) {
      if (!SECRET_RESPONSE_MEMBERS.contains(member.getKey())) {
        elements.set(
            camelCase(member.getKey()), copy(member.getKey(), member.getValue(), MAX_POLICY, 0));
      }
    }
    return elements.isEmpty() ? NODES.nullNode() : elements;
  }

  /**
   * {@code additionalEventData.recipient}: module id, PCR0 as the image digest, PCR1/2/3/4/8, all
   * base64.
   */
  public static ObjectNode recipient(RecipientSummary summary) {
    ObjectNode recipient = NODES.objectNode();
    recipient.put("attestationDocumentModuleId", summary.moduleId());
    Base64.Encoder base64 = Base64.getEncoder();
    byte[] pcr0 = summary.pcrs().get(0);
    if (pcr0 != null) {
      recipient.put("attestationDocumentEnclaveImageDigest", base64.encodeToString(pcr0));
    }
    for (int index : RECIPIENT_PCRS) {
      byte[] pcr = summary.pcrs().get(index);
      if (pcr != null) {
        recipient.put("attestationDocumentEnclavePCR" + index, base64.encodeToString(pcr));
      }
    }
    return recipient;
  }

  private static AuditEventBuilder authenticated(KmsCall call, String region) {
    CallerIdentity caller = call.caller();
    AuditEventBuilder event = new AuditEventBuilder();
    if (caller != null) {
      String type = identityType(caller.principalArn());
      event.identity(
          new AuditEvent.UserIdentity(
              type,
              type.equals("Root") ? caller.accountId() : null,
              caller.principalArn(),
              caller.accountId(),
              caller.accessKeyId()));
    }
    return event
        .eventTime(call.time())
        .eventName(call.operation())
        .awsRegion(region)
        .sourceIpAddress(call.sourceAddress())
        .userAgent(call.userAgent())
        .requestParameters(requestParameters(call.request()))
        .requestId(call.requestId())
        .readOnly(readOnly(call.operation()));
  }

  private static String identityType(String principalArn) {
    if (principalArn == null) {
      return "Unknown";
    }
    if (principalArn.matches("arn:[^:]+:iam::\\d{12}:root")) {
      return "Root";
    }
    if (principalArn.matches("arn:[^:]+:iam::\\d{12}:user/.+")) {
      return "IAMUser";
    }
    if (principalArn.matches("arn:[^:]+:sts::\\d{12}:assumed-role/.+")) {
      return "AssumedRole";
    }
    if (principalArn.matches("arn:[^:]+:sts::\\d{12}:federated-user/.+")) {
      return "FederatedUser";
    }
    return "Unknown";
  }

  /** The account owning the first resource, else the caller's. */
  private static String owner(List<String> resources, CallerIdentity caller) {
    for (String arn : resources) {
      String[] parts = arn.split(":", 6);
      if (parts.length == 6 && parts[4].matches("\\d{12}")) {
        return parts[4];
      }
    }
    return caller == null ? null : caller.accountId();
  }

  /** Key ARNs named in a request's key-id members, for the resources of a failed call. */
  private static List<String> keyArnsIn(ObjectNode request) {
    List<String> arns = new ArrayList<>();
    if (request == null) {
      return arns;
    }
    for (String member : KEY_ID_MEMBERS) {
      JsonNode value = request.get(member);
      if (value != null && value.isTextual() && value.textValue().length() <= 2048) {
        Matcher arn = KEY_ARN.matcher(value.textValue());
        if (arn.matches() && !arns.contains(value.textValue())) {
          arns.add(value.textValue());
        }
      }
    }
    return arns;
  }

  /** A bounded copy: long strings cut, big collections trimmed, structure names camelCased. */
  private static JsonNode copy(String member, JsonNode value, int stringLimit, int depth) {
    if (TIMESTAMP_MEMBERS.contains(member) && value.isNumber()) {
      BigDecimal seconds = value.decimalValue();
      return NODES.textNode(
          CLOUDTRAIL_DATE.format(Instant.ofEpochMilli(seconds.movePointRight(3).longValue())));
    }
    if (value.isTextual()) {
      String text = value.textValue();
      return text.length() <= stringLimit
          ? value
          : NODES.textNode(text.substring(0, stringLimit) + "...(truncated)");
    }
    if (depth >= MAX_DEPTH && value.isContainerNode()) {
      return NODES.textNode("...(truncated)");
    }
    if (value.isArray()) {
      ArrayNode array = NODES.arrayNode();
      for (JsonNode element : value) {
        if (array.size() == MAX_ENTRIES) {
          break;
        }
        array.add(copy(member, element, stringLimit, depth + 1));
      }
      return array;
    }
    if (value.isObject()) {
      boolean keepNames = MAP_MEMBERS.contains(member);
      ObjectNode object = NODES.objectNode();
      for (Map.Entry<String, JsonNode> field : value.properties()) {
        if (object.size() == MAX_ENTRIES) {
          break;
        }
        if (!keepNames && SECRET_RESPONSE_MEMBERS.contains(field.getKey())) {
          continue;
        }
        String name = keepNames ? truncate(field.getKey()) : camelCase(field.getKey());
        object.set(name, copy(field.getKey(), field.getValue(), MAX_STRING, depth + 1));
      }
      return object;
    }
    return value;
  }

  private static String truncate(String text) {
    return text.length() <= MAX_STRING ? text : text.substring(0, MAX_STRING) + "...(truncated)";
  }

  /** {@code KeyId} to {@code keyId}; {@code AWSAccountId} stays as CloudTrail writes it. */
  static String camelCase(String name) {
    if (name.isEmpty() || name.equals("AWSAccountId") || !Character.isUpperCase(name.charAt(0))) {
      return truncate(name);
    }
    return truncate(Character.toLowerCase(name.charAt(0)) + name.substring(1));
  }
}
