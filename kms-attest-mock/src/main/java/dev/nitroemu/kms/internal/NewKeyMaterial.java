package dev.nitroemu.kms.internal;

import java.security.KeyPair;
import java.security.SecureRandom;

/**
 * The key material of a new KMS key: generated, or taken from LocalStack's {@code
 * _custom_key_material_} tag.
 *
 * @param secret the AES or HMAC key bytes, or the DER PKCS#8 private key
 * @param publicKey the DER SubjectPublicKeyInfo of an asymmetric key, else null
 */
record NewKeyMaterial(byte[] secret, byte[] publicKey) {

  /** Fresh material: a 256-bit AES key, an HMAC key as long as its digest, or a key pair. */
  static NewKeyMaterial generate(KmsKeySpec spec, SecureRandom random) {
    if (spec.asymmetric()) {
      KeyPair pair = AsymmetricCrypto.generate(spec, random);
      return new NewKeyMaterial(pair.getPrivate().getEncoded(), pair.getPublic().getEncoded());
    }
    byte[] secret = new byte[spec.bits() / 8];
    random.nextBytes(secret);
    return new NewKeyMaterial(secret, null);
  }

  /**
   * Material as LocalStack documents it: the raw key for SYMMETRIC_DEFAULT (an AES key of 16, 24 or
   * 32 bytes) and HMAC specs (any length up to 1024 bytes), a DER PKCS#8 private key of the spec's
   * size or curve for RSA and ECC specs (checked as ImportKeyMaterial checks imported material).
   *
   * @throws KmsError ValidationException (a mock-specific text) for raw keys of the wrong length,
   *     IncorrectKeyMaterialException for private keys that do not fit the spec
   */
  static NewKeyMaterial fromCustom(KmsKeySpec spec, byte[] material) {
    switch (spec.family()) {
      case SYMMETRIC:
        if (material.length != 16 && material.length != 24 && material.length != 32) {
          throw unfit(spec, "an AES key of 16, 24 or 32 bytes, not " + material.length + " bytes");
        }
        return new NewKeyMaterial(material.clone(), null);
      case HMAC:
        if (material.length > KeyMaterial.MAX_HMAC_KEY) {
          throw unfit(spec, "an HMAC key of 1 to " + KeyMaterial.MAX_HMAC_KEY + " bytes");
        }
        return new NewKeyMaterial(material.clone(), null);
      default:
        ImportedKeyMaterial.Material parsed = ImportedKeyMaterial.material(spec, material);
        return new NewKeyMaterial(parsed.secret(), parsed.publicKey());
    }
  }

  private static KmsError unfit(KmsKeySpec spec, String expected) {
    return KmsError.validation(
        LocalStackTags.CUSTOM_KEY_MATERIAL
            + " of a "
            + spec.name()
            + " key must be the base64 of "
            + expected
            + ".");
  }
}
