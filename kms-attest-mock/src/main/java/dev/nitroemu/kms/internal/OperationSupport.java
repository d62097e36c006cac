package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.CmsEnvelope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What every operation handler shares: key resolution, Recipient verification, key-policy
 * authorization, key-state checks and the JSON shapes of responses.
 */
final class OperationSupport {
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  static final int MAX_KEY_ID = 2048;
  static final int MAX_GRANT_TOKENS = 10;

  private final KmsSettings settings;
  private final KeyStore store;
  private final KeyIdentifiers ids;
  private final RecipientVerifier recipients;

  OperationSupport(KmsSettings settings, KeyStore store, RecipientVerifier recipients) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.store = Objects.requireNonNull(store, "store");
    this.recipients = Objects.requireNonNull(recipients, "recipients");
    this.ids = new KeyIdentifiers(settings, store);
  }

  KmsSettings settings() {
    return settings;
  }

  KeyStore store() {
    return store;
  }

  KeyIdentifiers ids() {
    return ids;
  }

  /** The request time (the server's clock when the request arrived). */
  Instant now(KmsCall call) {
    return call.time() != null ? call.time() : settings.clock().instant();
  }

  /** The caller's account. */
  String account(KmsCall call) {
    String account = call.caller() == null ? null : call.caller().accountId();
    return account != null ? account : settings.accountId();
  }

  /** The key named by a KeyId-like parameter. */
  KmsKey resolve(KmsCall call, String identifier, KeyIdentifiers.Forms forms) {
    return ids.resolve(identifier, forms, account(call), now(call));
  }

  /** Reads a required key identifier member (1..2048 characters). */
  static String keyIdMember(RequestFields fields, String member) {
    return fields.requiredString(member, 1, MAX_KEY_ID);
  }

  /** Verifies the request's Recipient, if it has one (call before authorizing: it feeds conditions). */
  AttestedRecipient recipient(KmsCall call) {
    JsonNode recipient = call.request().get("Recipient");
    if (recipient == null || recipient.isNull()) {
      return null;
    }
    return recipients.verify(recipient);
  }

  /**
   * Authorizes an action on a key with its key policy.
   *
   * @param encryptionContext the pairs for {@code kms:EncryptionContext:*} (empty when none)
   * @param attested the verified Recipient, or null
   * @throws KmsError AccessDeniedException unless the policy allows
   */
  void authorize(
      KmsCall call, KmsKey key, String action, Map<String, String> encryptionContext, AttestedRecipient attested) {
    AuthorizationRequest request =
        new AuthorizationRequest(
            action, principal(call), account(call), key.arn(), conditionContext(call, encryptionContext, attested));
    PolicyEvaluator.Decision decision = PolicyEvaluator.evaluate(key.policy(), request);
    if (decision != PolicyEvaluator.Decision.ALLOW) {
      throw PolicyEvaluator.accessDenied(request, decision);
    }
  }

  /** The caller's principal ARN. */
  String principal(KmsCall call) {
    String principal = call.caller() == null ? null : call.caller().principalArn();
    return principal != null ? principal : "arn:" + settings.partition() + ":iam::" + account(call) + ":root";
  }

  private Map<String, List<String>> conditionContext(
      KmsCall call, Map<String, String> encryptionContext, AttestedRecipient attested) {
    Map<String, List<String>> context = new LinkedHashMap<>();
    context.put("kms:CallerAccount", List.of(account(call)));
    context.put("aws:PrincipalArn", List.of(principal(call)));
    encryptionContext.forEach((k, v) -> context.put("kms:EncryptionContext:" + k, List.of(v)));
    if (!encryptionContext.isEmpty()) {
      context.put("kms:EncryptionContextKeys", List.copyOf(encryptionContext.keySet()));
    }
    if (attested != null) {
      context.putAll(attested.conditionContext());
    }
    return context;
  }

  /** Keys must be Enabled for cryptographic operations. */
  static void requireEnabled(KmsKey key) {
    if (key.state() == KeyState.DISABLED) {
      throw new KmsError("DisabledException", key.arn() + " is disabled.");
    }
    requireNotPendingDeletion(key);
  }

  /** KMSInvalidStateException {@code <arn> is pending deletion.} for keys pending deletion. */
  static void requireNotPendingDeletion(KmsKey key) {
    if (key.state() == KeyState.PENDING_DELETION) {
      throw new KmsError("KMSInvalidStateException", key.arn() + " is pending deletion.");
    }
  }

  /** InvalidKeyUsageException unless the key has this usage. */
  static void requireUsage(KmsKey key, String usage, String operation) {
    if (!key.keyUsage().equals(usage)) {
      throw invalidUsage(key, operation);
    }
  }

  /** InvalidKeyUsageException unless the key is a symmetric encryption key. */
  static void requireSymmetric(KmsKey key, String operation) {
    if (key.spec().asymmetric()) {
      throw invalidUsage(key, operation);
    }
  }

  static KmsError invalidUsage(KmsKey key, String operation) {
    return new KmsError(
        "InvalidKeyUsageException",
        key.arn() + " key usage is " + key.keyUsage() + " which is not valid for " + operation + ".");
  }

  /** The EncryptionAlgorithm (default SYMMETRIC_DEFAULT) after checking that it fits the key. */
  static String encryptionAlgorithm(KmsKey key, String requested) {
    String algorithm = requested == null ? "SYMMETRIC_DEFAULT" : requested;
    if (!key.spec().encryptionAlgorithms().contains(algorithm)) {
      throw new KmsError(
          "InvalidKeyUsageException",
          "Algorithm " + algorithm + " is incompatible with key spec " + key.spec().name() + ".");
    }
    return algorithm;
  }

  /** Asymmetric KMS keys take no encryption context. */
  static void requireNoContextForAsymmetric(KmsKey key, Map<String, String> encryptionContext) {
    if (key.spec().asymmetric() && !encryptionContext.isEmpty()) {
      throw KmsError.validation("EncryptionContext is not supported with asymmetric KMS keys.");
    }
  }

  /** DryRunOperationException when the request asked for a dry run (after all checks passed). */
  static void finishDryRun(RequestFields fields) {
    if (fields.bool("DryRun")) {
      throw new KmsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");
    }
  }

  /** Seals what would have been plaintext for a verified Recipient (CMS EnvelopedData). */
  byte[] seal(byte[] plaintext, AttestedRecipient attested) {
    return CmsEnvelope.seal(plaintext, attested.publicKey(), settings.random());
  }

  static KmsResult result(ObjectNode response, List<String> resources, AttestedRecipient attested) {
    return new KmsResult(response, List.copyOf(resources), attested == null ? null : attested.summary());
  }

  static void putBlob(ObjectNode node, String member, byte[] value) {
    node.put(member, Base64.getEncoder().encodeToString(value));
  }

  /** An awsJson timestamp: epoch seconds as a number, with milliseconds. */
  static DecimalNode timestamp(Instant instant) {
    return DecimalNode.valueOf(BigDecimal.valueOf(instant.toEpochMilli(), 3));
  }

  /** The KeyMetadata structure of DescribeKey and CreateKey. */
  static ObjectNode keyMetadata(KmsKey key) {
    ObjectNode metadata = JSON.objectNode();
    metadata.put("AWSAccountId", key.accountId());
    metadata.put("KeyId", key.keyId());
    metadata.put("Arn", key.arn());
    metadata.set("CreationDate", timestamp(key.creationDate()));
    metadata.put("Enabled", key.state() == KeyState.ENABLED);
    metadata.put("Description", key.description());
    metadata.put("KeyUsage", key.keyUsage());
    metadata.put("KeyState", key.state().wireName());
    if (key.deletionDate() != null) {
      metadata.set("DeletionDate", timestamp(key.deletionDate()));
      metadata.put("PendingDeletionWindowInDays", key.pendingWindowInDays());
    }
    metadata.put("Origin", "AWS_KMS");
    metadata.put("KeyManager", "CUSTOMER");
    metadata.put("CustomerMasterKeySpec", key.spec().name());
    metadata.put("KeySpec", key.spec().name());
    if (!key.spec().encryptionAlgorithms().isEmpty()) {
      metadata.set("EncryptionAlgorithms", strings(key.spec().encryptionAlgorithms()));
    }
    if (key.keyUsage().equals(KmsKeySpec.KEY_AGREEMENT)) {
      metadata.set("KeyAgreementAlgorithms", strings(List.of("ECDH")));
    }
    metadata.put("MultiRegion", false);
    if (key.keyMaterialId() != null) {
      metadata.put("CurrentKeyMaterialId", key.keyMaterialId());
    }
    return metadata;
  }

  static ArrayNode strings(List<String> values) {
    ArrayNode array = JSON.arrayNode();
    values.forEach(array::add);
    return array;
  }

  static List<String> resources(KmsKey... keys) {
    List<String> arns = new ArrayList<>();
    for (KmsKey key : keys) {
      arns.add(key.arn());
    }
    return arns;
  }
}
