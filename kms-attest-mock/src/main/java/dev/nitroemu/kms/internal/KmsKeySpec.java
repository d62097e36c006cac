package dev.nitroemu.kms.internal;

import java.util.List;

/**
 * The KMS key specs the mock can create, with the key usages and algorithms each one has.
 *
 * <p>AWS knows more specs ({@link #AWS_KEY_SPECS}); the ones not listed here (SM2, ML-DSA, Ed25519
 * KMS keys) are refused at CreateKey with {@code UnsupportedOperationException}.
 */
public enum KmsKeySpec {
  SYMMETRIC_DEFAULT(Family.SYMMETRIC, 256, null),
  RSA_2048(Family.RSA, 2048, null),
  RSA_3072(Family.RSA, 3072, null),
  RSA_4096(Family.RSA, 4096, null),
  ECC_NIST_P256(Family.ECC, 256, "secp256r1"),
  ECC_NIST_P384(Family.ECC, 384, "secp384r1"),
  ECC_NIST_P521(Family.ECC, 521, "secp521r1"),
  /** secp256k1: the JDK dropped it in Java 16, so its keys and signatures use BouncyCastle. */
  ECC_SECG_P256K1(Family.ECC, 256, "secp256k1"),
  HMAC_224(Family.HMAC, 224, null),
  HMAC_256(Family.HMAC, 256, null),
  HMAC_384(Family.HMAC, 384, null),
  HMAC_512(Family.HMAC, 512, null);

  /** The KeySpec enum values of the current KMS model, in the order AWS lists them in errors. */
  public static final List<String> AWS_KEY_SPECS =
      List.of(
          "RSA_2048",
          "RSA_3072",
          "RSA_4096",
          "ECC_NIST_P256",
          "ECC_NIST_P384",
          "ECC_NIST_P521",
          "ECC_SECG_P256K1",
          "SYMMETRIC_DEFAULT",
          "HMAC_224",
          "HMAC_256",
          "HMAC_384",
          "HMAC_512",
          "SM2",
          "ML_DSA_44",
          "ML_DSA_65",
          "ML_DSA_87",
          "ECC_NIST_EDWARDS25519");

  /** The KeyUsage enum values of the current KMS model. */
  public static final List<String> AWS_KEY_USAGES =
      List.of("SIGN_VERIFY", "ENCRYPT_DECRYPT", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT");

  public static final String ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT";
  public static final String KEY_AGREEMENT = "KEY_AGREEMENT";
  public static final String SIGN_VERIFY = "SIGN_VERIFY";
  public static final String GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC";

  /** The kind of key material a spec has. */
  public enum Family {
    /** An AES key for SYMMETRIC_DEFAULT. */
    SYMMETRIC,
    RSA,
    ECC,
    /** An HMAC key. */
    HMAC
  }

  private final Family family;
  private final int bits;
  private final String curve;

  KmsKeySpec(Family family, int bits, String curve) {
    this.family = family;
    this.bits = bits;
    this.curve = curve;
  }

  /** Symmetric, RSA or elliptic curve. */
  public Family family() {
    return family;
  }

  /** AES key bits, RSA modulus bits, the curve's field size, or the HMAC digest size. */
  public int bits() {
    return bits;
  }

  /** The JCA standard curve name for ECC specs, else null. */
  public String curve() {
    return curve;
  }

  /** Whether keys of this spec are asymmetric (RSA or elliptic curve). */
  public boolean asymmetric() {
    return family == Family.RSA || family == Family.ECC;
  }

  /** The spec with this wire name, or null when the mock does not implement it. */
  public static KmsKeySpec fromWire(String name) {
    for (KmsKeySpec spec : values()) {
      if (spec.name().equals(name)) {
        return spec;
      }
    }
    return null;
  }

  /**
   * The key usages AWS allows for an AWS key spec name (used to tell incompatible requests, a
   * ValidationException, from valid ones the mock does not implement).
   */
  public static List<String> awsUsagesFor(String awsKeySpec) {
    if (awsKeySpec.equals("SYMMETRIC_DEFAULT")) {
      return List.of(ENCRYPT_DECRYPT);
    }
    if (awsKeySpec.startsWith("RSA_")) {
      return List.of(ENCRYPT_DECRYPT, SIGN_VERIFY);
    }
    if (awsKeySpec.startsWith("ECC_NIST_P")) {
      return List.of(SIGN_VERIFY, KEY_AGREEMENT);
    }
    if (awsKeySpec.startsWith("HMAC_")) {
      return List.of(GENERATE_VERIFY_MAC);
    }
    if (awsKeySpec.equals("SM2")) {
      return List.of(ENCRYPT_DECRYPT, SIGN_VERIFY, KEY_AGREEMENT);
    }
    return List.of(SIGN_VERIFY);
  }

  /** Whether the mock implements this spec with this usage, i.e. whether CreateKey can make it. */
  public boolean implementsUsage(String usage) {
    return awsUsagesFor(name()).contains(usage);
  }

  /**
   * The EncryptionAlgorithms of this spec's ENCRYPT_DECRYPT keys (empty for ECC and HMAC specs);
   * keys with another usage list none.
   */
  public List<String> encryptionAlgorithms() {
    switch (family) {
      case SYMMETRIC:
        return List.of("SYMMETRIC_DEFAULT");
      case RSA:
        return List.of("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256");
      default:
        return List.of();
    }
  }

  /**
   * The SigningAlgorithms of this spec's SIGN_VERIFY keys, in AWS's order (empty for other specs).
   */
  public List<String> signingAlgorithms() {
    switch (family) {
      case RSA:
        return List.of(
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512");
      case ECC:
        // AWS pairs each curve with one hash: P-256 and secp256k1 SHA-256, P-384 SHA-384, P-521
        // SHA-512.
        return List.of(
            bits == 384 ? "ECDSA_SHA_384" : bits == 521 ? "ECDSA_SHA_512" : "ECDSA_SHA_256");
      default:
        return List.of();
    }
  }

  /** The MacAlgorithms of an HMAC spec (one: the hash of the same size), else empty. */
  public List<String> macAlgorithms() {
    return family == Family.HMAC ? List.of("HMAC_SHA_" + bits) : List.of();
  }
}
