package dev.nitroemu.enclave;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.Collection;
import java.util.Objects;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAESOAEPparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.KeyTransRecipientInformation;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.operator.jcajce.JceAsymmetricKeyWrapper;

/**
 * The {@code CiphertextForRecipient} format: a CMS EnvelopedData (RFC 5652) whose content key is
 * RSAES-OAEP (SHA-256, MGF1-SHA-256) encrypted to the enclave's key and whose content is
 * AES-256-CBC, encoded with indefinite lengths exactly as real KMS does (reference 2.4).
 *
 * <p>The profile: EnvelopedData version 2, one KeyTransRecipientInfo version 2 whose rid is the
 * {@code [0]} subjectKeyIdentifier = SHA-256 of the recipient's DER SubjectPublicKeyInfo (how KMS
 * derives it is undocumented, and the Nitro SDK skips it), OAEP parameters with NULL hash
 * parameters and the default pSource, AES-256-CBC with a 16-byte IV, the content as {@code [0]}
 * constructed wrapping one OCTET STRING. The outer ContentInfo, {@code [0] EXPLICIT}, EnvelopedData
 * and EncryptedContentInfo use indefinite lengths, which the Nitro C SDK's parser requires.
 */
public final class CmsEnvelope {

  /** Largest envelope {@link #open} accepts, in bytes (KMS envelopes carry at most a few KiB). */
  public static final int MAX_ENVELOPE_SIZE = 65_536;

  /** Largest plaintext {@link #seal} accepts, in bytes (far above any KMS payload). */
  public static final int MAX_PLAINTEXT_SIZE = 32_768;

