package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.enclave.CryptoProviders;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.Nsm;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAKeyGenParameterSpec;
import java.util.Objects;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.model.KeyEncryptionMechanism;
import software.amazon.awssdk.services.kms.model.RecipientInfo;

/**
 * The recipient side of {@link EnclaveKmsClient}: its RSA-2048 key pair, the {@code Recipient} of
 * each KMS call (a fresh attestation document for the key) and the opening of the {@code
 * CiphertextForRecipient} envelope. Thread-safe when the {@link Nsm} is.
 */
public final class KmsRecipient {

  private final Nsm nsm;
  private final KeyPair keyPair;
  private final byte[] publicKeyDer;

  /**
   * The recipient with {@code keyPair} (checked with {@link #checkKeyPair}), attested by {@code
   * nsm}.
   */
  public KmsRecipient(Nsm nsm, KeyPair keyPair) {
    this.nsm = Objects.requireNonNull(nsm, "nsm");
    this.keyPair = Objects.requireNonNull(keyPair, "keyPair");
    this.publicKeyDer = keyPair.getPublic().getEncoded();
  }

  /** A fresh RSA-2048 key pair (e = 65537) from the configured crypto provider. */
  public static KeyPair generateKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator generator = CryptoProviders.configured().keyPairGenerator("RSA");
      generator.initialize(
          new RSAKeyGenParameterSpec(EnclaveKmsClient.RSA_KEY_BITS, BigInteger.valueOf(65537)),
          random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA-2048 key generation is unavailable", e);
    }
  }

  /**
   * Returns {@code keyPair} if it is an RSA key pair with a 2048-bit modulus.
   *
   * @throws IllegalArgumentException otherwise
   */
  public static KeyPair checkKeyPair(KeyPair keyPair) {
    Objects.requireNonNull(keyPair, "keyPair");
    if (!(keyPair.getPublic() instanceof RSAPublicKey rsa)
        || !(keyPair.getPrivate() instanceof RSAPrivateKey)
        || rsa.getModulus().bitLength() != EnclaveKmsClient.RSA_KEY_BITS) {
      throw new IllegalArgumentException(
          "the recipient key must be an RSA-" + EnclaveKmsClient.RSA_KEY_BITS + " key pair");
    }
    return keyPair;
  }

  /** The public half of the key pair. */
  public RSAPublicKey publicKey() {
    return (RSAPublicKey) keyPair.getPublic();
  }

  /**
   * A fresh attestation document whose {@code public_key} is the key's DER SubjectPublicKeyInfo (no
   * nonce, no user data), as {@code Recipient} with RSAES-OAEP-SHA-256.
   */
  public RecipientInfo recipientInfo() {
    byte[] document = nsm.attestation(null, null, publicKeyDer);
    return RecipientInfo.builder()
        .attestationDocument(SdkBytes.fromByteArray(document))
        .keyEncryptionAlgorithm(KeyEncryptionMechanism.RSAES_OAEP_SHA_256)
        .build();
  }

  /**
   * The plaintext inside the {@code CiphertextForRecipient} of {@code operation}'s response.
   *
   * @throws SdkClientException if the envelope is missing or empty (the endpoint ignored {@code
   *     Recipient}) or cannot be opened with the key
   */
  public byte[] open(SdkBytes envelope, String operation) {
    if (envelope == null || envelope.asByteBuffer().remaining() == 0) {
      throw SdkClientException.create(
          operation
              + " response has no CiphertextForRecipient; the endpoint "
              + "ignored Recipient, so its plaintext (if any) is not used");
    }
    try {
      return CmsEnvelope.open(envelope.asByteArrayUnsafe(), keyPair.getPrivate());
    } catch (IllegalArgumentException e) {
      throw SdkClientException.create(
          operation + " CiphertextForRecipient cannot be opened: " + e.getMessage(), e);
    }
  }
}
