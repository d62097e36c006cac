package dev.nitroemu.kms.internal;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.DigestInfo;

/**
 * The KMS signing algorithms the mock implements, with KMS's parameters: RSASSA-PKCS1-v1_5 and
 * RSASSA-PSS (MGF1 with the message hash, salt as long as the hash) with SHA-256/384/512, and ECDSA
 * with DER-encoded signatures ({@code SEQUENCE {r, s}}, as KMS returns them).
 *
 * <p>A RAW message is hashed here; a DIGEST message is the hash already and is signed as such
 * (ECDSA over the digest, PKCS#1 v1.5 over its DigestInfo, PSS with the digest as mHash), so a
 * signature of {@code digest(m)} with DIGEST equals in kind one of {@code m} with RAW and verifies
 * with {@code openssl dgst -verify} or JCA's {@code SHA256withECDSA} over {@code m}.
 */
enum SigningAlgorithm {
  RSASSA_PKCS1_V1_5_SHA_256(Scheme.PKCS1, 256, NISTObjectIdentifiers.id_sha256),
  RSASSA_PKCS1_V1_5_SHA_384(Scheme.PKCS1, 384, NISTObjectIdentifiers.id_sha384),
  RSASSA_PKCS1_V1_5_SHA_512(Scheme.PKCS1, 512, NISTObjectIdentifiers.id_sha512),
  RSASSA_PSS_SHA_256(Scheme.PSS, 256, NISTObjectIdentifiers.id_sha256),
  RSASSA_PSS_SHA_384(Scheme.PSS, 384, NISTObjectIdentifiers.id_sha384),
  RSASSA_PSS_SHA_512(Scheme.PSS, 512, NISTObjectIdentifiers.id_sha512),
  ECDSA_SHA_256(Scheme.ECDSA, 256, NISTObjectIdentifiers.id_sha256),
  ECDSA_SHA_384(Scheme.ECDSA, 384, NISTObjectIdentifiers.id_sha384),
  ECDSA_SHA_512(Scheme.ECDSA, 512, NISTObjectIdentifiers.id_sha512);

  /**
   * The SigningAlgorithm enum of the KMS model (SM2DSA and ML_DSA_SHAKE_256 fit no key the mock
   * makes).
   */
  static final List<String> AWS_VALUES =
      List.of(
          "RSASSA_PSS_SHA_256",
          "RSASSA_PSS_SHA_384",
          "RSASSA_PSS_SHA_512",
          "RSASSA_PKCS1_V1_5_SHA_256",
          "RSASSA_PKCS1_V1_5_SHA_384",
          "RSASSA_PKCS1_V1_5_SHA_512",
          "ECDSA_SHA_256",
          "ECDSA_SHA_384",
          "ECDSA_SHA_512",
          "SM2DSA",
          "ML_DSA_SHAKE_256");

  private enum Scheme {
    PKCS1,
    PSS,
    ECDSA
  }

  private final Scheme scheme;
  private final int hashBits;
  private final ASN1ObjectIdentifier hashOid;

  SigningAlgorithm(Scheme scheme, int hashBits, ASN1ObjectIdentifier hashOid) {
    this.scheme = scheme;
    this.hashBits = hashBits;
    this.hashOid = hashOid;
  }

  /** The algorithm with this wire name, or null for the ones the mock does not implement. */
  static SigningAlgorithm fromWire(String name) {
    for (SigningAlgorithm algorithm : values()) {
      if (algorithm.name().equals(name)) {
        return algorithm;
      }
    }
    return null;
  }

  /** The length in bytes a DIGEST message must have. */
  int digestLength() {
    return hashBits / 8;
  }

  /**
   * Signs.
   *
   * @param digest whether {@code message} is the hash (MessageType DIGEST) rather than the message
   */
  byte[] sign(KmsKey key, byte[] message, boolean digest, SecureRandom random) {
    try {
      Signature signature = instance(key.spec(), digest);
      signature.initSign(key.privateKey(), random);
      signature.update(digest && scheme == Scheme.PKCS1 ? digestInfo(message) : message);
      return signature.sign();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(name() + " signing failed", e);
    }
  }

  /**
   * Whether {@code signatureBytes} is a valid signature of the message; malformed signatures are
   * not.
   */
  boolean verify(KmsKey key, byte[] message, boolean digest, byte[] signatureBytes) {
    PublicKey publicKey = key.publicKey();
    try {
      Signature signature = instance(key.spec(), digest);
      signature.initVerify(publicKey);
      signature.update(digest && scheme == Scheme.PKCS1 ? digestInfo(message) : message);
      return signature.verify(signatureBytes);
    } catch (SignatureException | IllegalArgumentException e) {
      return false; // a malformed signature (bad DER, wrong length) is an invalid one
    } catch (InvalidKeyException e) {
      throw new IllegalStateException(name() + " cannot use the key", e);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(name() + " verification failed", e);
    }
  }

  private Signature instance(KmsKeySpec spec, boolean digest) throws GeneralSecurityException {
    String hash = "SHA" + hashBits;
    switch (scheme) {
      case ECDSA:
        String name = digest ? "NONEwithECDSA" : hash + "withECDSA";
        return spec == KmsKeySpec.ECC_SECG_P256K1
            ? Signature.getInstance(name, AsymmetricCrypto.Bc.PROVIDER)
            : Signature.getInstance(name);
      case PKCS1:
        return Signature.getInstance(digest ? "NONEwithRSA" : hash + "withRSA");
      default:
        // The JDK has no pre-hashed PSS; BouncyCastle's takes the digest as mHash.
        Signature pss =
            digest
                ? Signature.getInstance("NONEwithRSASSA-PSS", AsymmetricCrypto.Bc.PROVIDER)
                : Signature.getInstance("RSASSA-PSS");
        String jcaHash = "SHA-" + hashBits;
        pss.setParameter(
            new PSSParameterSpec(
                jcaHash, "MGF1", new MGF1ParameterSpec(jcaHash), digestLength(), 1));
        return pss;
    }
  }

  private byte[] digestInfo(byte[] digest) throws IOException {
    return new DigestInfo(new AlgorithmIdentifier(hashOid, DERNull.INSTANCE), digest).getEncoded();
  }
}
