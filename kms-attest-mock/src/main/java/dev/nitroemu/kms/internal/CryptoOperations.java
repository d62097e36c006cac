package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Encrypt, Decrypt and ReEncrypt with symmetric keys ({@link CiphertextBlob}, encrypting with the
 * current key material and decrypting with whichever material the blob names) and RSA keys
 * (RSAES-OAEP with SHA-1 or SHA-256).
 *
 * <p>Decrypt of a symmetric blob needs no KeyId (the blob names its key); with a KeyId that names
 * another key it fails with IncorrectKeyException. RSA ciphertexts need the KeyId and the
 * algorithm. A verified Recipient on Decrypt replaces Plaintext by CiphertextForRecipient.
 */
final class CryptoOperations {
  static final int MAX_PLAINTEXT = 4096;
  static final List<String> ENCRYPTION_ALGORITHMS =
      List.of("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE");
  private static final List<String> DRY_RUN_MODIFIERS = List.of("IGNORE_CIPHERTEXT");
  private static final String UNKNOWN_KEY =
      "The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
          + "or you are not allowed to access.";

  private final OperationSupport support;

  CryptoOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult encrypt(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    byte[] plaintext = fields.requiredBlob("Plaintext", 1, MAX_PLAINTEXT);
    Map<String, String> context = fields.stringMap("EncryptionContext");
    String requestedAlgorithm = fields.enumValue("EncryptionAlgorithm", ENCRYPTION_ALGORITHMS);
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    support.authorize(call, key, "kms:Encrypt", context, null);
    String algorithm = checkUsable(key, requestedAlgorithm, context, "Encrypt");
    checkPlaintextFits(key, algorithm, plaintext);
    OperationSupport.finishDryRun(fields);
    ObjectNode response = OperationSupport.JSON.objectNode();
    OperationSupport.putBlob(
        response, "CiphertextBlob", encryptWith(key, algorithm, plaintext, context));
    response.put("KeyId", key.arn());
    response.put("EncryptionAlgorithm", algorithm);
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  KmsResult decrypt(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    Source source =
        readSource(fields, "CiphertextBlob", "EncryptionContext", "KeyId", "EncryptionAlgorithm");
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = locate(call, source);
    AttestedRecipient attested = support.recipient(call);
    support.authorize(call, key, "kms:Decrypt", source.context, attested);
    String algorithm = checkUsable(key, source.algorithm, source.context, "Decrypt");
    // A dry run checks the ciphertext too, unless DryRunModifiers says IGNORE_CIPHERTEXT.
    byte[] plaintext = source.ignoreCiphertext ? null : decryptWith(key, algorithm, source);
    OperationSupport.finishDryRun(fields);
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", key.arn());
    if (attested != null) {
      OperationSupport.putBlob(
          response, "CiphertextForRecipient", support.seal(plaintext, attested));
    } else {
      OperationSupport.putBlob(response, "Plaintext", plaintext);
    }
    response.put("EncryptionAlgorithm", algorithm);
    String materialId = materialIdShown(key, source);
    if (attested == null && materialId != null) {
      response.put("KeyMaterialId", materialId);
    }
    return OperationSupport.result(response, List.of(key.arn()), attested);
  }

  KmsResult reEncrypt(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    Source source =
        readSource(
            fields,
            "CiphertextBlob",
            "SourceEncryptionContext",
            "SourceKeyId",
            "SourceEncryptionAlgorithm");
    String destinationId = OperationSupport.keyIdMember(fields, "DestinationKeyId");
    Map<String, String> destinationContext = fields.stringMap("DestinationEncryptionContext");
    String requestedDestinationAlgorithm =
        fields.enumValue("DestinationEncryptionAlgorithm", ENCRYPTION_ALGORITHMS);
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey sourceKey = locate(call, source);
    KmsKey destination = support.resolve(call, destinationId, KeyIdentifiers.Forms.ANY);
    support.authorize(call, sourceKey, "kms:ReEncryptFrom", source.context, null);
    support.authorize(call, destination, "kms:ReEncryptTo", destinationContext, null);
    String sourceAlgorithm = checkUsable(sourceKey, source.algorithm, source.context, "ReEncrypt");
    String destinationAlgorithm =
        checkUsable(destination, requestedDestinationAlgorithm, destinationContext, "ReEncrypt");
    byte[] plaintext =
        source.ignoreCiphertext ? null : decryptWith(sourceKey, sourceAlgorithm, source);
    if (plaintext != null) {
      checkPlaintextFits(destination, destinationAlgorithm, plaintext);
    }
    OperationSupport.finishDryRun(fields);
    ObjectNode response = OperationSupport.JSON.objectNode();
    OperationSupport.putBlob(
        response,
        "CiphertextBlob",
        encryptWith(destination, destinationAlgorithm, plaintext, destinationContext));
    response.put("SourceKeyId", sourceKey.arn());
    response.put("KeyId", destination.arn());
    response.put("SourceEncryptionAlgorithm", sourceAlgorithm);
    response.put("DestinationEncryptionAlgorithm", destinationAlgorithm);
    String sourceMaterialId = materialIdShown(sourceKey, source);
    if (sourceMaterialId != null) {
      response.put("SourceKeyMaterialId", sourceMaterialId);
    }
    if (destination.keyMaterialId() != null) {
      response.put("DestinationKeyMaterialId", destination.keyMaterialId());
    }
    return OperationSupport.result(
        response, OperationSupport.resources(sourceKey, destination), null);
  }

  /** A ciphertext to decrypt and what the request says about it. */
  private static final class Source {
    byte[] blob;
    Map<String, String> context;
    String keyId;
    String keyIdMember;
    String algorithm;
    boolean ignoreCiphertext;
    CiphertextBlob parsed;
  }

  private static Source readSource(
      RequestFields fields,
      String blobMember,
      String contextMember,
      String keyIdMember,
      String algorithmMember) {
    Source source = new Source();
    source.blob = fields.blob(blobMember, 1, CiphertextBlob.MAX_LENGTH);
    source.context = fields.stringMap(contextMember);
    source.keyIdMember = keyIdMember;
    source.keyId = fields.string(keyIdMember, 1, OperationSupport.MAX_KEY_ID);
    source.algorithm = fields.enumValue(algorithmMember, ENCRYPTION_ALGORITHMS);
    for (String modifier : fields.stringList("DryRunModifiers", 10)) {
      if (!DRY_RUN_MODIFIERS.contains(modifier)) {
        throw RequestFields.validation(
            "'[" + modifier + "]'",
            "DryRunModifiers",
            "Member must satisfy constraint: [Member must satisfy enum value set: "
                + DRY_RUN_MODIFIERS
                + "]");
      }
      source.ignoreCiphertext = fields.bool("DryRun");
    }
    if (source.blob == null && !source.ignoreCiphertext) {
      throw RequestFields.notNull(blobMember);
    }
    return source;
  }

  /** The key of a ciphertext: the named key, or the key the blob names. */
  private KmsKey locate(KmsCall call, Source source) {
    KmsKey key =
        source.keyId == null ? null : support.resolve(call, source.keyId, KeyIdentifiers.Forms.ANY);
    if (source.ignoreCiphertext) {
      if (key == null) {
        throw RequestFields.notNull(source.keyIdMember);
      }
      return key;
    }
    if (key == null || !key.spec().asymmetric()) {
      source.parsed = CiphertextBlob.parse(source.blob);
    }
    if (key == null) {
      key = support.keyOfCiphertext(call, source.parsed.keyId());
      if (key == null) {
        throw new KmsError("AccessDeniedException", UNKNOWN_KEY)
            .withDenial(
                DenialDetails.ciphertextKeyNotFound(
                    source.parsed.keyId(), support.account(call), support.settings().region()));
      }
    } else if (source.parsed != null && !source.parsed.keyId().equals(key.keyId())) {
      throw new KmsError(
          "IncorrectKeyException",
          "The key ID in the request does not identify a CMK that can perform this operation.");
    }
    return key;
  }

  /** Checks state, usage, algorithm and context of a key for encryption or decryption. */
  private static String checkUsable(
      KmsKey key, String requestedAlgorithm, Map<String, String> context, String operation) {
    OperationSupport.requireEnabled(key);
    OperationSupport.requireUsage(key, KmsKeySpec.ENCRYPT_DECRYPT, operation);
    String algorithm = OperationSupport.encryptionAlgorithm(key, requestedAlgorithm);
    OperationSupport.requireNoContextForAsymmetric(key, context);
    return algorithm;
  }

  private static void checkPlaintextFits(KmsKey key, String algorithm, byte[] plaintext) {
    if (key.spec().family() == KmsKeySpec.Family.RSA) {
      int max = AsymmetricCrypto.maxOaepPlaintext(key.spec().bits(), algorithm);
      if (plaintext.length > max) {
        throw KmsError.validation(
            "Algorithm "
                + algorithm
                + " and key spec "
                + key.spec().name()
                + " cannot encrypt data larger than "
                + max
                + " bytes.");
      }
    }
  }

  private byte[] encryptWith(
      KmsKey key, String algorithm, byte[] plaintext, Map<String, String> context) {
    if (key.spec().asymmetric()) {
      return AsymmetricCrypto.rsaEncrypt(
          key.publicKey(), algorithm, plaintext, support.settings().random());
    }
    return CiphertextBlob.encrypt(
        key.keyId(), key.currentMaterial(), plaintext, context, support.settings().random());
  }

  /**
   * The KeyMaterialId a response shows for a ciphertext: the material that made it, for keys whose
   * material ids AWS shows ({@link KmsKey#keyMaterialId()}); else null.
   */
  private static String materialIdShown(KmsKey key, Source source) {
    if (key.keyMaterialId() == null) {
      return null;
    }
    KeyMaterial material = source.parsed == null ? null : source.parsed.materialOf(key);
    return material == null ? key.keyMaterialId() : material.id();
  }

  private static byte[] decryptWith(KmsKey key, String algorithm, Source source) {
    if (key.spec().asymmetric()) {
      return AsymmetricCrypto.rsaDecrypt(key.privateKey(), algorithm, source.blob);
    }
    KeyMaterial material = source.parsed.materialOf(key);
    if (material == null) {
      throw CiphertextBlob.invalid();
    }
    return source.parsed.decrypt(material.secretKey(), source.context);
  }
}
