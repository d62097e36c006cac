package dev.nitroemu.kms.internal;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.interfaces.ECPrivateKey;
import org.bouncycastle.jce.spec.ECParameterSpec;
import org.bouncycastle.jce.spec.ECPublicKeySpec;

/**
 * The cryptography of importing key material as AWS's guide describes it: RSA wrapping key pairs,
 * unwrapping with the four wrapping algorithms, and checking that the unwrapped bytes are key
 * material of the key's spec.
 *
 * <p>{@code RSAES_OAEP_SHA_1} and {@code RSAES_OAEP_SHA_256} decrypt the material directly (OAEP
 * with MGF1 over the same hash, as {@code openssl pkeyutl -pkeyopt rsa_padding_mode:oaep -pkeyopt
 * rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256} makes it). {@code RSA_AES_KEY_WRAP_SHA_1} and
 * {@code RSA_AES_KEY_WRAP_SHA_256} take the RSA-OAEP-wrapped 256-bit AES key (one modulus length),
 * followed by the material wrapped with AES Key Wrap with Padding (RFC 5649, {@code openssl enc
 * -id-aes256-wrap-pad -iv A65959A6}). Any failure to unwrap is {@code InvalidCiphertextException}.
 *
 * <p>Material checks (texts inferred, no public record): symmetric keys take exactly 32 bytes; RSA
 * and ECC keys take a DER PKCS#8 private key of the key's modulus size or curve; anything else is
 * {@code IncorrectKeyMaterialException} "{@code The key material is not valid for key spec <spec>:
 * <reason>.}".
 */
final class ImportedKeyMaterial {
  /** The WrappingAlgorithm (AlgorithmSpec) enum of the KMS model. */
  static final List<String> WRAPPING_ALGORITHMS =
      List.of(
          "RSAES_PKCS1_V1_5",
          "RSAES_OAEP_SHA_1",
          "RSAES_OAEP_SHA_256",
          "RSA_AES_KEY_WRAP_SHA_1",
          "RSA_AES_KEY_WRAP_SHA_256",
          "SM2PKE");

  /** The WrappingKeySpec enum of the KMS model. */
  static final List<String> WRAPPING_KEY_SPECS = List.of("RSA_2048", "RSA_3072", "RSA_4096", "SM2");

  /**
   * Unwrapped material in the form the key stores it.
   *
   * @param secret 32 AES key bytes, or the private key re-encoded as DER PKCS#8
   * @param publicKey the DER SubjectPublicKeyInfo of asymmetric material, else null
   */
  record Material(byte[] secret, byte[] publicKey) {}

  private ImportedKeyMaterial() {}

  /** A new RSA wrapping key pair of {@code RSA_2048}, {@code RSA_3072} or {@code RSA_4096}. */
  static KeyPair wrappingKeyPair(String wrappingKeySpec, SecureRandom random) {
    int bits = Integer.parseInt(wrappingKeySpec.substring("RSA_".length()));
    try {
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(new RSAKeyGenParameterSpec(bits, RSAKeyGenParameterSpec.F4), random);
      return rsa.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Cannot generate an RSA wrapping key", e);
    }
  }

