package dev.nitroemu.kms.internal;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import javax.crypto.spec.SecretKeySpec;

/**
 * One KMS key: its metadata, key policy and key material.
 *
 * <p>Instances are immutable; state changes make a new instance ({@link #withState}, {@link
 * #withPolicy}) that shares the parsed key material. The material is held in plain memory and, with
 * a state directory, written to disk: this is an emulator for tests, not a key-protection device.
 */
public final class KmsKey {
  private static final byte[] KEY_MATERIAL_ID_LABEL =
      "nitro-emu KMS key material id\0".getBytes(StandardCharsets.US_ASCII);

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
  private final Material material;

  /**
   * Makes a key.
   *
   * @param secret the 32-byte AES key (symmetric keys) or the DER PKCS#8 private key
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
        keyId, accountId, region, partition, creationDate, description, keyUsage, spec, state,
        deletionDate, pendingWindowInDays, policyJson, policy,
        new Material(spec, secret.clone(), publicKey == null ? null : publicKey.clone()));
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
      Material material) {
    this.keyId = Objects.requireNonNull(keyId, "keyId");
    this.accountId = Objects.requireNonNull(accountId, "accountId");
    this.region = Objects.requireNonNull(region, "region");
    this.partition = Objects.requireNonNull(partition, "partition");
    this.creationDate = Objects.requireNonNull(creationDate, "creationDate");
    this.description = Objects.requireNonNull(description, "description");
    this.keyUsage = Objects.requireNonNull(keyUsage, "keyUsage");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.state = Objects.requireNonNull(state, "state");
    if ((state == KeyState.PENDING_DELETION) != (deletionDate != null && pendingWindowInDays != null)) {
      throw new IllegalArgumentException("A deletion date and window belong to pending deletion only");
    }
    this.deletionDate = deletionDate;
    this.pendingWindowInDays = pendingWindowInDays;
    this.policyJson = Objects.requireNonNull(policyJson, "policyJson");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.material = material;
    if (spec.asymmetric() == (material.publicKey == null)) {
      throw new IllegalArgumentException("Asymmetric keys and only they have a public key");
    }
    if (!spec.asymmetric() && material.secret.length != 32) {
      throw new IllegalArgumentException("Symmetric key material is 32 bytes");
    }
  }

  /** A copy in another state ({@code deletionDate} and the window only for pending deletion). */
  public KmsKey withState(KeyState newState, Instant newDeletionDate, Integer newWindowInDays) {
    return new KmsKey(
        keyId, accountId, region, partition, creationDate, description, keyUsage, spec, newState,
        newDeletionDate, newWindowInDays, policyJson, policy, material);
  }

  /** A copy with another key policy. */
  public KmsKey withPolicy(String newPolicyJson, KeyPolicy newPolicy) {
    return new KmsKey(
        keyId, accountId, region, partition, creationDate, description, keyUsage, spec, state,
        deletionDate, pendingWindowInDays, newPolicyJson, newPolicy, material);
  }

  /** The key id, a UUID. */
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

  /** {@code ENCRYPT_DECRYPT} or {@code KEY_AGREEMENT}. */
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

  /** The 64-hex-digit id of the key material (symmetric keys), else null. */
  public String keyMaterialId() {
    return material.keyMaterialId;
  }

  /** The AES-256 key of a symmetric key. */
  public SecretKeySpec secretKey() {
    if (spec.asymmetric()) {
      throw new IllegalStateException("Not a symmetric key");
    }
    return material.secretKey;
  }

  /** The private key of an asymmetric key. */
  public PrivateKey privateKey() {
    return material.privateKey();
  }

  /** The public key of an asymmetric key. */
  public PublicKey publicKey() {
    return material.publicKey();
  }

  /** The raw material for persistence: AES key bytes or DER PKCS#8; a copy. */
  byte[] secretMaterial() {
    return material.secret.clone();
  }

  /** The DER SubjectPublicKeyInfo of an asymmetric key (a copy), else null. */
  public byte[] publicKeyDer() {
    return material.publicKey == null ? null : material.publicKey.clone();
  }

  @Override
  public String toString() {
    return "KmsKey[" + arn() + ", " + spec + ", " + keyUsage + ", " + state.wireName() + "]";
  }

  /** Key material shared by all copies of one key; JCA objects are parsed once, on first use. */
  private static final class Material {
    private final KmsKeySpec spec;
    private final byte[] secret;
    private final byte[] publicKey;
    private final SecretKeySpec secretKey;
    private final String keyMaterialId;
    private volatile PrivateKey parsedPrivate;
    private volatile PublicKey parsedPublic;

    Material(KmsKeySpec spec, byte[] secret, byte[] publicKey) {
      this.spec = spec;
      this.secret = secret;
      this.publicKey = publicKey;
      this.secretKey = spec.asymmetric() ? null : new SecretKeySpec(secret, "AES");
      this.keyMaterialId = spec.asymmetric() ? null : materialId(secret);
    }

    PrivateKey privateKey() {
      PrivateKey key = parsedPrivate;
      if (key == null) {
        try {
          key = keyFactory().generatePrivate(new PKCS8EncodedKeySpec(secret));
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("Unreadable private key material", e);
        }
        parsedPrivate = key;
      }
      return key;
    }

    PublicKey publicKey() {
      PublicKey key = parsedPublic;
      if (key == null) {
        try {
          key = keyFactory().generatePublic(new X509EncodedKeySpec(publicKey));
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("Unreadable public key material", e);
        }
        parsedPublic = key;
      }
      return key;
    }

    private KeyFactory keyFactory() throws GeneralSecurityException {
      if (!spec.asymmetric()) {
        throw new IllegalStateException("Not an asymmetric key");
      }
      return KeyFactory.getInstance(spec.family() == KmsKeySpec.Family.RSA ? "RSA" : "EC");
    }

    private static String materialId(byte[] secret) {
      try {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        sha256.update(KEY_MATERIAL_ID_LABEL);
        return HexFormat.of().formatHex(sha256.digest(secret));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
