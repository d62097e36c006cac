package dev.nitroemu.kms.internal;

import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.spec.SecretKeySpec;

/**
 * One KMS key: its metadata, tags, key policy, key material versions ({@link KeyMaterial}),
 * rotation schedule, multi-Region role and pending import parameters.
 *
 * <p>Instances are immutable and made through a {@link KeyDraft}; changes make a new instance
 * ({@link #withState}, {@link #withPolicy}, {@link #withMaterials} ...) that shares the unchanged
 * parts. The material is held in plain memory and, with a state directory, written to disk: this is
 * an emulator for tests, not a key-protection device.
 */
public final class KmsKey {
  /** Origin of keys whose material KMS generated. */
  public static final String AWS_KMS = "AWS_KMS";

  /** Origin of keys whose material is imported. */
  public static final String EXTERNAL = "EXTERNAL";

  /** How many unexpired GetParametersForImport answers a key keeps; older ones are forgotten. */
  public static final int MAX_IMPORT_PARAMETERS = 10;

  private final String keyId;
  private final String accountId;
  private final String region;
  private final String partition;
  private final Instant creationDate;
  private final String description;
  private final String keyUsage;
  private final KmsKeySpec spec;
  private final KeyState state;
  private final Instant deletionDate;
  private final Integer pendingWindowInDays;
  private final String policyJson;
  private final KeyPolicy policy;
  private final String origin;
  private final List<KeyMaterial> materials;
  private final KeyRotation rotation;
  private final MultiRegionRole multiRegion;
  private final List<ImportParameters> importParameters;
  private final Map<String, String> tags;

