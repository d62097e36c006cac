package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.CryptoProviders;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECField;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.EllipticCurve;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.RSAKeyGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/**
 * The public-key operations of the mock: key pair generation, RSAES-OAEP encryption with KMS's
 * parameter sets, and ECDH key agreement with a checked peer key.
 */
public final class AsymmetricCrypto {
  /** EncryptionAlgorithm values of RSA keys. */
  public static final List<String> RSA_ALGORITHMS =
      List.of("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256");

  /** The KeyPairSpec enum values of the KMS model. */
  public static final List<String> DATA_KEY_PAIR_SPECS =
      List.of(
          "RSA_2048",
          "RSA_3072",
          "RSA_4096",
          "ECC_NIST_P256",
          "ECC_NIST_P384",
          "ECC_NIST_P521",
          "ECC_SECG_P256K1",
          "SM2",
          "ECC_NIST_EDWARDS25519");

  private AsymmetricCrypto() {}

  /** A new key pair for an asymmetric KMS key. */
  public static KeyPair generate(KmsKeySpec spec, SecureRandom random) {
    try {
      if (spec.family() == KmsKeySpec.Family.RSA) {
        KeyPairGenerator rsa = CryptoProviders.configured().keyPairGenerator("RSA");
        rsa.initialize(new RSAKeyGenParameterSpec(spec.bits(), RSAKeyGenParameterSpec.F4), random);
        return rsa.generateKeyPair();
      }
      if (spec == KmsKeySpec.ECC_SECG_P256K1) {
        // The JDK dropped secp256k1 in Java 16; BouncyCastle (already a dependency) has it.
        KeyPairGenerator k1 = KeyPairGenerator.getInstance("EC", Bc.PROVIDER);
        k1.initialize(new ECGenParameterSpec(spec.curve()), random);
        return k1.generateKeyPair();
      }
      if (spec.family() == KmsKeySpec.Family.ECC) {
        KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec(spec.curve()), random);
        return ec.generateKeyPair();
      }
      throw new IllegalArgumentException("Not an asymmetric spec: " + spec);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Cannot generate a " + spec + " key pair", e);
    }
  }

  /**
   * A new data key pair (GenerateDataKeyPair).
   *
   * @param keyPairSpec one of {@link #DATA_KEY_PAIR_SPECS}
   * @throws KmsError UnsupportedOperationException for SM2 (China Regions only)
   */
  public static KeyPair generateDataKeyPair(String keyPairSpec, SecureRandom random) {
    KmsKeySpec spec = KmsKeySpec.fromWire(keyPairSpec);
    if (spec != null && spec.asymmetric()) {
      return generate(spec, random);
    }
    try {
      switch (keyPairSpec) {
        case "ECC_NIST_EDWARDS25519":
          KeyPairGenerator ed = KeyPairGenerator.getInstance("Ed25519");
          ed.initialize(255, random);
          return ed.generateKeyPair();
        case "SM2":
          throw sm2Unsupported();
        default:
          throw new IllegalArgumentException("Unknown key pair spec " + keyPairSpec);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Cannot generate a " + keyPairSpec + " key pair", e);
    }
  }

  /** SM2 exists only in China Regions, and the mock does not implement it. */
  public static KmsError sm2Unsupported() {
    return new KmsError(
        "UnsupportedOperationException", "KeyPairSpec SM2 is supported only in China Regions.");
  }

  /** The longest plaintext RSAES-OAEP can encrypt with this modulus and algorithm. */
  public static int maxOaepPlaintext(int modulusBits, String algorithm) {
    int hashLength = algorithm.equals("RSAES_OAEP_SHA_1") ? 20 : 32;
    return modulusBits / 8 - 2 * hashLength - 2;
  }

  /** RSAES-OAEP encryption with KMS's parameters (MGF1 uses the same hash as OAEP). */
  public static byte[] rsaEncrypt(
      PublicKey key, String algorithm, byte[] plaintext, SecureRandom random) {
    try {
      Cipher rsa = CryptoProviders.configured().cipher("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.ENCRYPT_MODE, key, oaep(algorithm), random);
      return rsa.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP encryption failed", e);
    }
  }

  /**
   * RSAES-OAEP decryption.
   *
   * @throws KmsError InvalidCiphertextException when the ciphertext does not decrypt
   */
  public static byte[] rsaDecrypt(PrivateKey key, String algorithm, byte[] ciphertext) {
    try {
      Cipher rsa = CryptoProviders.configured().cipher("RSA/ECB/OAEPPadding");
      rsa.init(Cipher.DECRYPT_MODE, key, oaep(algorithm));
      return rsa.doFinal(ciphertext);
    } catch (BadPaddingException | IllegalBlockSizeException e) {
      throw CiphertextBlob.invalid();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-OAEP unavailable", e);
    }
  }

  /**
   * ECDH between a KMS key's private key and a peer's public key: the raw shared secret (the
   * x-coordinate of the shared point), as KMS DeriveSharedSecret returns it.
   *
   * @param peerSpki the peer's DER SubjectPublicKeyInfo
   * @throws KmsError ValidationException when the peer key is not a valid point of the key's curve
   */
  public static byte[] ecdh(PrivateKey privateKey, byte[] peerSpki, KmsKeySpec spec) {
    ECParameterSpec params = ((ECPrivateKey) privateKey).getParams();
    ECPublicKey peer = parseEcPublicKey(peerSpki, spec);
    if (!sameCurve(params, peer.getParams()) || !onCurve(peer.getW(), params.getCurve())) {
      throw invalidPeerKey(spec);
    }
    try {
      KeyAgreement agreement = KeyAgreement.getInstance("ECDH");
      agreement.init(privateKey);
      agreement.doPhase(peer, true);
      return agreement.generateSecret();
    } catch (GeneralSecurityException e) {
      throw invalidPeerKey(spec);
    }
  }

  private static ECPublicKey parseEcPublicKey(byte[] spki, KmsKeySpec spec) {
    try {
      PublicKey key = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
      if (key instanceof ECPublicKey ec) {
        return ec;
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      // fall through: any parse failure is the same client error
    }
    throw invalidPeerKey(spec);
  }

  private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
    return a.getCurve().equals(b.getCurve())
        && a.getOrder().equals(b.getOrder())
        && a.getGenerator().equals(b.getGenerator())
        && a.getCofactor() == b.getCofactor();
  }

  /** Whether a point satisfies y^2 = x^3 + ax + b over the curve's prime field. */
  static boolean onCurve(ECPoint point, EllipticCurve curve) {
    if (point.equals(ECPoint.POINT_INFINITY)) {
      return false;
    }
    ECField field = curve.getField();
    if (!(field instanceof ECFieldFp fp)) {
      return false;
    }
    BigInteger p = fp.getP();
    BigInteger x = point.getAffineX();
    BigInteger y = point.getAffineY();
    if (x.signum() < 0 || x.compareTo(p) >= 0 || y.signum() < 0 || y.compareTo(p) >= 0) {
      return false;
    }
    BigInteger left = y.multiply(y).mod(p);
    BigInteger right = x.pow(3).add(curve.getA().multiply(x)).add(curve.getB()).mod(p);
    return left.equals(right);
  }

  private static KmsError invalidPeerKey(KmsKeySpec spec) {
    return KmsError.validation(
        "PublicKey must be a DER-encoded SubjectPublicKeyInfo of a point on the curve of key spec "
            + spec.name()
            + ".");
  }

  private static OAEPParameterSpec oaep(String algorithm) {
    if (algorithm.equals("RSAES_OAEP_SHA_1")) {
      return new OAEPParameterSpec(
          "SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
    }
    if (algorithm.equals("RSAES_OAEP_SHA_256")) {
      return new OAEPParameterSpec(
          "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
    }
    throw new IllegalArgumentException("Not an RSA encryption algorithm: " + algorithm);
  }

  /** BouncyCastle, created on first use and never registered globally. */
  static final class Bc {
    static final Provider PROVIDER = new BouncyCastleProvider();
  }
}
