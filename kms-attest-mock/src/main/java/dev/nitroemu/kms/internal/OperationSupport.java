package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.CmsEnvelope;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * What every operation handler of one region shares: key resolution (bringing keys up to date with
 * {@link KeyMaintenance}), Recipient verification, authorization by key policy and grants,
 * key-state checks and the JSON shapes of responses.
 */
final class OperationSupport {
  static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  static final int MAX_KEY_ID = 2048;
  static final int MAX_GRANT_TOKENS = 10;

  private final KmsRegions regions;
  private final KmsSettings settings;
  private final KeyStore store;
  private final KeyIdentifiers ids;
  private final RecipientVerifier recipients;
  private final KeyMaintenance maintenance;

  OperationSupport(KmsRegions regions, String region, RecipientVerifier recipients) {
    this.regions = Objects.requireNonNull(regions, "regions");
    this.settings = regions.settings(region);
    this.store = regions.store(region);
    this.recipients = Objects.requireNonNull(recipients, "recipients");
    this.ids = new KeyIdentifiers(settings, store);
    this.maintenance = new KeyMaintenance(regions, settings.random());
  }

  /** Every region the mock serves. */
  KmsRegions regions() {
    return regions;
  }

  KeyMaintenance maintenance() {
    return maintenance;
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

  /** The key named by a KeyId-like parameter, up to date (due rotations and expiries applied). */
  KmsKey resolve(KmsCall call, String identifier, KeyIdentifiers.Forms forms) {
    return maintenance.upToDate(
        ids.resolve(identifier, forms, account(call), now(call)), now(call));
  }

  /**
   * The key a ciphertext blob names, up to date, or null when the caller's account has no such key
   * here.
   */
  KmsKey keyOfCiphertext(KmsCall call, String keyId) {
    KmsKey key = ids.keyOfCiphertext(keyId, account(call), now(call));
    return key == null ? null : maintenance.upToDate(key, now(call));
  }

  /**
   * Changes a key atomically (see {@link KeyStore#update}); {@code change} may throw a KmsError.
   *
   * @throws KmsError NotFoundException when the key was deleted meanwhile
   */
  KmsKey update(KmsCall call, KmsKey key, UnaryOperator<KmsKey> change) {
    KmsKey changed = store.update(key.keyId(), now(call), change);
    if (changed == null) {
      throw KmsError.notFound("Key '" + key.arn() + "' does not exist");
    }
    return changed;
  }

  /** Reads a required key identifier member (1..2048 characters). */
  static String keyIdMember(RequestFields fields, String member) {
    return fields.requiredString(member, 1, MAX_KEY_ID);
  }

  /**
   * Verifies the request's Recipient, if it has one (call before authorizing: it feeds conditions).
   */
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
      KmsCall call,
      KmsKey key,
      String action,
      Map<String, String> encryptionContext,
      AttestedRecipient attested) {
    authorize(call, key, action, encryptionContext, attested, Map.of());
  }

  /**
   * Authorizes an action on a key with its key policy and, when the policy does not explicitly
   * deny, its grants ({@link Grants#permits}).
   *
   * @param conditions further condition keys of this action (e.g. {@code kms:GrantOperations})
   * @throws KmsError AccessDeniedException unless the policy or a grant allows
   */
  void authorize(
      KmsCall call,
      KmsKey key,
      String action,
      Map<String, String> encryptionContext,
      AttestedRecipient attested,
      Map<String, List<String>> conditions) {
    authorize(
        call,
        key,
        action,
        encryptionContext,
        attested,
        conditions,
        grant -> Grants.permits(grant, action, encryptionContext));
  }

  /**
   * Authorizes with the key policy, then with the caller's grants that {@code grantPermits} accepts
   * (a grant is the caller's when its grantee principal names the caller, as a policy principal
   * would).
   */
  void authorize(
      KmsCall call,
      KmsKey key,
      String action,
      Map<String, String> encryptionContext,
      AttestedRecipient attested,
      Map<String, List<String>> conditions,
      Predicate<KmsGrant> grantPermits) {
    Map<String, List<String>> context = conditionContext(call, encryptionContext, attested);
    context.putAll(keyConditions(key, now(call)));
    context.putAll(conditions);
    AuthorizationRequest request =
        new AuthorizationRequest(action, principal(call), account(call), key.arn(), context);
    PolicyEvaluator.Decision decision = PolicyEvaluator.evaluate(key.policy(), request);
    if (decision == PolicyEvaluator.Decision.ALLOW) {
      return;
    }
    int callerGrants = 0;
    if (decision == PolicyEvaluator.Decision.IMPLICIT_DENY) {
      for (KmsGrant grant : store.grants(key.keyId())) {
        if (PolicyEvaluator.principalMatches(
            grant.granteePrincipal(), principal(call), account(call))) {
          if (grantPermits.test(grant)) {
            return;
          }
          callerGrants++;
        }
      }
    }
    PolicyDenial denial = PolicyEvaluator.explain(key.policy(), request);
    throw PolicyEvaluator.accessDenied(request, decision)
        .withDenial(DenialDetails.policy(denial, callerGrants, attested, now(call)));
  }

