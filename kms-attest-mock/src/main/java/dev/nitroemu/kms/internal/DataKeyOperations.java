package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.KeyPair;
import java.util.List;
import java.util.Map;

/**
 * GenerateDataKey, GenerateDataKeyWithoutPlaintext, GenerateDataKeyPair,
 * GenerateDataKeyPairWithoutPlaintext, GenerateRandom and DeriveSharedSecret.
 *
 * <p>With a verified Recipient (GenerateDataKey, GenerateDataKeyPair, GenerateRandom,
 * DeriveSharedSecret) the secret goes into CiphertextForRecipient, sealed to the enclave's key, and
 * Plaintext / PrivateKeyPlaintext / SharedSecret and KeyMaterialId are left out of the response.
 */
final class DataKeyOperations {
  static final int MAX_DATA_KEY = 1024;
  static final int MAX_RANDOM = 1024;
  private static final List<String> DATA_KEY_SPECS = List.of("AES_256", "AES_128");
  private static final List<String> KEY_AGREEMENT_ALGORITHMS = List.of("ECDH");

  private final OperationSupport support;

  DataKeyOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult generateDataKey(KmsCall call) {
    return dataKey(call, true);
  }

  KmsResult generateDataKeyWithoutPlaintext(KmsCall call) {
    return dataKey(call, false);
  }

  private KmsResult dataKey(KmsCall call, boolean withPlaintext) {
    String operation = withPlaintext ? "GenerateDataKey" : "GenerateDataKeyWithoutPlaintext";
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    Map<String, String> context = fields.stringMap("EncryptionContext");
    Integer numberOfBytes = fields.integer("NumberOfBytes", 1, MAX_DATA_KEY);
    String keySpec = fields.enumValue("KeySpec", DATA_KEY_SPECS);
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    if ((numberOfBytes == null) == (keySpec == null)) {
      throw KmsError.validation("Please specify either number of bytes or key spec.");
    }
    int length = numberOfBytes != null ? numberOfBytes : keySpec.equals("AES_256") ? 32 : 16;
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    AttestedRecipient attested = withPlaintext ? support.recipient(call) : null;
    support.authorize(call, key, "kms:" + operation, context, attested);
    requireSymmetricEncryptionKey(key, operation);
    OperationSupport.finishDryRun(fields);

    byte[] dataKey = new byte[length];
    support.settings().random().nextBytes(dataKey);
    ObjectNode response = OperationSupport.JSON.objectNode();
    OperationSupport.putBlob(
        response,
        "CiphertextBlob",
        CiphertextBlob.encrypt(
            key.keyId(), key.currentMaterial(), dataKey, context, support.settings().random()));
    if (withPlaintext) {
      putSecret(response, "Plaintext", dataKey, attested);
    }
    response.put("KeyId", key.arn());
    if (attested == null) {
      response.put("KeyMaterialId", key.keyMaterialId());
    }
    return OperationSupport.result(response, List.of(key.arn()), attested);
  }

  KmsResult generateDataKeyPair(KmsCall call) {
    return dataKeyPair(call, true);
  }

  KmsResult generateDataKeyPairWithoutPlaintext(KmsCall call) {
    return dataKeyPair(call, false);
  }

  private KmsResult dataKeyPair(KmsCall call, boolean withPlaintext) {
    String operation =
        withPlaintext ? "GenerateDataKeyPair" : "GenerateDataKeyPairWithoutPlaintext";
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String keyPairSpec = fields.enumValue("KeyPairSpec", AsymmetricCrypto.DATA_KEY_PAIR_SPECS);
    if (keyPairSpec == null) {
      throw RequestFields.notNull("KeyPairSpec");
    }
    Map<String, String> context = fields.stringMap("EncryptionContext");
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    AttestedRecipient attested = withPlaintext ? support.recipient(call) : null;
    support.authorize(call, key, "kms:" + operation, context, attested);
    requireSymmetricEncryptionKey(key, operation);
    if (keyPairSpec.equals("SM2")) {
      throw AsymmetricCrypto.sm2Unsupported();
    }
    OperationSupport.finishDryRun(fields);

    KeyPair pair = AsymmetricCrypto.generateDataKeyPair(keyPairSpec, support.settings().random());
    byte[] privateKey = pair.getPrivate().getEncoded();
    ObjectNode response = OperationSupport.JSON.objectNode();
    OperationSupport.putBlob(
        response,
        "PrivateKeyCiphertextBlob",
        CiphertextBlob.encrypt(
            key.keyId(), key.currentMaterial(), privateKey, context, support.settings().random()));
    if (withPlaintext) {
      putSecret(response, "PrivateKeyPlaintext", privateKey, attested);
    }
    OperationSupport.putBlob(response, "PublicKey", pair.getPublic().getEncoded());
    response.put("KeyId", key.arn());
    response.put("KeyPairSpec", keyPairSpec);
    if (attested == null) {
      response.put("KeyMaterialId", key.keyMaterialId());
    }
    return OperationSupport.result(response, List.of(key.arn()), attested);
  }

  KmsResult generateRandom(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    Integer numberOfBytes = fields.integer("NumberOfBytes", 1, MAX_RANDOM);
    String customKeyStoreId = fields.string("CustomKeyStoreId", 1, 64);
    if (numberOfBytes == null) {
      throw KmsError.validation("NumberOfBytes is required.");
    }
    if (customKeyStoreId != null) {
      throw new KmsError(
          "CustomKeyStoreNotFoundException",
          "Custom key store " + customKeyStoreId + " does not exist.");
    }
    AttestedRecipient attested = support.recipient(call);
    byte[] random = new byte[numberOfBytes];
    support.settings().random().nextBytes(random);
    ObjectNode response = OperationSupport.JSON.objectNode();
    putSecret(response, "Plaintext", random, attested);
    return OperationSupport.result(response, List.of(), attested);
  }

  KmsResult deriveSharedSecret(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String algorithm = fields.enumValue("KeyAgreementAlgorithm", KEY_AGREEMENT_ALGORITHMS);
    if (algorithm == null) {
      throw RequestFields.notNull("KeyAgreementAlgorithm");
    }
    byte[] peerKey = fields.requiredBlob("PublicKey", 1, 8192);
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    AttestedRecipient attested = support.recipient(call);
    support.authorize(call, key, "kms:DeriveSharedSecret", Map.of(), attested);
    OperationSupport.requireEnabled(key);
    OperationSupport.requireUsage(key, KmsKeySpec.KEY_AGREEMENT, "DeriveSharedSecret");
    byte[] secret = AsymmetricCrypto.ecdh(key.privateKey(), peerKey, key.spec());
    OperationSupport.finishDryRun(fields);

    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", key.arn());
    putSecret(response, "SharedSecret", secret, attested);
    response.put("KeyAgreementAlgorithm", algorithm);
    response.put("KeyOrigin", "AWS_KMS");
    return OperationSupport.result(response, List.of(key.arn()), attested);
  }

  private static void requireSymmetricEncryptionKey(KmsKey key, String operation) {
    OperationSupport.requireEnabled(key);
    OperationSupport.requireUsage(key, KmsKeySpec.ENCRYPT_DECRYPT, operation);
    OperationSupport.requireSymmetric(key, operation);
  }

  /**
   * The secret in its own member, or sealed in CiphertextForRecipient (the member then omitted).
   */
  private void putSecret(
      ObjectNode response, String member, byte[] secret, AttestedRecipient attested) {
    if (attested != null) {
      OperationSupport.putBlob(response, "CiphertextForRecipient", support.seal(secret, attested));
    } else {
      OperationSupport.putBlob(response, member, secret);
    }
  }
}
