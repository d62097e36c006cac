package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.enclave.CryptoProviders;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The KMS mock's RSA-OAEP, RSA key generation, AES-GCM, HMAC and SHA give the same bytes, or bytes
 * the other provider reads, under ACCP (this module's default where it loads) and the JDK's
 * providers. Skipped with the reason where ACCP does not load.
 */
class KmsCryptoProvidersTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static CryptoProviders accp;

  @BeforeAll
  static void accpLoads() {
    accp = CryptoProviders.accpIfAvailable().orElse(null);
    assumeTrue(
        accp != null,
        () -> "ACCP does not load here: " + CryptoProviders.accpUnavailableReason().orElse(""));
    assumeTrue(
        CryptoProviders.configured().isAccp(), "nitro.crypto.provider forces jca in this run");
  }

  @Test
  void oaepCiphertextsFromEitherProviderDecryptInTheOther() throws Exception {
    KeyPair rsa = AsymmetricCrypto.generate(KmsKeySpec.RSA_2048, RANDOM);
    byte[] plaintext = "data key".getBytes(StandardCharsets.US_ASCII);
    for (String algorithm : List.of("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")) {
      byte[] byAccp = AsymmetricCrypto.rsaEncrypt(rsa.getPublic(), algorithm, plaintext, RANDOM);
      Cipher jca = CryptoProviders.jca().cipher("RSA/ECB/OAEPPadding");
      jca.init(Cipher.DECRYPT_MODE, rsa.getPrivate(), oaep(algorithm));
      assertThat(jca.getProvider().getName()).isEqualTo("SunJCE");
      assertThat(jca.doFinal(byAccp)).as(algorithm).isEqualTo(plaintext);

      jca.init(Cipher.ENCRYPT_MODE, rsa.getPublic(), oaep(algorithm));
      assertThat(AsymmetricCrypto.rsaDecrypt(rsa.getPrivate(), algorithm, jca.doFinal(plaintext)))
          .isEqualTo(plaintext);
    }
  }

  @Test
  void cmsEnvelopesOpenWithAccpUnwrappingTheContentKey() throws Exception {
    byte[] plaintext = "the data key".getBytes(StandardCharsets.US_ASCII);
    KeyPair accpKey = accp.keyPairGenerator("RSA").generateKeyPair();
    KeyPair jdkKey = CryptoProviders.jca().keyPairGenerator("RSA").generateKeyPair();
    for (KeyPair rsa : List.of(accpKey, jdkKey)) {
      byte[] envelope = CmsEnvelope.seal(plaintext, (RSAPublicKey) rsa.getPublic(), RANDOM);
      assertThat(CmsEnvelope.open(envelope, rsa.getPrivate())).isEqualTo(plaintext);
    }
    byte[] toOther = CmsEnvelope.seal(plaintext, (RSAPublicKey) jdkKey.getPublic(), RANDOM);
    assertThatThrownBy(() -> CmsEnvelope.open(toOther, accpKey.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("envelope does not decrypt with this private key");
  }

  @Test
  void accpRsaKeysEncodeAsTheJdkReadsThem() throws Exception {
    KeyPair rsa = AsymmetricCrypto.generate(KmsKeySpec.RSA_3072, RANDOM);
    assertThat(rsa.getPrivate().getClass().getName()).contains("corretto");
    KeyFactory jdk = CryptoProviders.jca().keyFactory("RSA");
    assertThat(
            jdk.generatePrivate(new PKCS8EncodedKeySpec(rsa.getPrivate().getEncoded()))
                .getEncoded())
        .isEqualTo(rsa.getPrivate().getEncoded());
  }

  @Test
  void gcmGivesTheSameBytesUnderBoth() throws Exception {
    SecretKeySpec key = new SecretKeySpec(bytes(32), "AES");
    GCMParameterSpec nonce = new GCMParameterSpec(128, bytes(12));
    byte[] aad = bytes(40);
    byte[] plaintext = bytes(1000);
    byte[][] out = new byte[2][];
    List<CryptoProviders> both = List.of(accp, CryptoProviders.jca());
    for (int i = 0; i < 2; i++) {
      Cipher gcm = both.get(i).cipher("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, key, nonce);
      gcm.updateAAD(aad);
      out[i] = gcm.doFinal(plaintext);
    }
    assertThat(out[0]).isEqualTo(out[1]);
    assertThat(accp.cipher("AES/GCM/NoPadding").getProvider().getName())
        .isEqualTo("AmazonCorrettoCryptoProvider");
  }

  @Test
  void hmacsAndSha256AgreeAndAccpLacksOnlyHmacSha224() throws Exception {
    byte[] key = bytes(32);
    byte[] message = bytes(300);
    for (String name : List.of("HmacSHA224", "HmacSHA256", "HmacSHA384", "HmacSHA512")) {
      Mac a = accp.mac(name);
      Mac j = CryptoProviders.jca().mac(name);
      a.init(new SecretKeySpec(key, name));
      j.init(new SecretKeySpec(key, name));
      assertThat(a.doFinal(message)).as(name).isEqualTo(j.doFinal(message));
      assertThat(a.getProvider().getName().equals("AmazonCorrettoCryptoProvider"))
          .isEqualTo(!name.equals("HmacSHA224"));
    }
    assertThat(SigV4Verifier.sha256(message))
        .isEqualTo(CryptoProviders.jca().messageDigest("SHA-256").digest(message));
    assertThat(SigV4Verifier.hmac(key, message)).isEqualTo(hmacSha256ByJca(key, message));
  }

  private static byte[] hmacSha256ByJca(byte[] key, byte[] message) throws Exception {
    Mac mac = CryptoProviders.jca().mac("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(message);
  }

  private static OAEPParameterSpec oaep(String algorithm) {
    return algorithm.endsWith("SHA_1")
        ? new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT)
        : new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
  }

  private static byte[] bytes(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
