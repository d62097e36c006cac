package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.kms.KeyPolicyLint;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * CreateKey (with {@code Origin=EXTERNAL} and {@code MultiRegion=true}), DescribeKey, ListKeys,
 * EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion, PutKeyPolicy and GetKeyPolicy.
 *
 * <p>CreateKey makes symmetric, RSA, ECC (NIST curves and secp256k1) and HMAC keys with their Tags
 * ({@link KeyTags}), honouring LocalStack's {@code _custom_id_} and {@code _custom_key_material_}
 * tags unless the server is strict ({@link LocalStackTags}).
 *
 * <p>CreateKey and ListKeys are authorized by IAM alone in AWS; the mock has no IAM (callers'
 * identity policies are taken to allow everything), so they are not checked against any key policy.
 */
final class KeyManagementOperations {
  static final int MAX_POLICY = 131072;
  static final String DEFAULT_POLICY_NAME = "default";
  private static final Pattern POLICY_CHARACTERS =
      Pattern.compile("[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
  private static final Pattern POLICY_NAME = Pattern.compile("[\\w]+");
  private static final List<String> ORIGINS =
      List.of("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE");

  private static final System.Logger LOG =
      System.getLogger(KeyManagementOperations.class.getName());

  private final OperationSupport support;

  KeyManagementOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult createKey(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String policyText = policyMember(fields, false);
    String description = fields.string("Description", 0, 8192);
    String usage = fields.enumValue("KeyUsage", KmsKeySpec.AWS_KEY_USAGES);
    String keySpec = fields.enumValue("KeySpec", KmsKeySpec.AWS_KEY_SPECS);
    String masterKeySpec = fields.enumValue("CustomerMasterKeySpec", KmsKeySpec.AWS_KEY_SPECS);
    String origin = fields.enumValue("Origin", ORIGINS);
    String customKeyStoreId = fields.string("CustomKeyStoreId", 1, 64);
    String xksKeyId = fields.string("XksKeyId", 1, 128);
    boolean bypassLockoutCheck = fields.bool("BypassPolicyLockoutSafetyCheck");
    boolean multiRegion = fields.bool("MultiRegion");
    boolean localStack = support.settings().localStackTags();
    LinkedHashMap<String, String> tags =
        KeyTags.parse(
            fields,
            "Tags",
            false,
            localStack ? Set.of(LocalStackTags.CUSTOM_KEY_MATERIAL) : Set.of());
    if (keySpec != null && masterKeySpec != null) {
      throw KmsError.validation(
          "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
    }
    String specName =
        keySpec != null ? keySpec : masterKeySpec != null ? masterKeySpec : "SYMMETRIC_DEFAULT";
    if (usage == null) {
      if (!specName.equals("SYMMETRIC_DEFAULT")) {
        throw KmsError.validation(
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
      }
      usage = KmsKeySpec.ENCRYPT_DECRYPT;
    }
    if (!KmsKeySpec.awsUsagesFor(specName).contains(usage)) {
      throw KmsError.validation(
          "KeyUsage " + usage + " is not compatible with KeySpec " + specName);
    }
    if (origin != null && !origin.equals(KmsKey.AWS_KMS) && !origin.equals(KmsKey.EXTERNAL)) {
      throw unsupported("Origin " + origin);
    }
    if (customKeyStoreId != null || xksKeyId != null) {
      throw unsupported("Custom key stores");
    }
    KmsKeySpec spec = KmsKeySpec.fromWire(specName);
    if (spec == null || !spec.implementsUsage(usage)) {
      throw unsupported("KeySpec " + specName + " with KeyUsage " + usage);
    }

    LocalStackTags custom =
        localStack ? LocalStackTags.take(tags, multiRegion) : new LocalStackTags(null, null);
    String account = support.account(call);
    String keyId =
        custom.customId() != null
            ? custom.customId()
            : multiRegion ? newMultiRegionKeyId() : newKeyId();
    if (custom.customId() != null && support.store().find(keyId, support.now(call)) != null) {
      throw new KmsError(
          "AlreadyExistsException",
          "A key with the id " + keyId + " (" + LocalStackTags.CUSTOM_ID + ") already exists.");
    }
    String arn = support.ids().keyArn(account, keyId);
    String policyJson = policyText != null ? policyText : KeyPolicy.defaultPolicyJson(account);
    KeyPolicy policy = KeyPolicy.parse(policyJson);
    if (!bypassLockoutCheck) {
      PolicyEvaluator.checkLockoutSafety(policy, support.principal(call), account, arn);
    }
    String region = support.settings().region();
    KeyDraft draft =
        KeyDraft.newKey(
            keyId,
            account,
            region,
            support.settings().partition(),
            support.now(call),
            description == null ? "" : description,
            usage,
            spec,
            policyJson,
            policy);
    KmsKey key;
    if (KmsKey.EXTERNAL.equals(origin)) {
      if (custom.customMaterial() != null) {
        throw KmsError.validation(
            LocalStackTags.CUSTOM_KEY_MATERIAL
                + " does not apply to keys with Origin EXTERNAL:"
                + " import their key material.");
      }
      if (spec.family() == KmsKeySpec.Family.HMAC) {
        throw unsupported("Importing key material into HMAC keys");
      }
      key = draft.awaitingImport();
    } else {
      NewKeyMaterial material =
          custom.customMaterial() != null
              ? NewKeyMaterial.fromCustom(spec, custom.customMaterial())
              : NewKeyMaterial.generate(spec, support.settings().random());
      key = draft.generated(material.secret(), material.publicKey());
    }
    if (multiRegion) {
      key = key.withMultiRegion(new MultiRegionRole(region, 0));
    }
    key = key.withTags(tags);
    support.store().add(key);
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("KeyMetadata", support.metadata(key, support.now(call)));
    return OperationSupport.result(response, List.of(key.arn()), null)
        .withWarnings(policyText == null ? List.of() : lint(call, key.arn(), policy));
  }

  /**
   * The lint warnings of a policy just set, each also logged at WARNING (rule ids and key names, no
   * secrets).
   */
  private static List<KeyPolicyLint.Warning> lint(KmsCall call, String keyArn, KeyPolicy policy) {
    List<KeyPolicyLint.Warning> warnings = PolicyLinter.lint(policy);
    for (KeyPolicyLint.Warning warning : warnings) {
      LOG.log(
          System.Logger.Level.WARNING, call.operation() + " " + keyArn + ": key policy " + warning);
    }
    return warnings;
  }

  KmsResult describeKey(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    support.authorize(call, key, "kms:DescribeKey", Map.of(), null);
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("KeyMetadata", support.metadata(key, support.now(call)));
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  KmsResult listKeys(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    int limit = orDefault(fields.integer("Limit", 1, 1000), 100);
    String after = Markers.decode(fields.string("Marker", 1, 1024));
    // One more than the page: whether there is a next page.
    List<KmsKey> keys =
        support.store().keysAfter(support.account(call), after, limit + 1, support.now(call));
    ArrayNode entries = OperationSupport.JSON.arrayNode();
    String last = null;
    boolean truncated = false;
    for (KmsKey key : keys) {
      if (entries.size() == limit) {
        truncated = true;
        break;
      }
      entries.addObject().put("KeyId", key.keyId()).put("KeyArn", key.arn());
      last = key.keyId();
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("Keys", entries);
    if (truncated) {
      response.put("NextMarker", Markers.encode(last));
    }
    response.put("Truncated", truncated);
    return OperationSupport.result(response, List.of(), null);
  }

  KmsResult enableKey(KmsCall call) {
    return changeState(call, "kms:EnableKey", KeyState.ENABLED);
  }

  KmsResult disableKey(KmsCall call) {
    return changeState(call, "kms:DisableKey", KeyState.DISABLED);
  }

  private KmsResult changeState(KmsCall call, String action, KeyState target) {
    RequestFields fields = new RequestFields(call.request());
    KmsKey key =
        support.resolve(
            call, OperationSupport.keyIdMember(fields, "KeyId"), KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, action, Map.of(), null);
    KmsKey changed =
        update(
            call,
            key,
            current -> {
              OperationSupport.requireNotPendingDeletion(current);
              OperationSupport.requireNotPendingImport(current);
              if (current.state() == target) {
                return current;
              }
              KmsKey next = current.withState(target, null, null);
              KeyRotation rotation = next.rotation();
              Instant now = support.now(call);
              if (target == KeyState.ENABLED
                  && rotation.enabled()
                  && !rotation.nextRotationDate().isAfter(now)) {
                // AWS: a key re-enabled after missing a rotation rotates at once, then every period
                // after.
                next =
                    next.withRotation(
                        rotation.enable(
                            rotation.periodDays(),
                            now.minus(Duration.ofDays(rotation.periodDays()))));
              }
              return next;
            });
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), List.of(changed.arn()), null);
  }

  KmsResult scheduleKeyDeletion(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    int days = orDefault(fields.integer("PendingWindowInDays", 1, 365), 30);
    if (days < 7 || days > 30) {
      throw KmsError.validation(
          "PendingWindowInDays should be between 7 and 30, but it is " + days);
    }
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:ScheduleKeyDeletion", Map.of(), null);
    Instant deletionDate = support.now(call).plus(Duration.ofDays(days));
    KmsKey scheduled =
        update(
            call,
            key,
            current -> {
              OperationSupport.requireNotPendingDeletion(current);
              return current.withState(KeyState.PENDING_DELETION, deletionDate, days);
            });
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", scheduled.arn());
    response.set("DeletionDate", OperationSupport.timestamp(deletionDate));
    response.put("KeyState", KeyState.PENDING_DELETION.wireName());
    response.put("PendingWindowInDays", days);
    return OperationSupport.result(response, List.of(scheduled.arn()), null);
  }

  KmsResult cancelKeyDeletion(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    KmsKey key =
        support.resolve(
            call, OperationSupport.keyIdMember(fields, "KeyId"), KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:CancelKeyDeletion", Map.of(), null);
    KmsKey cancelled =
        update(
            call,
            key,
            current -> {
              if (current.state() != KeyState.PENDING_DELETION) {
                throw new KmsError(
                    "KMSInvalidStateException", current.arn() + " is not pending deletion.");
              }
              KmsKey disabled = current.withState(KeyState.DISABLED, null, null);
              return KeyMaintenance.stateFor(disabled, disabled.materials())
                      == KeyState.PENDING_IMPORT
                  ? disabled.withState(KeyState.PENDING_IMPORT, null, null)
                  : disabled;
            });
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", cancelled.arn());
    return OperationSupport.result(response, List.of(cancelled.arn()), null);
  }

  KmsResult putKeyPolicy(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String policyName = policyNameMember(fields);
    String policyText = policyMember(fields, true);
    boolean bypassLockoutCheck = fields.bool("BypassPolicyLockoutSafetyCheck");
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:PutKeyPolicy", Map.of(), null);
    if (!policyName.equals(DEFAULT_POLICY_NAME)) {
      throw KmsError.validation(
          "PolicyName must be " + DEFAULT_POLICY_NAME + ": KMS keys have only the default policy.");
    }
    KeyPolicy policy = KeyPolicy.parse(policyText);
    if (!bypassLockoutCheck) {
      PolicyEvaluator.checkLockoutSafety(
          policy, support.principal(call), support.account(call), key.arn());
    }
    KmsKey changed = update(call, key, current -> current.withPolicy(policyText, policy));
    return OperationSupport.result(OperationSupport.JSON.objectNode(), List.of(changed.arn()), null)
        .withWarnings(lint(call, changed.arn(), policy));
  }

  KmsResult getKeyPolicy(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String policyName = policyNameMember(fields);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:GetKeyPolicy", Map.of(), null);
    if (!policyName.equals(DEFAULT_POLICY_NAME)) {
      throw KmsError.notFound("No such policy exists");
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("Policy", key.policyJson());
    response.put("PolicyName", DEFAULT_POLICY_NAME);
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  private KmsKey update(KmsCall call, KmsKey key, UnaryOperator<KmsKey> change) {
    return support.update(call, key, change);
  }

  static String policyMember(RequestFields fields, boolean required) {
    String policy =
        required
            ? fields.requiredString("Policy", 1, MAX_POLICY)
            : fields.string("Policy", 1, MAX_POLICY);
    if (policy != null && !POLICY_CHARACTERS.matcher(policy).matches()) {
      throw RequestFields.validation(
          "'" + policy + "'",
          "Policy",
          "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
    }
    return policy;
  }

  private static String policyNameMember(RequestFields fields) {
    String name = fields.string("PolicyName", 1, 128);
    if (name == null) {
      return DEFAULT_POLICY_NAME;
    }
    if (!POLICY_NAME.matcher(name).matches()) {
      throw RequestFields.validation(
          "'" + name + "'", "PolicyName", "Member must satisfy regular expression pattern: [\\w]+");
    }
    return name;
  }

  private String newKeyId() {
    byte[] bytes = new byte[16];
    support.settings().random().nextBytes(bytes);
    bytes[6] = (byte) ((bytes[6] & 0x0f) | 0x40);
    bytes[8] = (byte) ((bytes[8] & 0x3f) | 0x80);
    ByteBuffer buffer = ByteBuffer.wrap(bytes);
    return new UUID(buffer.getLong(), buffer.getLong()).toString();
  }

  /** {@code mrk-} and 32 random hex digits. */
  private String newMultiRegionKeyId() {
    byte[] bytes = new byte[16];
    support.settings().random().nextBytes(bytes);
    return "mrk-" + java.util.HexFormat.of().formatHex(bytes);
  }

  private static KmsError unsupported(String what) {
    return new KmsError(
        "UnsupportedOperationException", what + " is not supported by the nitro-emu KMS mock.");
  }

  static int orDefault(Integer value, int fallback) {
    return value == null ? fallback : value;
  }

  /** Opaque paging markers: base64url of the last name returned. */
  static final class Markers {
    private Markers() {}

    static String encode(String last) {
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(last.getBytes(StandardCharsets.UTF_8));
    }

    static String decode(String marker) {
      if (marker == null) {
        return null;
      }
      try {
        return new String(Base64.getUrlDecoder().decode(marker), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw KmsError.validation("Could not deserialize marker '" + marker + "'");
      }
    }
  }
}
