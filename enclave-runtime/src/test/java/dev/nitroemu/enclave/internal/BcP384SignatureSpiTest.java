package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * BouncyCastle's ES384 against the JDK's SunEC, both ways: raw 96-byte {@code r || s} that SunEC
 * accepts, SunEC signatures it accepts, and the failures (wrong key, changed message, malformed or
 * out-of-range signature) answered as SunEC answers them.
 */
class BcP384SignatureSpiTest {
  private static final String ALGORITHM = BcP384SignatureSpi.ALGORITHM;
  private static final byte[] MESSAGE =
      "[\"Signature1\", h'a1013822', h'', payload]".getBytes(StandardCharsets.US_ASCII);
  private static final BigInteger P384_ORDER =
      new BigInteger(
          "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
          16);

  private final KeyPair keys = generate("secp384r1");

  @Test
  void bouncyCastleSignaturesAreRawRsThatSunEcAccepts() throws Exception {
    for (int i = 0; i < 20; i++) {
      byte[] message = Arrays.copyOf(MESSAGE, MESSAGE.length + i);
      byte[] signature = sign(bc(), keys, message);
      assertThat(signature).hasSize(96);
      assertThat(verify(sunEc(), keys, message, signature)).isTrue();
      assertThat(verify(bc(), keys, message, signature)).isTrue();
    }
  }

  @Test
  void sunEcSignaturesVerifyWithBouncyCastle() throws Exception {
    byte[] signature = sign(sunEc(), keys, MESSAGE);
    assertThat(verify(bc(), keys, MESSAGE, signature)).isTrue();
  }

  @Test
  void theWrongKeyOrAChangedMessageFails() throws Exception {
    byte[] signature = sign(bc(), keys, MESSAGE);
    KeyPair other = generate("secp384r1");
    assertThat(verify(bc(), other, MESSAGE, signature)).isFalse();
    assertThat(verify(sunEc(), other, MESSAGE, signature)).isFalse();
    byte[] changed = MESSAGE.clone();
    changed[0] ^= 1;
    assertThat(verify(bc(), keys, changed, signature)).isFalse();
    byte[] flipped = signature.clone();
    flipped[95] ^= 1;
    assertThat(verify(bc(), keys, MESSAGE, flipped)).isFalse();
  }

  @Test
  void malformedSignaturesAreFalseNotExceptions() throws Exception {
    byte[] signature = sign(bc(), keys, MESSAGE);
    assertThat(verify(bc(), keys, MESSAGE, Arrays.copyOf(signature, 95))).isFalse();
    assertThat(verify(bc(), keys, MESSAGE, Arrays.copyOf(signature, 104))).isFalse();
    assertThat(verify(bc(), keys, MESSAGE, new byte[96])).isFalse();
    byte[] sEqualsN = signature.clone();
    System.arraycopy(unsigned48(P384_ORDER), 0, sEqualsN, 48, 48);
    assertThat(verify(bc(), keys, MESSAGE, sEqualsN)).isFalse();
  }

  @Test
  void shortRAndSKeepTheirLeadingZeros() throws Exception {
    // About 1 in 128 signatures has an r or s below 2^376; the fixed 48-byte halves must keep them.
    SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
    seeded.setSeed(384L);
    Signature bc = bc();
    bc.initSign(keys.getPrivate(), seeded);
    int shortHalves = 0;
    for (int i = 0; i < 3000 && shortHalves == 0; i++) {
      bc.update(MESSAGE);
      byte[] signature = bc.sign();
      assertThat(signature).hasSize(96);
      if (signature[0] == 0 || signature[48] == 0) {
        shortHalves++;
        assertThat(verify(sunEc(), keys, MESSAGE, signature)).isTrue();
      }
    }
    assertThat(shortHalves).as("signatures with a leading zero byte in r or s").isPositive();
  }

  @Test
  void aPublicKeyOffTheCurveIsRefusedAtInit() {
    ECPublicKey real = (ECPublicKey) keys.getPublic();
    ECPoint w = real.getW();
    ECPublicKey offCurve =
        new ECPublicKey() {
          private static final long serialVersionUID = 1L;

          @Override
          public ECPoint getW() {
            return new ECPoint(w.getAffineX(), w.getAffineY().add(BigInteger.ONE));
          }

          @Override
          public ECParameterSpec getParams() {
            return real.getParams();
          }

          @Override
          public String getAlgorithm() {
            return "EC";
          }

          @Override
          public String getFormat() {
            return null;
          }

          @Override
          public byte[] getEncoded() {
            return null;
          }
        };
    assertThatThrownBy(() -> bc().initVerify(offCurve))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("not a point on P-384");
  }

