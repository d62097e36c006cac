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
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.crypto.spec.SecretKeySpec;

/**
 * One version of a KMS key's key material: the secret (an AES key, an HMAC key, or a DER PKCS#8
 * private key with its DER SubjectPublicKeyInfo), its 64-hex-digit id, its place in the key's
 * rotations, and, for imported material, its import state and expiration.
 *
 * <p>Ids: material KMS generated is named {@code SHA-256("nitro-emu KMS key material id\0" ||
 * secret)}; imported material {@code SHA-256("nitro-emu KMS imported key material id\0" || key id
 * || secret)}, so, as AWS describes it, the id follows from the key id and the material
 * (reimporting the same material gives the same id; multi-Region copies share ids). Ciphertext
 * blobs name the material by this id.
 *
 * <p>Immutable; the JCA objects are parsed once, on first use. Imported material whose secret was
 * deleted or expired keeps its id (and public key) so the same material can be imported again.
 */
public final class KeyMaterial {
  /**
   * The longest HMAC key material accepted (LocalStack's {@code _custom_key_material_} takes any
   * length).
   */
  static final int MAX_HMAC_KEY = 1024;

  /** Compiled once: a compile per material was 8 % of loading 100,000 keys. */
  private static final Pattern MATERIAL_ID = Pattern.compile("[0-9a-f]{64}");

