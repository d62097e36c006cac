package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * ReplicateKey and UpdatePrimaryRegion: multi-Region keys across the regions one mock serves
 * ({@link KmsRegions}). A replica has its primary's id, spec, usage, origin, rotation schedule and
 * (for material KMS made) key material, so a ciphertext from any copy decrypts in every region; its
 * policy, description, state and aliases are its own. UpdatePrimaryRegion swaps the roles of the
 * primary and the replica in the given region ({@link MultiRegionRole}).
 *
 * <p>As recorded against AWS, a new replica's ReplicateKey response reports {@code KeyState:
 * Creating}, {@code Enabled: false}; in the mock the replica is usable at once (DescribeKey then
 * shows {@code Enabled}, or {@code PendingImport} for a key with imported material). ReplicateKey
 * is authorized by the primary's key policy ({@code kms:ReplicateKey}, condition {@code
 * kms:ReplicaRegion}); the replica region's {@code kms:CreateKey} is IAM's, which the mock takes to
 * allow. UpdatePrimaryRegion needs {@code kms:UpdatePrimaryRegion} in both keys' policies
 * (condition {@code kms:PrimaryRegion}).
 *
 * <p>Inferred texts (no public record): UnsupportedOperationException {@code <key ARN> is not a
 * multi-Region key.} and {@code <key ARN> is not the primary key of its multi-Region key; use the
 * primary key <primary ARN>.}; AlreadyExistsException {@code <replica ARN> already exists.};
 * ValidationException {@code The replica Region must differ from the primary key's Region
 * <region>.}, {@code <region> is already the primary Region of <key ARN>.}, {@code Region <region>
 * is in another partition than <key ARN>.}, and the mock's own {@code Region <region> is not served
 * by this nitro-emu KMS mock (it serves <regions>).}.
 */
final class MultiRegionOperations {
  private static final Pattern REGION = Pattern.compile("^([a-z]+-){2,3}\\d+$");

  private final OperationSupport support;

  MultiRegionOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult replicateKey(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String replicaRegion = region(fields, "ReplicaRegion");
    String policyText = KeyManagementOperations.policyMember(fields, false);
    boolean bypassLockoutCheck = fields.bool("BypassPolicyLockoutSafetyCheck");
    String description = fields.string("Description", 0, 8192);
    LinkedHashMap<String, String> tags = KeyTags.parse(fields, "Tags", false, Set.of());
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(
        call,
        key,
        "kms:ReplicateKey",
        Map.of(),
        null,
        Map.of("kms:ReplicaRegion", List.of(replicaRegion)));
    requirePrimary(call, key);
    if (key.state() == KeyState.DISABLED) {
      throw new KmsError("DisabledException", key.arn() + " is disabled.");
    }
    OperationSupport.requireNotPendingDeletion(key);
    if (replicaRegion.equals(key.region())) {
      throw KmsError.validation(
          "The replica Region must differ from the primary key's Region " + key.region() + ".");
    }
    String account = support.account(call);
    KmsSettings target = targetRegion(replicaRegion, key);
    String replicaArn =
        KeyIdentifiers.keyArn(target.partition(), replicaRegion, account, key.keyId());
    String policyJson = policyText != null ? policyText : KeyPolicy.defaultPolicyJson(account);
    KeyPolicy policy = KeyPolicy.parse(policyJson);
    if (!bypassLockoutCheck) {
      PolicyEvaluator.checkLockoutSafety(policy, support.principal(call), account, replicaArn);
    }
    Instant now = support.now(call);
    KmsKey replica;
    synchronized (support.regions().crossRegionLock()) {
      KeyStore store = support.regions().store(replicaRegion);
      if (store.find(key.keyId(), now) != null) {
        throw new KmsError("AlreadyExistsException", replicaArn + " already exists.");
      }
      KmsKey primary = store(key).find(key.keyId(), now);
      if (primary == null) {
        throw KmsError.notFound("Key '" + key.arn() + "' does not exist");
      }
      replica =
          primary
              .replicaIn(
                  replicaRegion, now, description == null ? "" : description, policyJson, policy)
              .withTags(tags);
      store.add(replica);
    }
    ObjectNode metadata = support.metadata(replica, now);
    metadata.put("KeyState", "Creating");
    metadata.put("Enabled", false);
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("ReplicaKeyMetadata", metadata);
    response.put("ReplicaPolicy", policyJson);
    KeyTags.put(response, "ReplicaTags", List.copyOf(tags.entrySet()));
    return OperationSupport.result(response, List.of(key.arn(), replica.arn()), null);
  }

