package dev.nitroemu.kms.internal;

import java.time.Instant;
import java.util.Objects;

/**
 * One GetParametersForImport answer a key remembers until it expires: the import token's id, the
 * wrapping algorithm and key spec, and the RSA wrapping private key that unwraps the key material.
 *
 * @param tokenId 32 hex digits, carried in the import token
 * @param wrappingAlgorithm e.g. {@code RSAES_OAEP_SHA_256} or {@code RSA_AES_KEY_WRAP_SHA_256}
 * @param wrappingKeySpec {@code RSA_2048}, {@code RSA_3072} or {@code RSA_4096}
 * @param privateKey the wrapping key's DER PKCS#8 private key
 * @param validTo when the token and public key stop being valid (24 hours after they were issued)
 */
public record ImportParameters(
    String tokenId,
    String wrappingAlgorithm,
    String wrappingKeySpec,
    byte[] privateKey,
    Instant validTo) {
  public ImportParameters {
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(wrappingAlgorithm, "wrappingAlgorithm");
    Objects.requireNonNull(wrappingKeySpec, "wrappingKeySpec");
    privateKey = Objects.requireNonNull(privateKey, "privateKey").clone();
    Objects.requireNonNull(validTo, "validTo");
  }

  /** The wrapping private key (a copy). */
  @Override
  public byte[] privateKey() {
    return privateKey.clone();
  }
}