  private static final byte[] GENERATED_LABEL =
      "nitro-emu KMS key material id\0".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] IMPORTED_LABEL =
      "nitro-emu KMS imported key material id\0".getBytes(StandardCharsets.US_ASCII);

  /** {@code KeyMaterialState} of ListKeyRotations. */
  public enum State {
    CURRENT,
    NON_CURRENT,
    PENDING_ROTATION
  }

  /**
   * What an import said about material: its description and expiration.
   *
   * @param description the KeyMaterialDescription, or null
   * @param expirationModel {@code KEY_MATERIAL_EXPIRES} or {@code KEY_MATERIAL_DOES_NOT_EXPIRE},
   *     null while the material is not imported
   * @param validTo when expiring material is deleted, else null
   */
  public record Imported(String description, String expirationModel, Instant validTo) {}

  private final String id;
  private final KmsKeySpec spec;
  private final byte[] secret;
  private final byte[] publicKey;
  private final State state;
  private final Instant rotationDate;
  private final String rotationType;
  private final Imported imported;
  private final SecretKeySpec secretKey;
  private volatile PrivateKey parsedPrivate;
  private volatile PublicKey parsedPublic;

  /**
   * @param secret the AES key bytes or DER PKCS#8, or null for imported material that is not
   *     imported now
   * @param publicKey the DER SubjectPublicKeyInfo of asymmetric material, else null
   * @param rotationDate when a rotation made this material current, null for the first material and
   *     material pending rotation
   * @param rotationType {@code AUTOMATIC} or {@code ON_DEMAND} with a rotation date, else null
   * @param imported import details, null for material KMS generated
   */
  public KeyMaterial(
      String id,
      KmsKeySpec spec,
      byte[] secret,
      byte[] publicKey,
      State state,
      Instant rotationDate,
      String rotationType,
      Imported imported) {
    this.id = Objects.requireNonNull(id, "id");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.secret = secret == null ? null : secret.clone();
    this.publicKey = publicKey == null ? null : publicKey.clone();
    this.state = Objects.requireNonNull(state, "state");
    this.rotationDate = rotationDate;
    this.rotationType = rotationType;
    this.imported = imported;
    if (!MATERIAL_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("A key material id is 64 lower-case hex digits");
    }
    if (secret == null && imported == null) {
      throw new IllegalArgumentException("Only imported material can be without its secret");
    }
    if ((rotationDate == null) != (rotationType == null)) {
      throw new IllegalArgumentException("A rotation has both a date and a type");
    }
    if (spec.asymmetric() && publicKey == null && secret != null) {
      throw new IllegalArgumentException("Asymmetric material has a public key");
    }
    // AES keys are 32 bytes, or 16 or 24 from LocalStack's _custom_key_material_ (LocalStackTags).
    int length = secret == null ? 32 : secret.length;
    if (spec.family() == KmsKeySpec.Family.SYMMETRIC
        && length != 16
        && length != 24
        && length != 32) {
      throw new IllegalArgumentException(
          "Symmetric key material is an AES key of 16, 24 or 32 bytes");
    }
    if (spec.family() == KmsKeySpec.Family.HMAC && (length < 1 || length > MAX_HMAC_KEY)) {
      throw new IllegalArgumentException("HMAC key material is 1 to " + MAX_HMAC_KEY + " bytes");
    }
    this.secretKey =
        spec.family() != KmsKeySpec.Family.SYMMETRIC || secret == null
            ? null
            : new SecretKeySpec(secret, "AES");
  }

  /** The first material of a key KMS generates. */
  public static KeyMaterial generated(KmsKeySpec spec, byte[] secret, byte[] publicKey) {
    return new KeyMaterial(
        generatedId(secret), spec, secret, publicKey, State.CURRENT, null, null, null);
  }

  /** New symmetric material made by a rotation at {@code date}. */
  public static KeyMaterial rotated(
      KmsKeySpec spec, byte[] secret, Instant date, String rotationType) {
    return new KeyMaterial(
        generatedId(secret), spec, secret, null, State.CURRENT, date, rotationType, null);
  }

  /** The id imported material gets in the key {@code keyId}. */
  public static String importedId(String keyId, byte[] secret) {
    return digest(IMPORTED_LABEL, keyId.getBytes(StandardCharsets.US_ASCII), secret);
  }

  private static String generatedId(byte[] secret) {
    return digest(GENERATED_LABEL, new byte[0], secret);
  }

  private static String digest(byte[] label, byte[] keyId, byte[] secret) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(label);
      sha256.update(keyId);
      return HexFormat.of().formatHex(sha256.digest(secret));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Checks the material versions of a key: one current version (none only for a key awaiting its
   * first import), at most one pending rotation, all of the key's spec; KMS-made material is always
   * there; asymmetric keys have one version.
   *
   * @throws IllegalArgumentException when they break these rules
   */
  static void checkVersions(KmsKeySpec spec, String origin, List<KeyMaterial> materials) {
    if (!origin.equals(KmsKey.AWS_KMS) && !origin.equals(KmsKey.EXTERNAL)) {
      throw new IllegalArgumentException("Unknown origin " + origin);
    }
    // Loops, not streams: this runs for every key a restart loads.
    int current = 0;
    int pending = 0;
    boolean allAvailable = true;
    for (KeyMaterial m : materials) {
      current += m.state == State.CURRENT ? 1 : 0;
      pending += m.state == State.PENDING_ROTATION ? 1 : 0;
      allAvailable &= m.available();
      if (m.spec != spec) {
        throw new IllegalArgumentException("Material of another key spec");
      }
    }
    if (current > 1 || pending > 1 || (current == 0 && !materials.isEmpty())) {
      throw new IllegalArgumentException(
          "A key has one current material and at most one pending rotation");
    }
    if (origin.equals(KmsKey.AWS_KMS) && (current != 1 || !allAvailable)) {
      throw new IllegalArgumentException("A key KMS made has its material");
    }
    if (spec.asymmetric() && materials.size() > 1) {
      throw new IllegalArgumentException("Asymmetric keys have one key material");
    }
  }

  /** The 64-hex-digit key material id. */
  public String id() {
    return id;
  }

  public KmsKeySpec spec() {
    return spec;
  }

  public State state() {
    return state;
  }

  /** When a rotation made this material current, or null. */
  public Instant rotationDate() {
    return rotationDate;
  }

  /** {@code AUTOMATIC} or {@code ON_DEMAND}, or null. */
  public String rotationType() {
    return rotationType;
  }

  /** Import details, or null for generated material. */
  public Imported imported() {
    return imported;
  }

  /** Whether the secret is present (always for generated material). */
  public boolean available() {
    return secret != null;
  }

  /** {@code IMPORTED} or {@code PENDING_IMPORT} for imported material, else null. */
  public String importState() {
    return imported == null ? null : secret != null ? "IMPORTED" : "PENDING_IMPORT";
  }

  /** The key of HMAC material, for {@code javax.crypto.Mac} with this JCA algorithm. */
  public SecretKeySpec macKey(String jcaAlgorithm) {
    if (spec.family() != KmsKeySpec.Family.HMAC || secret == null) {
      throw new IllegalStateException("Not available HMAC key material");
    }
    return new SecretKeySpec(secret, jcaAlgorithm);
  }

  /** The AES key of symmetric encryption material. */
  public SecretKeySpec secretKey() {
    if (secretKey == null) {
      throw new IllegalStateException("Not available symmetric key material");
    }
    return secretKey;
  }

  /** The secret bytes (a copy), or null. */
  byte[] secret() {
    return secret == null ? null : secret.clone();
  }

  /** The DER SubjectPublicKeyInfo (a copy), or null. */
  public byte[] publicKeyDer() {
    return publicKey == null ? null : publicKey.clone();
  }

  /** The private key of asymmetric material. */
  public PrivateKey privateKey() {
    PrivateKey key = parsedPrivate;
    if (key == null) {
      if (secret == null) {
        throw new IllegalStateException("The key material is not imported");
      }
      try {
        key = keyFactory().generatePrivate(new PKCS8EncodedKeySpec(secret));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("Unreadable private key material", e);
      }
      parsedPrivate = key;
    }
    return key;
  }

  /** The public key of asymmetric material. */
  public PublicKey publicKey() {
    PublicKey key = parsedPublic;
    if (key == null) {
      if (publicKey == null) {
        throw new IllegalStateException("No public key");
      }
      try {
        key = keyFactory().generatePublic(new X509EncodedKeySpec(publicKey));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("Unreadable public key material", e);
      }
      parsedPublic = key;
    }
    return key;
  }

  /** This material in another state. */
  public KeyMaterial withState(State newState) {
    return new KeyMaterial(
        id, spec, secret, publicKey, newState, rotationDate, rotationType, imported);
  }

  /** This material made current by a rotation. */
  public KeyMaterial rotatedAt(Instant date, String type) {
    return new KeyMaterial(id, spec, secret, publicKey, State.CURRENT, date, type, imported);
  }

  /** This imported material with its secret (re)imported and these import details. */
  public KeyMaterial withImport(byte[] newSecret, byte[] newPublicKey, Imported details) {
    return new KeyMaterial(
        id,
        spec,
        newSecret,
        newPublicKey != null ? newPublicKey : publicKey,
        state,
        rotationDate,
        rotationType,
        details);
  }

  /** This imported material without its secret (deleted or expired); the id and public key stay. */
  public KeyMaterial withoutSecret() {
    String description = imported == null ? null : imported.description();
    return new KeyMaterial(
        id,
        spec,
        null,
        publicKey,
        state,
        rotationDate,
        rotationType,
        new Imported(description, null, null));
  }

  private KeyFactory keyFactory() throws GeneralSecurityException {
    if (!spec.asymmetric()) {
      throw new IllegalStateException("Not an asymmetric key");
    }
    if (spec == KmsKeySpec.ECC_SECG_P256K1) {
      return KeyFactory.getInstance(
          "EC", AsymmetricCrypto.Bc.PROVIDER); // the JDK dropped secp256k1
    }
    return KeyFactory.getInstance(spec.family() == KmsKeySpec.Family.RSA ? "RSA" : "EC");
  }

  @Override
  public String toString() {
    return "KeyMaterial["
        + id
        + ", "
        + state
        + (imported == null ? "" : ", " + importState())
        + "]";
  }
}