  /**
   * Condition keys that describe the key: {@code kms:KeySpec}, {@code kms:KeyUsage}, {@code
   * kms:KeyOrigin}, {@code kms:MultiRegion}, {@code kms:MultiRegionKeyType} and its tags ({@code
   * aws:ResourceTag/<key>}).
   */
  private Map<String, List<String>> keyConditions(KmsKey key, Instant now) {
    Map<String, List<String>> context = new LinkedHashMap<>();
    context.put("kms:KeySpec", List.of(key.spec().name()));
    context.put("kms:KeyUsage", List.of(key.keyUsage()));
    key.tags().forEach((k, v) -> context.put("aws:ResourceTag/" + k, List.of(v)));
    context.put("kms:KeyOrigin", List.of(key.origin()));
    context.put("kms:MultiRegion", List.of(String.valueOf(key.multiRegion() != null)));
    if (key.multiRegion() != null) {
      context.put(
          "kms:MultiRegionKeyType",
          List.of(MultiRegionKeys.isPrimary(key, regions, now) ? "PRIMARY" : "REPLICA"));
    }
    return context;
  }

  /** The caller's principal ARN. */
  String principal(KmsCall call) {
    String principal = call.caller() == null ? null : call.caller().principalArn();
    return principal != null
        ? principal
        : "arn:" + settings.partition() + ":iam::" + account(call) + ":root";
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
    requireNotPendingImport(key);
  }

  /**
   * KMSInvalidStateException {@code <arn> is pending import.} for keys waiting for their key
   * material.
   */
  static void requireNotPendingImport(KmsKey key) {
    if (key.state() == KeyState.PENDING_IMPORT) {
      throw new KmsError("KMSInvalidStateException", key.arn() + " is pending import.");
    }
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
        key.arn()
            + " key usage is "
            + key.keyUsage()
            + " which is not valid for "
            + operation
            + ".");
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
      throw new KmsError(
          "DryRunOperationException",
          "The request would have succeeded, but the DryRun option is set.");
    }
  }

  /** Seals what would have been plaintext for a verified Recipient (CMS EnvelopedData). */
  byte[] seal(byte[] plaintext, AttestedRecipient attested) {
    return CmsEnvelope.seal(plaintext, attested.publicKey(), settings.random());
  }

  static KmsResult result(ObjectNode response, List<String> resources, AttestedRecipient attested) {
    return new KmsResult(
        response, List.copyOf(resources), attested == null ? null : attested.summary());
  }

  static void putBlob(ObjectNode node, String member, byte[] value) {
    node.put(member, Base64.getEncoder().encodeToString(value));
  }

  /** An awsJson timestamp: epoch seconds as a number, with milliseconds. */
  static DecimalNode timestamp(Instant instant) {
    return DecimalNode.valueOf(BigDecimal.valueOf(instant.toEpochMilli(), 3));
  }

  /**
   * KeyMetadata with the MultiRegionConfiguration of multi-Region keys (read from every served
   * region).
   */
  ObjectNode metadata(KmsKey key, Instant now) {
    ObjectNode metadata = keyMetadata(key);
    if (key.multiRegion() != null) {
      metadata.set("MultiRegionConfiguration", MultiRegionKeys.configuration(key, regions, now));
    }
    return metadata;
  }

  /** The KeyMetadata structure of DescribeKey and CreateKey, without MultiRegionConfiguration. */
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
    if (key.origin().equals(KmsKey.EXTERNAL)) {
      putExpiration(metadata, key);
    }
    metadata.put("Origin", key.origin());
    metadata.put("KeyManager", "CUSTOMER");
    metadata.put("CustomerMasterKeySpec", key.spec().name());
    metadata.put("KeySpec", key.spec().name());
    putAlgorithms(metadata, key);
    metadata.put("MultiRegion", key.multiRegion() != null);
    if (key.keyMaterialId() != null) {
      metadata.put("CurrentKeyMaterialId", key.keyMaterialId());
    }
    return metadata;
  }

  /**
   * ValidTo (earliest expiry of permanently associated material) and the current material's
   * ExpirationModel.
   */
  private static void putExpiration(ObjectNode metadata, KmsKey key) {
    Instant validTo = null;
    for (KeyMaterial material : key.materials()) {
      KeyMaterial.Imported imported = material.imported();
      if (material.state() != KeyMaterial.State.PENDING_ROTATION
          && imported != null
          && imported.validTo() != null
          && (validTo == null || imported.validTo().isBefore(validTo))) {
        validTo = imported.validTo();
      }
    }
    if (validTo != null) {
      metadata.set("ValidTo", timestamp(validTo));
    }
    KeyMaterial current = key.currentMaterial();
    if (current != null
        && current.imported() != null
        && current.imported().expirationModel() != null) {
      metadata.put("ExpirationModel", current.imported().expirationModel());
    }
  }

  /**
   * The EncryptionAlgorithms, SigningAlgorithms, MacAlgorithms or KeyAgreementAlgorithms of the
   * key's usage.
   */
  static void putAlgorithms(ObjectNode node, KmsKey key) {
    switch (key.keyUsage()) {
      case KmsKeySpec.ENCRYPT_DECRYPT:
        node.set("EncryptionAlgorithms", strings(key.spec().encryptionAlgorithms()));
        break;
      case KmsKeySpec.SIGN_VERIFY:
        node.set("SigningAlgorithms", strings(key.spec().signingAlgorithms()));
        break;
      case KmsKeySpec.GENERATE_VERIFY_MAC:
        node.set("MacAlgorithms", strings(key.spec().macAlgorithms()));
        break;
      case KmsKeySpec.KEY_AGREEMENT:
        node.set("KeyAgreementAlgorithms", strings(List.of("ECDH")));
        break;
      default:
        throw new IllegalStateException("Unknown key usage " + key.keyUsage());
    }
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