  KmsResult updatePrimaryRegion(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String primaryRegion = region(fields, "PrimaryRegion");
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    Map<String, List<String>> condition = Map.of("kms:PrimaryRegion", List.of(primaryRegion));
    support.authorize(call, key, "kms:UpdatePrimaryRegion", Map.of(), null, condition);
    requirePrimary(call, key);
    if (primaryRegion.equals(key.region())) {
      throw KmsError.validation(
          primaryRegion + " is already the primary Region of " + key.arn() + ".");
    }
    requireUsableForChange(key);
    Instant now = support.now(call);
    String newPrimaryArn =
        KeyIdentifiers.keyArn(key.partition(), primaryRegion, key.accountId(), key.keyId());
    KmsKey replica =
        support.regions().serves(primaryRegion)
            ? support.regions().store(primaryRegion).find(key.keyId(), now)
            : null;
    if (replica == null || !replica.accountId().equals(key.accountId())) {
      throw KmsError.notFound("Key '" + newPrimaryArn + "' does not exist");
    }
    support.authorize(call, replica, "kms:UpdatePrimaryRegion", Map.of(), null, condition);
    requireUsableForChange(replica);
    synchronized (support.regions().crossRegionLock()) {
      List<KmsKey> copies = support.regions().copies(key.keyId(), key.accountId(), now);
      MultiRegionRole role = new MultiRegionRole(primaryRegion, MultiRegionKeys.epoch(copies) + 1);
      // The new primary first: if a crash stops this loop, its higher epoch already names the new
      // primary.
      support.regions().store(primaryRegion).update(key.keyId(), now, k -> k.withMultiRegion(role));
      for (KmsKey copy : copies) {
        if (!copy.region().equals(primaryRegion)) {
          support
              .regions()
              .store(copy.region())
              .update(copy.keyId(), now, k -> k.withMultiRegion(role));
        }
      }
    }
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), List.of(key.arn(), newPrimaryArn), null);
  }

  private static void requireUsableForChange(KmsKey key) {
    if (key.state() == KeyState.DISABLED) {
      throw new KmsError("DisabledException", key.arn() + " is disabled.");
    }
    OperationSupport.requireNotPendingDeletion(key);
  }

  private void requirePrimary(KmsCall call, KmsKey key) {
    if (key.multiRegion() == null) {
      throw new KmsError(
          "UnsupportedOperationException", key.arn() + " is not a multi-Region key.");
    }
    List<KmsKey> copies = support.regions().copies(key.keyId(), key.accountId(), support.now(call));
    String primary = MultiRegionKeys.primaryRegion(copies, key);
    if (!primary.equals(key.region())) {
      throw new KmsError(
          "UnsupportedOperationException",
          key.arn()
              + " is not the primary key of its multi-Region"
              + " key; use the primary key "
              + KeyIdentifiers.keyArn(key.partition(), primary, key.accountId(), key.keyId())
              + ".");
    }
  }

  private KmsSettings targetRegion(String region, KmsKey key) {
    if (!support.regions().serves(region)) {
      throw KmsError.validation(
          "Region "
              + region
              + " is not served by this nitro-emu KMS mock (it serves "
              + String.join(", ", support.regions().names())
              + ").");
    }
    KmsSettings settings = support.regions().settings(region);
    if (!settings.partition().equals(key.partition())) {
      throw KmsError.validation(
          "Region " + region + " is in another partition than " + key.arn() + ".");
    }
    return settings;
  }

  private KeyStore store(KmsKey key) {
    return support.regions().store(key.region());
  }

  private static String region(RequestFields fields, String member) {
    String region = fields.requiredString(member, 1, 32);
    if (!REGION.matcher(region).matches()) {
      throw RequestFields.validation(
          "'" + region + "'",
          member,
          "Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$");
    }
    return region;
  }
}
