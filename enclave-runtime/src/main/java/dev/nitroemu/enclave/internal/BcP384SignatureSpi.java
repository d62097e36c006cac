package dev.nitroemu.enclave.internal;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.util.BigIntegers;

/**
 * {@code SHA384withECDSAinP1363Format} (COSE ES384: SHA-384, raw 96-byte {@code r || s}) for P-384
 * keys through BouncyCastle's lightweight ECDSA on its custom {@code SecP384R1Curve}, whose
 * fixed-point comb multiplier keeps a precomputed table for the generator; any other key is handed
 * to the JDK's own implementation.
 *
 * <p>The nonce k is drawn from the {@link SecureRandom} given to {@code initSign} (else a shared
 * default one), as the JDK's SunEC does, so a seeded source reproduces every signature.
 * Verification answers false for a signature of the wrong length or with {@code r} or {@code s}
 * outside {@code [1, n-1]}. Not thread-safe, like every {@link SignatureSpi}.
 */
public final class BcP384SignatureSpi extends SignatureSpi {
  /** The JCA name of the one algorithm this implements. */
  public static final String ALGORITHM = "SHA384withECDSAinP1363Format";

  /** Bytes of one of r, s and of a coordinate on P-384. */
  private static final int SCALAR_LENGTH = 48;

  private static final X9ECParameters P384 = CustomNamedCurves.getByName("secp384r1");
  private static final ECDomainParameters DOMAIN =
      new ECDomainParameters(P384.getCurve(), P384.getG(), P384.getN(), P384.getH());

  /** The curve's field prime, coefficients and generator as a JCA key's parameters spell them. */
  private static final BigInteger FIELD_PRIME = DOMAIN.getCurve().getField().getCharacteristic();

  private static final BigInteger COEFFICIENT_A = DOMAIN.getCurve().getA().toBigInteger();
  private static final BigInteger COEFFICIENT_B = DOMAIN.getCurve().getB().toBigInteger();
  private static final BigInteger GENERATOR_X = DOMAIN.getG().getAffineXCoord().toBigInteger();
  private static final BigInteger GENERATOR_Y = DOMAIN.getG().getAffineYCoord().toBigInteger();

  /**
   * Public points already validated, with the window table BouncyCastle precomputes on a point the
   * first time it verifies with it: reusing it makes a repeated verify (one enclave's leaf key)
   * about 2.8x faster. Bounded; each entry is a few KB.
   */
  private static final LruCache<ECPoint, ECPublicKeyParameters> PUBLIC_KEYS = new LruCache<>(32);

  private final MessageDigest sha384;
  private ECDSASigner ecdsa;
  private Signature jdk;

  public BcP384SignatureSpi() {
    try {
      sha384 = MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is missing from this JDK", e);
    }
  }

  /** True if {@code key} is an EC key on P-384 (secp384r1), the only curve this signs on. */
  public static boolean isP384(java.security.Key key) {
    if (!(key instanceof ECKey ec) || ec.getParams() == null) {
      return false;
    }
    ECParameterSpec params = ec.getParams();
    return params.getCurve().getField() instanceof ECFieldFp field
        && field.getP().equals(FIELD_PRIME)
        && params.getCurve().getA().equals(COEFFICIENT_A)
        && params.getCurve().getB().equals(COEFFICIENT_B)
        && params.getOrder().equals(DOMAIN.getN())
        && params.getCofactor() == 1
        && params.getGenerator().getAffineX().equals(GENERATOR_X)
        && params.getGenerator().getAffineY().equals(GENERATOR_Y);
  }

  @Override
  protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
    engineInitSign(key, null);
  }

  @Override
  protected void engineInitSign(PrivateKey key, SecureRandom random) throws InvalidKeyException {
    reset();
    // A key whose scalar is not readable (e.g. held by a token) goes to the JDK with other curves.
    if (key instanceof ECPrivateKey ec && ec.getS() != null && isP384(ec)) {
      ECPrivateKeyParameters scalar;
      try {
        scalar = new ECPrivateKeyParameters(ec.getS(), DOMAIN);
      } catch (IllegalArgumentException e) {
        throw new InvalidKeyException("private key is not a P-384 scalar in [1, n-1]", e);
      }
      ecdsa = new ECDSASigner();
      ecdsa.init(
          true, new ParametersWithRandom(scalar, random != null ? random : DefaultRandom.INSTANCE));
    } else {
      jdk = jdkSignature();
      if (random != null) {
        jdk.initSign(key, random);
      } else {
        jdk.initSign(key);
      }
    }
  }

  @Override
  protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
    reset();
    if (key instanceof ECPublicKey ec && isP384(ec)) {
      ecdsa = new ECDSASigner();
      ecdsa.init(false, publicKey(ec.getW()));
    } else {
      jdk = jdkSignature();
      jdk.initVerify(key);
    }
  }

  @Override
  protected void engineUpdate(byte b) throws SignatureException {
    if (jdk != null) {
      jdk.update(b);
    } else {
      sha384.update(b);
    }
  }

  @Override
  protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
    if (jdk != null) {
      jdk.update(b, off, len);
    } else {
      sha384.update(b, off, len);
    }
  }

  @Override
  protected byte[] engineSign() throws SignatureException {
    if (jdk != null) {
      return jdk.sign();
    }
    BigInteger[] rs = ecdsa.generateSignature(sha384.digest());
    byte[] raw = new byte[2 * SCALAR_LENGTH];
    BigIntegers.asUnsignedByteArray(rs[0], raw, 0, SCALAR_LENGTH);
    BigIntegers.asUnsignedByteArray(rs[1], raw, SCALAR_LENGTH, SCALAR_LENGTH);
    return raw;
  }

  @Override
  protected boolean engineVerify(byte[] signature) throws SignatureException {
    if (jdk != null) {
      return jdk.verify(signature);
    }
    byte[] digest = sha384.digest();
    if (signature.length != 2 * SCALAR_LENGTH) {
      return false;
    }
    BigInteger r = BigIntegers.fromUnsignedByteArray(signature, 0, SCALAR_LENGTH);
    BigInteger s = BigIntegers.fromUnsignedByteArray(signature, SCALAR_LENGTH, SCALAR_LENGTH);
    return ecdsa.verifySignature(digest, r, s); // false for r or s outside [1, n-1]
  }

  @Override
  @Deprecated
  protected void engineSetParameter(String param, Object value) {
    throw new InvalidParameterException(ALGORITHM + " takes no parameters");
  }

  @Override
  @Deprecated
  protected Object engineGetParameter(String param) {
    throw new InvalidParameterException(ALGORITHM + " has no parameters");
  }

  private static ECPublicKeyParameters publicKey(ECPoint w) throws InvalidKeyException {
    ECPublicKeyParameters cached = PUBLIC_KEYS.get(w);
    if (cached == null) {
      try {
        cached =
            new ECPublicKeyParameters(
                DOMAIN.getCurve().validatePoint(w.getAffineX(), w.getAffineY()), DOMAIN);
      } catch (IllegalArgumentException e) {
        throw new InvalidKeyException("public key is not a point on P-384", e);
      }
      PUBLIC_KEYS.put(w, cached);
    }
    return cached;
  }

  private void reset() {
    sha384.reset();
    ecdsa = null;
    jdk = null;
  }

  private static Signature jdkSignature() throws InvalidKeyException {
    try {
      return Signature.getInstance(ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw new InvalidKeyException(ALGORITHM + " is missing from this JDK", e);
    }
  }

  /** The nonce source when {@code initSign} is given none, created on first use. */
  private static final class DefaultRandom {
    static final SecureRandom INSTANCE = new SecureRandom();
  }
}