  @Test
  void aPrivateScalarOutsideTheGroupIsRefusedAtInit() {
    ECParameterSpec params = ((ECPrivateKey) keys.getPrivate()).getParams();
    ECPrivateKey orderAsScalar =
        new ECPrivateKey() {
          private static final long serialVersionUID = 1L;

          @Override
          public BigInteger getS() {
            return P384_ORDER;
          }

          @Override
          public ECParameterSpec getParams() {
            return params;
          }

          @Override
          public String getAlgorithm() {
            return "EC";
          }

          @Override
          public String getFormat() {
            return null;
          }

          @Override
          public byte[] getEncoded() {
            return null;
          }
        };
    assertThatThrownBy(() -> bc().initSign(orderAsScalar))
        .isInstanceOf(InvalidKeyException.class)
        .hasMessageContaining("[1, n-1]");
  }

  @Test
  void repeatedVerifiesWithOneKeyStayCorrect() throws Exception {
    byte[] signature = sign(bc(), keys, MESSAGE);
    KeyPair other = generate("secp384r1");
    for (int i = 0; i < 3; i++) { // the second and third reuse the cached point and its table
      assertThat(verify(bc(), keys, MESSAGE, signature)).isTrue();
      assertThat(verify(bc(), other, MESSAGE, signature)).isFalse();
    }
  }

  @Test
  void aSeededSourceReproducesTheSignatureAsWithSunEc() throws Exception {
    assertThat(signSeeded(keys, 7L)).isEqualTo(signSeeded(keys, 7L));
    assertThat(signSeeded(keys, 7L)).isNotEqualTo(signSeeded(keys, 8L));
  }

  @Test
  void otherCurvesGoToTheJdk() throws Exception {
    KeyPair p256 = generate("secp256r1");
    assertThat(BcP384SignatureSpi.isP384(p256.getPrivate())).isFalse();
    assertThat(BcP384SignatureSpi.isP384(keys.getPrivate())).isTrue();
    assertThat(BcP384SignatureSpi.isP384(keys.getPublic())).isTrue();
    byte[] signature = sign(bc(), p256, MESSAGE);
    assertThat(signature).hasSize(64);
    assertThat(verify(sunEc(), p256, MESSAGE, signature)).isTrue();
    assertThat(verify(bc(), p256, MESSAGE, signature)).isTrue();
  }

  @Test
  void anUninitialisedSignatureRefusesAndReinitialisingStartsOver() throws Exception {
    Signature bc = bc();
    assertThatThrownBy(() -> bc.update(MESSAGE)).isInstanceOf(SignatureException.class);
    bc.initSign(keys.getPrivate());
    bc.update(new byte[] {1, 2, 3});
    bc.initSign(keys.getPrivate());
    bc.update(MESSAGE);
    assertThat(verify(sunEc(), keys, MESSAGE, bc.sign())).isTrue();
    bc.update(MESSAGE); // sign() resets to the initialised state, as the JCA says
    assertThat(verify(sunEc(), keys, MESSAGE, bc.sign())).isTrue();
    assertThat(bc.getProvider().getName()).isEqualTo(BcP384Provider.NAME);
  }

  private byte[] signSeeded(KeyPair pair, long seed) throws Exception {
    SecureRandom seeded = SecureRandom.getInstance("SHA1PRNG");
    seeded.setSeed(seed);
    Signature bc = bc();
    bc.initSign(pair.getPrivate(), seeded);
    bc.update(MESSAGE);
    return bc.sign();
  }

  private static byte[] sign(Signature signer, KeyPair pair, byte[] message) throws Exception {
    signer.initSign(pair.getPrivate());
    signer.update(message);
    return signer.sign();
  }

  private static boolean verify(Signature verifier, KeyPair pair, byte[] message, byte[] sig)
      throws Exception {
    verifier.initVerify(pair.getPublic());
    verifier.update(message);
    return verifier.verify(sig);
  }

  private static Signature bc() throws Exception {
    return Signature.getInstance(ALGORITHM, BcP384Provider.INSTANCE);
  }

  private static Signature sunEc() throws Exception {
    return Signature.getInstance(ALGORITHM, "SunEC");
  }

  private static byte[] unsigned48(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return Arrays.copyOfRange(bytes, bytes.length - 48, bytes.length);
  }

  private static KeyPair generate(String curve) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
      generator.initialize(new ECGenParameterSpec(curve));
      return generator.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
