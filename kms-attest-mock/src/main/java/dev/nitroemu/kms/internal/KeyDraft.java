package dev.nitroemu.kms.internal;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The parts of a {@link KmsKey} being made, restored or changed: the one home for building a key,
 * whose constructor then checks that the parts fit together.
 *
 * <p>New keys start from {@link #newKey}; {@link StateCodec} and {@link SnapshotCodec} fill an
 * empty draft from what they read; every {@code KmsKey.with...} copy starts from {@link
 * #KeyDraft(KmsKey)}.
 */
final class KeyDraft {
  String keyId;
  String accountId;
  String region;
  String partition;
  Instant creationDate;
  String description;
  String keyUsage;
  KmsKeySpec spec;
  KeyState state;
  Instant deletionDate;
  Integer pendingWindowInDays;
  String policyJson;
  KeyPolicy policy;
  String origin;
  List<KeyMaterial> materials = List.of();
  KeyRotation rotation = KeyRotation.NONE;
  MultiRegionRole multiRegion;
  List<ImportParameters> importParameters = List.of();
  Map<String, String> tags = Map.of();

  /**
   * An empty draft: no material, rotation schedule, multi-Region role, import parameters or tags.
   */
  KeyDraft() {}

  /** A draft that starts as a copy of every part of {@code key}. */
  KeyDraft(KmsKey key) {
    keyId = key.keyId();
    accountId = key.accountId();
    region = key.region();
    partition = key.partition();
    creationDate = key.creationDate();
    description = key.description();
    keyUsage = key.keyUsage();
    spec = key.spec();
    state = key.state();
    deletionDate = key.deletionDate();
    pendingWindowInDays = key.pendingWindowInDays();
    policyJson = key.policyJson();
    policy = key.policy();
    origin = key.origin();
    materials = key.materials();
    rotation = key.rotation();
    multiRegion = key.multiRegion();
    importParameters = key.importParameters();
    tags = key.tags();
  }

  /**
   * A draft of a new key with these parts, to finish with {@link #generated} or {@link
   * #awaitingImport}.
   */
  static KeyDraft newKey(
      String keyId,
      String accountId,
      String region,
      String partition,
      Instant creationDate,
      String description,
      String keyUsage,
      KmsKeySpec spec,
      String policyJson,
      KeyPolicy policy) {
    KeyDraft d = new KeyDraft();
    d.keyId = keyId;
    d.accountId = accountId;
    d.region = region;
    d.partition = partition;
    d.creationDate = creationDate;
    d.description = description;
    d.keyUsage = keyUsage;
    d.spec = spec;
    d.policyJson = policyJson;
    d.policy = policy;
    return d;
  }

  /**
   * The new key, {@code Enabled}, with material KMS generated (origin {@code AWS_KMS}, one material
   * version).
   *
   * @param secret the AES key (see {@link KeyMaterial}), the HMAC key or the DER PKCS#8 private key
   * @param publicKey the DER SubjectPublicKeyInfo for asymmetric keys, else null
   */
  KmsKey generated(byte[] secret, byte[] publicKey) {
    state = KeyState.ENABLED;
    origin = KmsKey.AWS_KMS;
    materials = List.of(KeyMaterial.generated(spec, secret, publicKey));
    return build();
  }

  /** The new key with {@code Origin=EXTERNAL} and no key material yet, in state PendingImport. */
  KmsKey awaitingImport() {
    state = KeyState.PENDING_IMPORT;
    origin = KmsKey.EXTERNAL;
    materials = List.of();
    return build();
  }

  /** The key these parts make; its constructor checks them. */
  KmsKey build() {
    return new KmsKey(this);
  }
}