  /**
   * Unwraps encrypted key material with the wrapping private key of an import.
   *
   * @throws KmsError InvalidCiphertextException when it does not unwrap
   */
  static byte[] unwrap(ImportParameters parameters, byte[] encrypted) {
    PrivateKey wrappingKey;
    try {
      wrappingKey =
          KeyFactory.getInstance("RSA")
              .generatePrivate(new PKCS8EncodedKeySpec(parameters.privateKey()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Unreadable wrapping key", e);
    }
    String algorithm = parameters.wrappingAlgorithm();
    String oaep = algorithm.endsWith("SHA_1") ? "RSAES_OAEP_SHA_1" : "RSAES_OAEP_SHA_256";
    if (algorithm.startsWith("RSAES_OAEP")) {
      return AsymmetricCrypto.rsaDecrypt(wrappingKey, oaep, encrypted);
    }
    int modulusBytes =
        Integer.parseInt(parameters.wrappingKeySpec().substring("RSA_".length())) / 8;
    if (encrypted.length <= modulusBytes) {
      throw CiphertextBlob.invalid();
    }
    byte[] aesKey =
        AsymmetricCrypto.rsaDecrypt(wrappingKey, oaep, Arrays.copyOf(encrypted, modulusBytes));
    if (aesKey.length != 32) {
      throw CiphertextBlob.invalid();
    }
    try {
      Cipher kwp = Cipher.getInstance("AES/KWP/NoPadding");
      kwp.init(Cipher.DECRYPT_MODE, new SecretKeySpec(aesKey, "AES"));
      return kwp.doFinal(encrypted, modulusBytes, encrypted.length - modulusBytes);
    } catch (javax.crypto.BadPaddingException | javax.crypto.IllegalBlockSizeException e) {
      throw CiphertextBlob.invalid();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES key wrap with padding is unavailable", e);
    }
  }

  /**
   * Checks that bytes are key material of {@code spec} and puts them in stored form.
   *
   * @throws KmsError IncorrectKeyMaterialException when they are not
   */
  static Material material(KmsKeySpec spec, byte[] bytes) {
    switch (spec.family()) {
      case SYMMETRIC:
        if (bytes.length != 32) {
          throw incorrect(
              spec, "a symmetric key is 256 bits (32 bytes), not " + bytes.length + " bytes");
        }
        return new Material(bytes.clone(), null);
      case RSA:
        return rsa(spec, bytes);
      case ECC:
        return ecc(spec, bytes);
      default:
        throw new KmsError(
            "UnsupportedOperationException",
            "Importing key material into "
                + spec.name()
                + " keys is not supported by the nitro-emu KMS mock.");
    }
  }

  private static Material rsa(KmsKeySpec spec, byte[] bytes) {
    PrivateKey key = privateKey("RSA", null, spec, bytes);
    if (!(key instanceof RSAPrivateCrtKey crt) || crt.getPublicExponent() == null) {
      throw incorrect(spec, "the RSA private key lacks its public exponent");
    }
    if (crt.getModulus().bitLength() != spec.bits()) {
      throw incorrect(spec, "the RSA modulus has " + crt.getModulus().bitLength() + " bits");
    }
    try {
      byte[] publicKey =
          KeyFactory.getInstance("RSA")
              .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()))
              .getEncoded();
      return new Material(key.getEncoded(), publicKey);
    } catch (GeneralSecurityException e) {
      throw incorrect(spec, "the RSA key is not valid");
    }
  }

  private static Material ecc(KmsKeySpec spec, byte[] bytes) {
    PrivateKey key = privateKey("EC", AsymmetricCrypto.Bc.PROVIDER, spec, bytes);
    ECParameterSpec expected = ECNamedCurveTable.getParameterSpec(spec.curve());
    if (!(key instanceof ECPrivateKey ec)
        || ec.getParameters() == null
        || !ec.getParameters().getCurve().equals(expected.getCurve())
        || !ec.getParameters().getG().equals(expected.getG())) {
      throw incorrect(spec, "the private key is not on curve " + spec.curve());
    }
    BigInteger d = ec.getD();
    if (d.signum() <= 0 || d.compareTo(expected.getN()) >= 0) {
      throw incorrect(spec, "the private scalar is out of range");
    }
    try {
      KeyFactory bc = KeyFactory.getInstance("EC", AsymmetricCrypto.Bc.PROVIDER);
      byte[] publicKey =
          bc.generatePublic(new ECPublicKeySpec(expected.getG().multiply(d).normalize(), expected))
              .getEncoded();
      // The JDK dropped secp256k1: its keys are kept in BouncyCastle's encoding, as KeyMaterial
      // parses them.
      KeyFactory storing = spec == KmsKeySpec.ECC_SECG_P256K1 ? bc : KeyFactory.getInstance("EC");
      byte[] normalized = storing.generatePrivate(new PKCS8EncodedKeySpec(bytes)).getEncoded();
      return new Material(normalized, publicKey);
    } catch (GeneralSecurityException e) {
      throw incorrect(spec, "the EC key is not valid");
    }
  }

  private static PrivateKey privateKey(
      String algorithm, java.security.Provider provider, KmsKeySpec spec, byte[] der) {
    try {
      KeyFactory factory =
          provider == null
              ? KeyFactory.getInstance(algorithm)
              : KeyFactory.getInstance(algorithm, provider);
      return factory.generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw incorrect(spec, "it is not a DER-encoded PKCS#8 " + algorithm + " private key");
    }
  }

  static KmsError incorrect(KmsKeySpec spec, String reason) {
    return new KmsError(
        "IncorrectKeyMaterialException",
        "The key material is not valid for key spec " + spec.name() + ": " + reason + ".");
  }
}