  /**
   * Makes the key a draft describes ({@link KeyDraft#build}): the one constructor, which checks
   * that the parts fit together.
   */
  KmsKey(KeyDraft d) {
    this.keyId = Objects.requireNonNull(d.keyId, "keyId");
    this.accountId = Objects.requireNonNull(d.accountId, "accountId");
    this.region = Objects.requireNonNull(d.region, "region");
    this.partition = Objects.requireNonNull(d.partition, "partition");
    this.creationDate = Objects.requireNonNull(d.creationDate, "creationDate");
    this.description = Objects.requireNonNull(d.description, "description");
    this.keyUsage = Objects.requireNonNull(d.keyUsage, "keyUsage");
    this.spec = Objects.requireNonNull(d.spec, "spec");
    this.state = Objects.requireNonNull(d.state, "state");
    if ((state == KeyState.PENDING_DELETION)
        != (d.deletionDate != null && d.pendingWindowInDays != null)) {
      throw new IllegalArgumentException(
          "A deletion date and window belong to pending deletion only");
    }
    this.deletionDate = d.deletionDate;
    this.pendingWindowInDays = d.pendingWindowInDays;
    this.policyJson = Objects.requireNonNull(d.policyJson, "policyJson");
    this.policy = Objects.requireNonNull(d.policy, "policy");
    this.origin = Objects.requireNonNull(d.origin, "origin");
    this.materials = List.copyOf(d.materials);
    this.rotation = Objects.requireNonNull(d.rotation, "rotation");
    this.multiRegion = d.multiRegion;
    this.importParameters = List.copyOf(d.importParameters);
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(d.tags));
    checkMaterials();
  }

  private void checkMaterials() {
    KeyMaterial.checkVersions(spec, origin, materials);
    if (state == KeyState.PENDING_IMPORT && !origin.equals(EXTERNAL)) {
      throw new IllegalArgumentException("Only keys with imported material can be pending import");
    }
    if (multiRegion != null && !KeyIdentifiers.isMultiRegionKeyId(keyId)) {
      throw new IllegalArgumentException("Multi-Region keys have mrk- ids");
    }
  }

  /** A copy in another state ({@code deletionDate} and the window only for pending deletion). */
  public KmsKey withState(KeyState newState, Instant newDeletionDate, Integer newWindowInDays) {
    KeyDraft d = new KeyDraft(this);
    d.state = newState;
    d.deletionDate = newDeletionDate;
    d.pendingWindowInDays = newWindowInDays;
    return d.build();
  }

  /** A copy with another key policy. */
  public KmsKey withPolicy(String newPolicyJson, KeyPolicy newPolicy) {
    KeyDraft d = new KeyDraft(this);
    d.policyJson = newPolicyJson;
    d.policy = newPolicy;
    return d.build();
  }

  /** A copy with these tags (in this order) replacing the current ones. */
  public KmsKey withTags(Map<String, String> newTags) {
    KeyDraft d = new KeyDraft(this);
    d.tags = newTags;
    return d.build();
  }

  /** A copy with another description. */
  public KmsKey withDescription(String newDescription) {
    KeyDraft d = new KeyDraft(this);
    d.description = newDescription;
    return d.build();
  }

  /** A copy with other material versions (oldest first) and the key state they imply. */
  public KmsKey withMaterials(List<KeyMaterial> newMaterials, KeyState newState) {
    KeyDraft d = new KeyDraft(this);
    d.materials = newMaterials;
    d.state = newState;
    return d.build();
  }

  /** A copy with another rotation schedule. */
  public KmsKey withRotation(KeyRotation newRotation) {
    KeyDraft d = new KeyDraft(this);
    d.rotation = newRotation;
    return d.build();
  }

  /** A copy that is a multi-Region key with this role (the id must be an {@code mrk-} id). */
  public KmsKey withMultiRegion(MultiRegionRole role) {
    KeyDraft d = new KeyDraft(this);
    d.multiRegion = Objects.requireNonNull(role, "role");
    return d.build();
  }

  /**
   * A copy with these outstanding import parameters (newest last; at most {@link
   * #MAX_IMPORT_PARAMETERS}).
   */
  public KmsKey withImportParameters(List<ImportParameters> parameters) {
    KeyDraft d = new KeyDraft(this);
    List<ImportParameters> kept = new ArrayList<>(parameters);
    while (kept.size() > MAX_IMPORT_PARAMETERS) {
      kept.remove(0);
    }
    d.importParameters = kept;
    return d.build();
  }

  /**
   * A replica of this multi-Region key in {@code replicaRegion}: the same id, spec, usage, origin,
   * material (KMS-generated only; imported material is imported into each replica) and rotation
   * schedule; its own policy, description, creation date and state.
   */
  public KmsKey replicaIn(
      String replicaRegion,
      Instant created,
      String replicaDescription,
      String replicaPolicyJson,
      KeyPolicy replicaPolicy) {
    KeyDraft d = new KeyDraft(this);
    d.region = replicaRegion;
    d.creationDate = created;
    d.description = replicaDescription;
    d.policyJson = replicaPolicyJson;
    d.policy = replicaPolicy;
    d.deletionDate = null;
    d.pendingWindowInDays = null;
    d.importParameters = List.of();
    if (origin.equals(EXTERNAL)) {
      List<KeyMaterial> pending = new ArrayList<>();
      for (KeyMaterial material : materials) {
        if (material.state() != KeyMaterial.State.PENDING_ROTATION) {
          pending.add(material.withoutSecret());
        }
      }
      d.materials = pending;
      d.state = KeyState.PENDING_IMPORT;
    } else {
      d.state = KeyState.ENABLED;
    }
    return d.build();
  }

  /** The key id: a UUID, or {@code mrk-} and 32 hex digits for multi-Region keys. */
  public String keyId() {
    return keyId;
  }

  /** The owning account. */
  public String accountId() {
    return accountId;
  }

  /** The key's region. */
  public String region() {
    return region;
  }

  /** The key ARN, {@code arn:aws:kms:<region>:<account>:key/<id>}. */
  public String arn() {
    return KeyIdentifiers.keyArn(partition, region, accountId, keyId);
  }

  /** The ARN partition, usually {@code aws}. */
  public String partition() {
    return partition;
  }

  public Instant creationDate() {
    return creationDate;
  }

  public String description() {
    return description;
  }

  /**
   * {@code ENCRYPT_DECRYPT}, {@code SIGN_VERIFY}, {@code GENERATE_VERIFY_MAC} or {@code
   * KEY_AGREEMENT}.
   */
  public String keyUsage() {
    return keyUsage;
  }

  public KmsKeySpec spec() {
    return spec;
  }

  public KeyState state() {
    return state;
  }

  /** When a key pending deletion gets deleted, else null. */
  public Instant deletionDate() {
    return deletionDate;
  }

  /** The waiting period of a key pending deletion, else null. */
  public Integer pendingWindowInDays() {
    return pendingWindowInDays;
  }

  /** The key policy exactly as it was given (or the default policy). */
  public String policyJson() {
    return policyJson;
  }

  public KeyPolicy policy() {
    return policy;
  }

  /** The key's tags, key to value, in the order they were added (unmodifiable). */
  public Map<String, String> tags() {
    return tags;
  }

  /** {@link #AWS_KMS} or {@link #EXTERNAL}. */
  public String origin() {
    return origin;
  }

  /** Every material version, oldest first (empty for a key awaiting its first import). */
  public List<KeyMaterial> materials() {
    return materials;
  }

  /**
   * The material encryption uses (the only one of asymmetric keys), or null when there is none yet.
   */
  public KeyMaterial currentMaterial() {
    for (KeyMaterial material : materials) {
      if (material.state() == KeyMaterial.State.CURRENT) {
        return material;
      }
    }
    return null;
  }

  /** The material with this id, or null. */
  public KeyMaterial material(String materialId) {
    for (KeyMaterial material : materials) {
      if (material.id().equals(materialId)) {
        return material;
      }
    }
    return null;
  }

  public KeyRotation rotation() {
    return rotation;
  }

  /** The multi-Region role, or null for single-Region keys. */
  public MultiRegionRole multiRegion() {
    return multiRegion;
  }

  /** The outstanding GetParametersForImport answers, newest last. */
  public List<ImportParameters> importParameters() {
    return importParameters;
  }

  /**
   * The {@code CurrentKeyMaterialId} AWS shows: for symmetric encryption keys, except multi-Region
   * keys with imported material; else null.
   */
  public String keyMaterialId() {
    KeyMaterial current = currentMaterial();
    if (current == null
        || spec.family() != KmsKeySpec.Family.SYMMETRIC
        || (origin.equals(EXTERNAL) && multiRegion != null)) {
      return null;
    }
    return current.id();
  }

  /** The AES key of the current material of a symmetric encryption key. */
  public SecretKeySpec secretKey() {
    if (spec.family() != KmsKeySpec.Family.SYMMETRIC) {
      throw new IllegalStateException("Not a symmetric encryption key");
    }
    KeyMaterial current = currentMaterial();
    if (current == null) {
      throw new IllegalStateException("The key has no key material");
    }
    return current.secretKey();
  }

  /**
   * The key of an HMAC key, for {@code javax.crypto.Mac} with this JCA algorithm, e.g. {@code
   * HmacSHA256}.
   */
  public SecretKeySpec macKey(String jcaAlgorithm) {
    KeyMaterial current = currentMaterial();
    if (current == null) {
      throw new IllegalStateException("The key has no key material");
    }
    return current.macKey(jcaAlgorithm);
  }

  /** The private key of an asymmetric key. */
  public PrivateKey privateKey() {
    return asymmetricMaterial().privateKey();
  }

  /** The public key of an asymmetric key. */
  public PublicKey publicKey() {
    return asymmetricMaterial().publicKey();
  }

  /** The DER SubjectPublicKeyInfo of an asymmetric key (a copy), else null. */
  public byte[] publicKeyDer() {
    KeyMaterial current = currentMaterial();
    return current == null || !spec.asymmetric() ? null : current.publicKeyDer();
  }

  private KeyMaterial asymmetricMaterial() {
    KeyMaterial current = currentMaterial();
    if (!spec.asymmetric() || current == null) {
      throw new IllegalStateException("Not an asymmetric key with key material");
    }
    return current;
  }

  @Override
  public String toString() {
    return "KmsKey[" + arn() + ", " + spec + ", " + keyUsage + ", " + state.wireName() + "]";
  }
}