  private static final AlgorithmIdentifier SHA256 =
      new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha256, DERNull.INSTANCE);

  /**
   * id-RSAES-OAEP with hashFunc sha256, maskGenFunc mgf1(sha256), pSourceFunc default (so omitted).
   */
  public static final AlgorithmIdentifier RSAES_OAEP_SHA256 =
      new AlgorithmIdentifier(
          PKCSObjectIdentifiers.id_RSAES_OAEP,
          new RSAESOAEPparams(
              SHA256,
              new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, SHA256),
              RSAESOAEPparams.DEFAULT_P_SOURCE_ALGORITHM));

  private CmsEnvelope() {}

  /**
   * Encrypts {@code plaintext} to {@code recipient}.
   *
   * @param random the source of the content key, the IV and the OAEP seed
   * @return the BER-encoded ContentInfo (indefinite lengths as described in the class comment)
   * @throws IllegalArgumentException if the plaintext is larger than {@link #MAX_PLAINTEXT_SIZE}
   * @throws IllegalStateException if the JDK lacks RSA-OAEP or AES-CBC
   */
  public static byte[] seal(byte[] plaintext, RSAPublicKey recipient, SecureRandom random) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(random, "random");
    if (plaintext.length > MAX_PLAINTEXT_SIZE) {
      throw new IllegalArgumentException(
          "plaintext has " + plaintext.length + " bytes, limit " + MAX_PLAINTEXT_SIZE);
    }
    try {
      // Same as JceKeyTransRecipientInfoGenerator(ski, RSAES_OAEP_SHA256, recipient), but the OAEP
      // seed comes from the caller's random too.
      JceAsymmetricKeyWrapper wrapper =
          new JceAsymmetricKeyWrapper(RSAES_OAEP_SHA256, recipient).setSecureRandom(random);
      CMSEnvelopedDataGenerator generator = new CMSEnvelopedDataGenerator();
      generator.addRecipientInfoGenerator(
          new JceKeyTransRecipientInfoGenerator(subjectKeyId(recipient), wrapper));
      CMSEnvelopedData envelope =
          generator.generate(
              new CMSProcessableByteArray(plaintext),
              new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC)
                  .setSecureRandom(random)
                  .build());
      return envelope.getEncoded();
    } catch (CMSException | IOException e) {
      throw new IllegalStateException("cannot build CMS EnvelopedData: " + e.getMessage(), e);
    }
  }

  /**
   * Decrypts an envelope made by {@link #seal} or by KMS, insisting on the profile: one
   * KeyTransRecipientInfo with RSAES-OAEP SHA-256/MGF1-SHA-256 and AES-256-CBC content (what the
   * Nitro C SDK accepts).
   *
   * @throws IllegalArgumentException if the bytes are not such an envelope, are larger than {@link
   *     #MAX_ENVELOPE_SIZE}, or do not decrypt with {@code key}; the message never contains key or
   *     content bytes
   */
  public static byte[] open(byte[] cms, PrivateKey key) {
    Objects.requireNonNull(cms, "cms");
    Objects.requireNonNull(key, "key");
    if (cms.length > MAX_ENVELOPE_SIZE) {
      throw new IllegalArgumentException(
          "envelope has " + cms.length + " bytes, limit " + MAX_ENVELOPE_SIZE);
    }
    CMSEnvelopedData envelope;
    try {
      envelope = new CMSEnvelopedData(cms);
    } catch (CMSException | RuntimeException e) {
      throw new IllegalArgumentException("not a CMS EnvelopedData ContentInfo", e);
    }
    if (!CMSAlgorithm.AES256_CBC.equals(envelope.getContentEncryptionAlgorithm().getAlgorithm())) {
      throw new IllegalArgumentException(
          "content encryption is "
              + envelope.getContentEncryptionAlgorithm().getAlgorithm()
              + ", expected aes256-CBC");
    }
    Collection<RecipientInformation> recipients = envelope.getRecipientInfos().getRecipients();
    if (recipients.size() != 1
        || !(recipients.iterator().next() instanceof KeyTransRecipientInformation)) {
      throw new IllegalArgumentException("envelope must have exactly one KeyTransRecipientInfo");
    }
    RecipientInformation recipient = recipients.iterator().next();
    checkOaepSha256(recipient.getKeyEncryptionAlgorithm());
    try {
      return recipient.getContent(new OaepSha256Recipient(key, CryptoProviders.configured()));
    } catch (CMSException | RuntimeException e) {
      throw new IllegalArgumentException("envelope does not decrypt with this private key", e);
    }
  }

  /** SHA-256 of the key's DER SubjectPublicKeyInfo: the 32-byte subjectKeyIdentifier of the rid. */
  public static byte[] subjectKeyId(RSAPublicKey key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  private static void checkOaepSha256(AlgorithmIdentifier algorithm) {
    if (!PKCSObjectIdentifiers.id_RSAES_OAEP.equals(algorithm.getAlgorithm())) {
      throw new IllegalArgumentException(
          "key encryption is " + algorithm.getAlgorithm() + ", expected id-RSAES-OAEP");
    }
    boolean sha256;
    try {
      RSAESOAEPparams oaep = RSAESOAEPparams.getInstance(algorithm.getParameters());
      sha256 =
          oaep != null
              && NISTObjectIdentifiers.id_sha256.equals(oaep.getHashAlgorithm().getAlgorithm())
              && PKCSObjectIdentifiers.id_mgf1.equals(oaep.getMaskGenAlgorithm().getAlgorithm())
              && NISTObjectIdentifiers.id_sha256.equals(
                  AlgorithmIdentifier.getInstance(oaep.getMaskGenAlgorithm().getParameters())
                      .getAlgorithm())
              && RSAESOAEPparams.DEFAULT_P_SOURCE_ALGORITHM.equals(oaep.getPSourceAlgorithm());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed RSAES-OAEP parameters", e);
    }
    if (!sha256) {
      throw new IllegalArgumentException(
          "RSAES-OAEP parameters must be SHA-256 with MGF1-SHA-256 and an empty label");
    }
  }

  /**
   * BouncyCastle's recipient, with the content key unwrapped by {@link CryptoProviders} when that
   * is ACCP (BouncyCastle would ask ACCP for OAEP {@code AlgorithmParameters}, which it lacks); the
   * OAEP parameters were checked to be SHA-256/MGF1-SHA-256 with an empty label before.
   */
  private static final class OaepSha256Recipient extends JceKeyTransEnvelopedRecipient {
    private static final OAEPParameterSpec OAEP_SHA256 =
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT);
    private static final int AES256_KEY_BYTES = 32;

    private final PrivateKey key;
    private final CryptoProviders crypto;

    OaepSha256Recipient(PrivateKey key, CryptoProviders crypto) {
      super(key);
      this.key = key;
      this.crypto = crypto;
    }

    @Override
    protected Key extractSecretKey(
        AlgorithmIdentifier keyEncryptionAlgorithm,
        AlgorithmIdentifier contentEncryptionAlgorithm,
        byte[] encryptedKey)
        throws CMSException {
      if (!crypto.isAccp()) {
        return super.extractSecretKey(
            keyEncryptionAlgorithm, contentEncryptionAlgorithm, encryptedKey);
      }
      byte[] contentKey;
      try {
        Cipher oaep = crypto.cipher("RSA/ECB/OAEPPadding");
        oaep.init(Cipher.DECRYPT_MODE, crypto.ownPrivateKey(key), OAEP_SHA256);
        contentKey = oaep.doFinal(encryptedKey);
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new CMSException("cannot unwrap the content key", e);
      }
      if (contentKey.length != AES256_KEY_BYTES) {
        throw new CMSException(
            "unwrapped content key has " + contentKey.length + " bytes, expected 32");
      }
      return new SecretKeySpec(contentKey, "AES");
    }
  }
}
