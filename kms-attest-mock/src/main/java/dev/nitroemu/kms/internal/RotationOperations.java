package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand and
 * ListKeyRotations.
 *
 * <p>Automatic rotation applies to symmetric encryption keys whose material KMS made; it is driven
 * by the mock's clock ({@link KeyMaintenance}). On-demand rotation also applies to symmetric keys
 * with imported material, once new material was imported ({@code PENDING_ROTATION}). A multi-Region
 * key's rotation is set and triggered on its primary and shared by every replica.
 *
 * <p>Recorded AWS behaviour: keys with imported material answer the automatic-rotation operations
 * with {@code UnsupportedOperationException} "{@code <key ARN> origin is EXTERNAL which is not
 * valid for this operation.}"; EnableKeyRotation on an asymmetric key answers {@code
 * UnsupportedOperationException} without a message; GetKeyRotationStatus of asymmetric and HMAC
 * keys answers {@code KeyRotationEnabled: false}. Inferred (no public record; patterned on
 * documented texts):
 *
 * <ul>
 *   <li>the message-less {@code UnsupportedOperationException} also for DisableKeyRotation,
 *       RotateKeyOnDemand and ListKeyRotations of asymmetric and HMAC keys;
 *   <li>{@code UnsupportedOperationException} "{@code <key ARN> is a multi-Region replica key. Set
 *       the rotation of the primary key <primary ARN> instead.}" on a replica;
 *   <li>{@code KMSInvalidStateException} "{@code <key ARN> has no key material pending rotation.
 *       Import new key material with ImportType NEW_KEY_MATERIAL first.}" (RotateKeyOnDemand,
 *       imported material);
 *   <li>{@code ConflictException} "{@code An automatic rotation of <key ARN> is scheduled to begin
 *       within the next 20 minutes.}";
 *   <li>{@code LimitExceededException} "{@code <key ARN> has reached the limit of 25 on-demand
 *       rotations.}";
 *   <li>responses name the key by its key id, as the AWS CLI examples show.
 * </ul>
 */
final class RotationOperations {
  static final int MAX_ON_DEMAND = 25;
  private static final Duration CONFLICT_WINDOW = Duration.ofMinutes(20);
  private static final List<String> INCLUDE_KEY_MATERIAL =
      List.of("ALL_KEY_MATERIAL", "ROTATIONS_ONLY");

  private final OperationSupport support;

  RotationOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult enableKeyRotation(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    Integer period = fields.integer("RotationPeriodInDays", 90, 2560);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(
        call,
        key,
        "kms:EnableKeyRotation",
        Map.of(),
        null,
        period == null
            ? Map.of()
            : Map.of("kms:RotationPeriodInDays", List.of(String.valueOf(period))));
    checkAutomaticRotation(call, key);
    Instant now = support.now(call);
    KmsKey changed =
        MultiRegionKeys.updateShared(
            support.regions(),
            key,
            now,
            current -> {
              KeyRotation rotation = current.rotation();
              if (rotation.enabled()) {
                return period == null
                    ? current
                    : current.withRotation(rotation.enable(period, rotation.base()));
              }
              return current.withRotation(
                  rotation.enable(period == null ? KeyRotation.DEFAULT_PERIOD : period, now));
            });
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), List.of(changed.arn()), null);
  }

  KmsResult disableKeyRotation(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    KmsKey key =
        support.resolve(
            call, OperationSupport.keyIdMember(fields, "KeyId"), KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:DisableKeyRotation", Map.of(), null);
    checkAutomaticRotation(call, key);
    KmsKey changed =
        MultiRegionKeys.updateShared(
            support.regions(),
            key,
            support.now(call),
            current ->
                current.rotation().enabled()
                    ? current.withRotation(current.rotation().disable())
                    : current);
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), List.of(changed.arn()), null);
  }

  KmsResult getKeyRotationStatus(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    KmsKey key =
        support.resolve(
            call, OperationSupport.keyIdMember(fields, "KeyId"), KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:GetKeyRotationStatus", Map.of(), null);
    requireGeneratedMaterial(key);
    ObjectNode response = OperationSupport.JSON.objectNode();
    KeyRotation rotation = key.rotation();
    boolean enabled =
        KeyMaintenance.rotatable(key)
            && rotation.enabled()
            && key.state() != KeyState.PENDING_DELETION;
    response.put("KeyRotationEnabled", enabled);
    response.put("KeyId", key.keyId());
    if (enabled) {
      response.put("RotationPeriodInDays", rotation.periodDays());
      response.set("NextRotationDate", OperationSupport.timestamp(rotation.nextRotationDate()));
    }
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  KmsResult rotateKeyOnDemand(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    KmsKey key =
        support.resolve(
            call, OperationSupport.keyIdMember(fields, "KeyId"), KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:RotateKeyOnDemand", Map.of(), null);
    requireSymmetricEncryption(key);
    OperationSupport.requireEnabled(key);
    requirePrimary(call, key);
    Instant now = support.now(call);
    KeyRotation rotation = key.rotation();
    if (rotation.enabled()
        && Duration.between(now, rotation.nextRotationDate()).compareTo(CONFLICT_WINDOW) < 0) {
      throw new KmsError(
          "ConflictException",
          "An automatic rotation of "
              + key.arn()
              + " is scheduled to begin within the next 20 minutes.");
    }
    if (rotation.onDemandRotations() >= MAX_ON_DEMAND) {
      throw new KmsError(
          "LimitExceededException",
          key.arn() + " has reached the limit of " + MAX_ON_DEMAND + " on-demand rotations.");
    }
    KeyMaterial next;
    if (key.origin().equals(KmsKey.EXTERNAL)) {
      if (key.multiRegion() != null) {
        throw new KmsError("UnsupportedOperationException", null);
      }
      KeyMaterial pending =
          key.materials().stream()
              .filter(m -> m.state() == KeyMaterial.State.PENDING_ROTATION && m.available())
              .findFirst()
              .orElse(null);
      if (pending == null) {
        throw new KmsError(
            "KMSInvalidStateException",
            key.arn()
                + " has no key material pending rotation. Import"
                + " new key material with ImportType NEW_KEY_MATERIAL first.");
      }
      next = pending.rotatedAt(now, "ON_DEMAND");
    } else {
      next = KeyMaterial.rotated(key.spec(), support.maintenance().newSecret(), now, "ON_DEMAND");
    }
    KmsKey rotated =
        MultiRegionKeys.updateShared(
            support.regions(),
            key,
            now,
            current -> {
              KmsKey result =
                  current.material(next.id()) != null && next.imported() == null
                      ? current
                      : KeyMaintenance.rotate(current, next);
              return result.withRotation(result.rotation().countOnDemand());
            });
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", rotated.keyId());
    return OperationSupport.result(response, List.of(rotated.arn()), null);
  }

  KmsResult listKeyRotations(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String include = fields.enumValue("IncludeKeyMaterial", INCLUDE_KEY_MATERIAL);
    int limit = KeyManagementOperations.orDefault(fields.integer("Limit", 1, 1000), 100);
    String after = KeyManagementOperations.Markers.decode(fields.string("Marker", 1, 1024));
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:ListKeyRotations", Map.of(), null);
    requireSymmetricEncryption(key);
    boolean all = "ALL_KEY_MATERIAL".equals(include);
    List<KeyMaterial> listed = new ArrayList<>();
    for (KeyMaterial material : key.materials()) {
      if (all || material.rotationDate() != null) {
        listed.add(material);
      }
    }
    int start = 0;
    if (after != null) {
      start = -1;
      for (int i = 0; i < listed.size(); i++) {
        if (listed.get(i).id().equals(after)) {
          start = i + 1;
        }
      }
      if (start < 0) {
        throw new KmsError(
            "InvalidMarkerException",
            "Could not deserialize marker '" + fields.string("Marker") + "'");
      }
    }
    ArrayNode rotations = OperationSupport.JSON.arrayNode();
    int end = Math.min(listed.size(), start + limit);
    for (KeyMaterial material : listed.subList(start, end)) {
      rotations.add(entry(key, material));
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("Rotations", rotations);
    boolean truncated = end < listed.size();
    if (truncated) {
      response.put("NextMarker", KeyManagementOperations.Markers.encode(listed.get(end - 1).id()));
    }
    response.put("Truncated", truncated);
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  private static ObjectNode entry(KmsKey key, KeyMaterial material) {
    ObjectNode entry = OperationSupport.JSON.objectNode();
    entry.put("KeyId", key.keyId());
    entry.put("KeyMaterialId", material.id());
    KeyMaterial.Imported imported = material.imported();
    if (imported != null) {
      if (imported.description() != null) {
        entry.put("KeyMaterialDescription", imported.description());
      }
      entry.put("ImportState", material.importState());
      if (imported.expirationModel() != null) {
        entry.put("ExpirationModel", imported.expirationModel());
      }
      if (imported.validTo() != null) {
        entry.set("ValidTo", OperationSupport.timestamp(imported.validTo()));
      }
    }
    entry.put("KeyMaterialState", material.state().name());
    if (material.rotationDate() != null) {
      entry.set("RotationDate", OperationSupport.timestamp(material.rotationDate()));
      entry.put("RotationType", material.rotationType());
    }
    return entry;
  }

  /**
   * Enable/DisableKeyRotation: symmetric keys KMS made material for, in a usable state, primary
   * keys only.
   */
  private void checkAutomaticRotation(KmsCall call, KmsKey key) {
    requireGeneratedMaterial(key);
    requireSymmetricEncryption(key);
    if (key.state() == KeyState.DISABLED) {
      throw new KmsError("DisabledException", key.arn() + " is disabled.");
    }
    OperationSupport.requireNotPendingDeletion(key);
    requirePrimary(call, key);
  }

  private static void requireGeneratedMaterial(KmsKey key) {
    if (key.origin().equals(KmsKey.EXTERNAL)) {
      throw new KmsError(
          "UnsupportedOperationException",
          key.arn() + " origin is EXTERNAL which is not valid for this operation.");
    }
  }

  private static void requireSymmetricEncryption(KmsKey key) {
    if (key.spec().asymmetric() || !key.keyUsage().equals(KmsKeySpec.ENCRYPT_DECRYPT)) {
      throw new KmsError("UnsupportedOperationException", null);
    }
  }

  private void requirePrimary(KmsCall call, KmsKey key) {
    if (key.multiRegion() == null) {
      return;
    }
    List<KmsKey> copies = support.regions().copies(key.keyId(), key.accountId(), support.now(call));
    String primary = MultiRegionKeys.primaryRegion(copies, key);
    if (!primary.equals(key.region())) {
      throw new KmsError(
          "UnsupportedOperationException",
          key.arn()
              + " is a multi-Region replica key. Set the"
              + " rotation of the primary key "
              + KeyIdentifiers.keyArn(key.partition(), primary, key.accountId(), key.keyId())
              + " instead.");
    }
  }
}
