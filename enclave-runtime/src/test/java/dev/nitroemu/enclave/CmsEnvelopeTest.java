package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * CiphertextForRecipient: the exact byte skeleton of real KMS, and decryption by three independent
 * stacks.
 */
public class CmsEnvelopeTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final KeyPair KEYS = rsa(2048);
  private static final RSAPublicKey PUBLIC = (RSAPublicKey) KEYS.getPublic();
  private static final byte[] SECRET_28 =
      "a 28-byte secret for enclave".getBytes(StandardCharsets.US_ASCII);

  /** The variable parts of an envelope, read by {@link #parse} while it checks everything else. */
  private record Parts(
      byte[] subjectKeyId, byte[] encryptedKey, byte[] iv, byte[] ciphertext, int chunks) {}

  /**
   * Checks the skeleton of reference 2.4 byte by byte: indefinite lengths on ContentInfo, [0]
   * EXPLICIT, EnvelopedData, EncryptedContentInfo and the [0] content, definite everywhere else.
   */
  private static Parts parse(byte[] cms) {
    CmsSkeletonReader r = new CmsSkeletonReader(cms);
    r.expect("30 80 06 09 2a864886f70d010703") // ContentInfo, envelopedData
        .expect("a0 80 30 80 02 01 02") // [0] EXPLICIT, EnvelopedData, version 2
        .expect("31 82 01 6b 30 82 01 67 02 01 02 80 20"); // SET, ktri version 2, rid [0] SKI
    byte[] ski = r.take(32);
    r.expect(
        "30 3c 06 09 2a864886f70d010107 30 2f" // id-RSAES-OAEP
            + " a0 0f 30 0d 06 09 608648016503040201 05 00" // hashFunc sha256, NULL
            + " a1 1c 30 1a 06 09 2a864886f70d010108 30 0d 06 09 608648016503040201 05 00"); // mgf1(sha256)
    r.expect("04 82 01 00");
    byte[] encryptedKey = r.take(256);
    r.expect("30 80 06 09 2a864886f70d010701") // EncryptedContentInfo, id-data
        .expect("30 1d 06 09 60864801650304012a 04 10"); // aes256-CBC with a 16-byte IV
    byte[] iv = r.take(16);
    r.expect("a0 80");
    ByteArrayOutputStream ciphertext = new ByteArrayOutputStream();
    int chunks = 0;
    while (r.peek() == 0x04) {
      ciphertext.writeBytes(r.take(r.definite(0x04)));
      chunks++;
    }
    r.expect("00 00 00 00 00 00 00 00 00 00"); // [0], EncryptedContentInfo, EnvelopedData, [0],
    // ContentInfo
    r.expectEnd();
    return new Parts(ski, encryptedKey, iv, ciphertext.toByteArray(), chunks);
  }

  @Test
  void sealedTwentyEightBytesMatchTheRealKmsSampleSkeleton() {
    byte[] cms = CmsEnvelope.seal(SECRET_28, PUBLIC, RANDOM);

    assertThat(cms).hasSize(477);
    Parts parts = parse(cms);
    assertThat(parts.chunks()).isEqualTo(1);
    assertThat(parts.ciphertext()).hasSize(32);
    // The tail is "a0 80 04 20 <32 bytes>" and then ten zero bytes.
    assertThat(Arrays.copyOfRange(cms, 477 - 46, 477 - 42)).containsExactly(0xa0, 0x80, 0x04, 0x20);
  }

  @Test
  void subjectKeyIdentifierIsSha256OfTheDerSubjectPublicKeyInfo() throws Exception {
    byte[] expected = MessageDigest.getInstance("SHA-256").digest(PUBLIC.getEncoded());

    assertThat(parse(CmsEnvelope.seal(SECRET_28, PUBLIC, RANDOM)).subjectKeyId())
        .isEqualTo(expected);
    assertThat(CmsEnvelope.subjectKeyId(PUBLIC)).isEqualTo(expected);
  }

  @Test
  void openReturnsWhatWasSealed() {
    for (int size : new int[] {0, 1, 15, 16, 28, 190, 1024, 4096}) {
      byte[] plaintext = new byte[size];
      RANDOM.nextBytes(plaintext);

      assertThat(CmsEnvelope.open(CmsEnvelope.seal(plaintext, PUBLIC, RANDOM), KEYS.getPrivate()))
          .as("%d bytes", size)
          .isEqualTo(plaintext);
    }
  }

  @Test
  void largeContentIsSplitIntoOctetStringChunksInsideTheIndefiniteContent() {
    byte[] plaintext = new byte[4096];
    RANDOM.nextBytes(plaintext);

    Parts parts = parse(CmsEnvelope.seal(plaintext, PUBLIC, RANDOM));

    assertThat(parts.ciphertext()).hasSize(4112);
    assertThat(parts.chunks()).isGreaterThan(1);
    assertThat(jcaDecrypt(parts, KEYS.getPrivate())).isEqualTo(plaintext);
  }

  @Test
  void plainJcaDecryptsTheEnvelopeWithoutBouncyCastle() {
    byte[] cms = CmsEnvelope.seal(SECRET_28, PUBLIC, RANDOM);

    assertThat(jcaDecrypt(parse(cms), KEYS.getPrivate())).isEqualTo(SECRET_28);
  }

  @Test
  void everySealUsesFreshContentKeyAndIv() {
    Parts first = parse(CmsEnvelope.seal(SECRET_28, PUBLIC, RANDOM));
    Parts second = parse(CmsEnvelope.seal(SECRET_28, PUBLIC, RANDOM));

    assertThat(first.iv()).isNotEqualTo(second.iv());
    assertThat(first.encryptedKey()).isNotEqualTo(second.encryptedKey());
    assertThat(first.ciphertext()).isNotEqualTo(second.ciphertext());
  }

  @Test
  @Timeout(60)
  void opensslCmsDecryptsTheEnvelope(@TempDir Path dir) throws Exception {
    assumeTrue(
        opensslAvailable(), "openssl is not on PATH; skipping the OpenSSL interoperability check");
    for (int size : new int[] {28, 3000}) {
      byte[] plaintext = new byte[size];
      RANDOM.nextBytes(plaintext);
      Path envelope =
          Files.write(
              dir.resolve("envelope-" + size + ".der"),
              CmsEnvelope.seal(plaintext, PUBLIC, RANDOM));
      Path key =
          Files.writeString(
              dir.resolve("key.pem"),
              "-----BEGIN PRIVATE KEY-----\n"
                  + Base64.getMimeEncoder(64, new byte[] {'\n'})
                      .encodeToString(KEYS.getPrivate().getEncoded())
                  + "\n-----END PRIVATE KEY-----\n");
      Path out = dir.resolve("out-" + size + ".bin");

      Process process =
          new ProcessBuilder(
                  "openssl",
                  "cms",
                  "-decrypt",
                  "-inform",
                  "DER",
                  "-binary",
                  "-in",
                  envelope.toString(),
                  "-inkey",
                  key.toString(),
                  "-out",
                  out.toString())
              .redirectErrorStream(true)
              .start();
      String log = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();

      assertThat(process.exitValue()).as("openssl output: %s", log).isZero();
      assertThat(Files.readAllBytes(out)).isEqualTo(plaintext);
    }
  }

  @Test
  void openRefusesTheWrongPrivateKey() {
    byte[] cms = CmsEnvelope.seal(SECRET_28, PUBLIC, RANDOM);
    PrivateKey other = rsa(2048).getPrivate();

    assertThatThrownBy(() -> CmsEnvelope.open(cms, other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not decrypt");
  }

  @Test
  void openRefusesBytesThatAreNotCms() {
    byte[] garbage = new byte[300];
    RANDOM.nextBytes(garbage);

    assertThatThrownBy(() -> CmsEnvelope.open(garbage, KEYS.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a CMS EnvelopedData");
    assertThatThrownBy(
            () -> CmsEnvelope.open(new byte[CmsEnvelope.MAX_ENVELOPE_SIZE + 1], KEYS.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("limit");
  }

  @Test
  void openRefusesEnvelopesOutsideTheKmsProfile() throws Exception {
    byte[] ski = CmsEnvelope.subjectKeyId(PUBLIC);
    byte[] pkcs1v15 =
        bouncyCastleEnvelope(
            new JceKeyTransRecipientInfoGenerator(ski, PUBLIC), CMSAlgorithm.AES256_CBC);
    byte[] aes128 =
        bouncyCastleEnvelope(
            new JceKeyTransRecipientInfoGenerator(ski, CmsEnvelope.RSAES_OAEP_SHA256, PUBLIC),
            CMSAlgorithm.AES128_CBC);

    assertThatThrownBy(() -> CmsEnvelope.open(pkcs1v15, KEYS.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected id-RSAES-OAEP");
    assertThatThrownBy(() -> CmsEnvelope.open(aes128, KEYS.getPrivate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected aes256-CBC");
  }

  @Test
  void sealRefusesOversizedPlaintext() {
    assertThatThrownBy(
            () -> CmsEnvelope.seal(new byte[CmsEnvelope.MAX_PLAINTEXT_SIZE + 1], PUBLIC, RANDOM))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static byte[] bouncyCastleEnvelope(
      JceKeyTransRecipientInfoGenerator recipient,
      org.bouncycastle.asn1.ASN1ObjectIdentifier contentAlgorithm)
      throws Exception {
    CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
    generator.addRecipientInfoGenerator(recipient);
    return generator
        .generate(
            new CMSProcessableByteArray(SECRET_28),
            new JceCMSContentEncryptorBuilder(contentAlgorithm).build())
        .getEncoded();
  }

  /**
   * RSA-OAEP SHA-256/MGF1-SHA-256 and AES-256-CBC with the JDK's own providers, as the Nitro SDK
   * does it.
   */
  private static byte[] jcaDecrypt(Parts parts, PrivateKey key) {
    try {
      Cipher rsa = Cipher.getInstance("RSA/ECB/OAEPWithSHA-256AndMGF1Padding");
      rsa.init(
          Cipher.DECRYPT_MODE,
          key,
          new OAEPParameterSpec(
              "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
      byte[] contentKey = rsa.doFinal(parts.encryptedKey());
      assertThat(contentKey).hasSize(32);
      Cipher aes = Cipher.getInstance("AES/CBC/PKCS5Padding");
      aes.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(contentKey, "AES"),
          new IvParameterSpec(parts.iv()));
      return aes.doFinal(parts.ciphertext());
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError("JCA could not decrypt the envelope", e);
    }
  }

  private static boolean opensslAvailable() {
    try {
      Process process = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(bits, RANDOM);
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }
}
