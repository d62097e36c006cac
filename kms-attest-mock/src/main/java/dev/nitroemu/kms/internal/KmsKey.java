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
 * <p>Instances are immutable; changes make a new instance ({@link #withState}, {@link #withPolicy},
 * {@link #withMaterials} ...) that shares the unchanged parts. The material is held in plain memory
 * and, with a state directory, written to disk: this is an emulator for tests, not a key-protection
 * device.
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
   * Makes a key whose material KMS generated (origin {@code AWS_KMS}, one material version).
   *
   * @param secret the AES key (see {@link KeyMaterial}), the HMAC key or the DER PKCS#8 private key
   * @param publicKey the DER SubjectPublicKeyInfo for asymmetric keys, else null
   */
  public KmsKey(
      String keyId,
      String accountId,
      String region,
      String partition,
      Instant creationDate,
      String description,
      String keyUsage,
      KmsKeySpec spec,
      KeyState state,
      Instant deletionDate,
      Integer pendingWindowInDays,
      String policyJson,
      KeyPolicy policy,
      byte[] secret,
      byte[] publicKey) {
    this(
        keyId,
        accountId,
        region,
        partition,
        creationDate,
        description,
        keyUsage,
        spec,
        state,
        deletionDate,
        pendingWindowInDays,
        policyJson,
        policy,
        AWS_KMS,
        List.of(KeyMaterial.generated(spec, secret, publicKey)),
        KeyRotation.NONE,
        null,
        List.of(),
        Map.of());
  }

  /** A key with {@code Origin=EXTERNAL} and no key material yet, in state {@code PendingImport}. */
  public static KmsKey awaitingImport(
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
    return new KmsKey(
        keyId,
        accountId,
        region,
        partition,
        creationDate,
        description,
        keyUsage,
        spec,
        KeyState.PENDING_IMPORT,
        null,
        null,
        policyJson,
        policy,
        EXTERNAL,
        List.of(),
        KeyRotation.NONE,
        null,
        List.of(),
        Map.of());
  }

  /** Rebuilds a key from all its parts ({@link StateCodec}); the one constructor that validates. */
  static KmsKey restore(
      String keyId,
      String accountId,
      String region,
      String partition,
      Instant creationDate,
      String description,
      String keyUsage,
      KmsKeySpec spec,
      KeyState state,
      Instant deletionDate,
      Integer pendingWindowInDays,
      String policyJson,
      KeyPolicy policy,
      String origin,
      List<KeyMaterial> materials,
      KeyRotation rotation,
      MultiRegionRole multiRegion,
      List<ImportParameters> importParameters) {
    return new KmsKey(
        keyId,
        accountId,
        region,
        partition,
        creationDate,
        description,
        keyUsage,
        spec,
        state,
        deletionDate,
        pendingWindowInDays,
        policyJson,
        policy,
        origin,
        materials,
        rotation,
        multiRegion,
        importParameters,
        Map.of());
  }

  private KmsKey(
      String keyId,
      String accountId,
      String region,
      String partition,
      Instant creationDate,
      String description,
      String keyUsage,
      KmsKeySpec spec,
      KeyState state,
      Instant deletionDate,
      Integer pendingWindowInDays,
      String policyJson,
      KeyPolicy policy,
      String origin,
      List<KeyMaterial> materials,
      KeyRotation rotation,
      MultiRegionRole multiRegion,
      List<ImportParameters> importParameters,
      Map<String, String> tags) {
    this.keyId = Objects.requireNonNull(keyId, "keyId");
    this.accountId = Objects.requireNonNull(accountId, "accountId");
    this.region = Objects.requireNonNull(region, "region");
    this.partition = Objects.requireNonNull(partition, "partition");
    this.creationDate = Objects.requireNonNull(creationDate, "creationDate");
    this.description = Objects.requireNonNull(description, "description");
    this.keyUsage = Objects.requireNonNull(keyUsage, "keyUsage");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.state = Objects.requireNonNull(state, "state");
    if ((state == KeyState.PENDING_DELETION)
        != (deletionDate != null && pendingWindowInDays != null)) {
      throw new IllegalArgumentException(
          "A deletion date and window belong to pending deletion only");
    }
    this.deletionDate = deletionDate;
    this.pendingWindowInDays = pendingWindowInDays;
    this.policyJson = Objects.requireNonNull(policyJson, "policyJson");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.origin = Objects.requireNonNull(origin, "origin");
    this.materials = List.copyOf(materials);
    this.rotation = Objects.requireNonNull(rotation, "rotation");
    this.multiRegion = multiRegion;
    this.importParameters = List.copyOf(importParameters);
    this.tags = Collections.unmodifiableMap(new LinkedHashMap<>(tags));
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
    Draft d = new Draft(this);
    d.state = newState;
    d.deletionDate = newDeletionDate;
    d.pendingWindowInDays = newWindowInDays;
    return d.build();
  }

  /** A copy with another key policy. */
  public KmsKey withPolicy(String newPolicyJson, KeyPolicy newPolicy) {
    Draft d = new Draft(this);
    d.policyJson = newPolicyJson;
    d.policy = newPolicy;
    return d.build();
  }

  /** A copy with these tags (in this order) replacing the current ones. */
  public KmsKey withTags(Map<String, String> newTags) {
    Draft d = new Draft(this);
    d.tags = newTags;
    return d.build();
  }

  /** A copy with another description. */
  public KmsKey withDescription(String newDescription) {
    Draft d = new Draft(this);
    d.description = newDescription;
    return d.build();
  }

  /** A copy with other material versions (oldest first) and the key state they imply. */
  public KmsKey withMaterials(List<KeyMaterial> newMaterials, KeyState newState) {
    Draft d = new Draft(this);
    d.materials = newMaterials;
    d.state = newState;
    return d.build();
  }

  /** A copy with another rotation schedule. */
  public KmsKey withRotation(KeyRotation newRotation) {
    Draft d = new Draft(this);
    d.rotation = newRotation;
    return d.build();
  }

  /** A copy that is a multi-Region key with this role (the id must be an {@code mrk-} id). */
  public KmsKey withMultiRegion(MultiRegionRole role) {
    Draft d = new Draft(this);
    d.multiRegion = Objects.requireNonNull(role, "role");
    return d.build();
  }

  /**
   * A copy with these outstanding import parameters (newest last; at most {@link
   * #MAX_IMPORT_PARAMETERS}).
   */
  public KmsKey withImportParameters(List<ImportParameters> parameters) {
    Draft d = new Draft(this);
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
    Draft d = new Draft(this);
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

  /** The fields of a key being changed; one home for the copy in every {@code with...} method. */
  private static final class Draft {
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
    List<KeyMaterial> materials;
    KeyRotation rotation;
    MultiRegionRole multiRegion;
    List<ImportParameters> importParameters;
    Map<String, String> tags;

    Draft(KmsKey key) {
      keyId = key.keyId;
      accountId = key.accountId;
      region = key.region;
      partition = key.partition;
      creationDate = key.creationDate;
      description = key.description;
      keyUsage = key.keyUsage;
      spec = key.spec;
      state = key.state;
      deletionDate = key.deletionDate;
      pendingWindowInDays = key.pendingWindowInDays;
      policyJson = key.policyJson;
      policy = key.policy;
      origin = key.origin;
      materials = key.materials;
      rotation = key.rotation;
      multiRegion = key.multiRegion;
      importParameters = key.importParameters;
      tags = key.tags;
    }

    KmsKey build() {
      return new KmsKey(
          keyId,
          accountId,
          region,
          partition,
          creationDate,
          description,
          keyUsage,
          spec,
          state,
          deletionDate,
          pendingWindowInDays,
          policyJson,
          policy,
          origin,
          materials,
          rotation,
          multiRegion,
          importParameters,
          tags);
    }
  }
}
