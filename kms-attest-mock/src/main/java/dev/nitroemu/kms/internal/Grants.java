package dev.nitroemu.kms.internal;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Grant rules shared by the grant operations and authorization: which grant operations a key
 * supports, which requests a grant permits, and grant ids and tokens.
 *
 * <p>Grant tokens have the shape of real ones: base64url of {@code 0x01}, then a protobuf-style
 * field holding the 64-hex-digit grant id ({@code 0x0A 0x40 <id>}) and one holding 32 random bytes
 * ({@code 0x22 0x20 <bytes>}); every token of a grant is different and any of them names it. A
 * token that does not have this shape is refused with {@code InvalidGrantTokenException}.
 */
final class Grants {
  /** The GrantOperation enum of the KMS model, in its order. */
  static final List<String> OPERATIONS =
      List.of(
          "Decrypt",
          "Encrypt",
          "GenerateDataKey",
          "GenerateDataKeyWithoutPlaintext",
          "ReEncryptFrom",
          "ReEncryptTo",
          "Sign",
          "Verify",
          "GetPublicKey",
          "CreateGrant",
          "RetireGrant",
          "DescribeKey",
          "GenerateDataKeyPair",
          "GenerateDataKeyPairWithoutPlaintext",
          "GenerateMac",
          "VerifyMac",
          "DeriveSharedSecret");

  /** Operations a grant's encryption context constraint does not apply to. */
  private static final Set<String> UNCONSTRAINED = Set.of("DescribeKey", "RetireGrant");

  private static final Set<String> EVERY_KEY = Set.of("CreateGrant", "RetireGrant", "DescribeKey");
  private static final int TOKEN_LENGTH = 1 + 2 + 64 + 2 + 32;

  private Grants() {}

  /** The grant operations a key supports, by its key spec and usage. */
  static Set<String> supportedBy(KmsKey key) {
    Set<String> supported = new java.util.HashSet<>(EVERY_KEY);
    if (!key.spec().asymmetric() && key.keyUsage().equals(KmsKeySpec.ENCRYPT_DECRYPT)) {
      supported.addAll(
          List.of(
              "Decrypt",
              "Encrypt",
              "GenerateDataKey",
              "GenerateDataKeyWithoutPlaintext",
              "ReEncryptFrom",
              "ReEncryptTo",
              "GenerateDataKeyPair",
              "GenerateDataKeyPairWithoutPlaintext"));
    } else if (key.keyUsage().equals(KmsKeySpec.ENCRYPT_DECRYPT)) {
      supported.addAll(
          List.of("Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"));
    } else if (key.keyUsage().equals("SIGN_VERIFY")) {
      supported.addAll(List.of("Sign", "Verify", "GetPublicKey"));
    } else if (key.keyUsage().equals("GENERATE_VERIFY_MAC")) {
      supported.addAll(List.of("GenerateMac", "VerifyMac"));
    } else if (key.keyUsage().equals(KmsKeySpec.KEY_AGREEMENT)) {
      supported.addAll(List.of("DeriveSharedSecret", "GetPublicKey"));
    }
    return supported;
  }

  /**
   * Whether the grant permits {@code action} (e.g. {@code kms:Decrypt}) with this encryption
   * context. CreateGrant is never permitted here: {@link GrantOperations} checks it against the new
   * grant.
   */
  static boolean permits(KmsGrant grant, String action, Map<String, String> encryptionContext) {
    String operation = action.startsWith("kms:") ? action.substring(4) : action;
    if (operation.equals("CreateGrant") || !grant.operations().contains(operation)) {
      return false;
    }
    return UNCONSTRAINED.contains(operation) || grant.allowsContext(encryptionContext);
  }

  /** A new grant id: 64 random hex digits. */
  static String newGrantId(SecureRandom random) {
    byte[] id = new byte[32];
    random.nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  /** A new token for a grant. */
  static String newToken(String grantId, SecureRandom random) {
    byte[] token = new byte[TOKEN_LENGTH];
    token[0] = 0x01;
    token[1] = 0x0A;
    token[2] = 0x40;
    System.arraycopy(grantId.getBytes(StandardCharsets.US_ASCII), 0, token, 3, 64);
    token[67] = 0x22;
    token[68] = 0x20;
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, token, 69, 32);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
  }

  /**
   * The grant id a token names.
   *
   * @throws KmsError InvalidGrantTokenException when the text is not a grant token
   */
  static String grantIdOf(String token) {
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(token.replace('+', '-').replace('/', '_'));
    } catch (IllegalArgumentException e) {
      throw invalidToken();
    }
    if (bytes.length != TOKEN_LENGTH
        || bytes[0] != 0x01
        || bytes[1] != 0x0A
        || bytes[2] != 0x40
        || bytes[67] != 0x22
        || bytes[68] != 0x20) {
      throw invalidToken();
    }
    String grantId = new String(bytes, 3, 64, StandardCharsets.US_ASCII);
    if (!grantId.matches("[0-9a-f]{64}")) {
      throw invalidToken();
    }
    return grantId;
  }

  /**
   * Checks the GrantTokens of a request: each must be a grant token (they need not name a live
   * grant).
   */
  static void checkTokens(List<String> tokens) {
    tokens.forEach(Grants::grantIdOf);
  }

  /** {@code InvalidGrantTokenException} with the mock's (inferred) text. */
  static KmsError invalidToken() {
    return new KmsError("InvalidGrantTokenException", "The grant token is invalid.");
  }
}
