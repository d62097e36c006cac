package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * Sign, Verify and GetPublicKey with asymmetric keys: RSA (PKCS#1 v1.5 and PSS) and ECDSA on the
 * NIST curves and secp256k1, see {@link SigningAlgorithm}.
 *
 * <p>Sign and Verify take a RAW message of at most 4096 bytes or a DIGEST exactly as long as the
 * algorithm's hash; the policy sees {@code kms:SigningAlgorithm} and {@code kms:MessageType}. A
 * signature that does not verify is {@code KMSInvalidSignatureException} without a message, as in
 * AWS. GetPublicKey answers for Enabled and Disabled keys (AWS's key-state table says Disabled
 * fails, but real KMS answers, as LocalStack observed) and refuses keys pending deletion.
 */
final class SigningOperations {
  static final int MAX_MESSAGE = 4096;
  static final int MAX_SIGNATURE = 6144;
  static final List<String> MESSAGE_TYPES = List.of("RAW", "DIGEST", "EXTERNAL_MU");

  private final OperationSupport support;

  SigningOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult sign(KmsCall call) {
    Request request = read(call, false);
    checkUsable(request, "Sign");
    OperationSupport.finishDryRun(request.fields);
    byte[] signature =
        request.algorithm.sign(
            request.key, request.message, request.digest, support.settings().random());
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", request.key.arn());
    OperationSupport.putBlob(response, "Signature", signature);
    response.put("SigningAlgorithm", request.algorithm.name());
    return OperationSupport.result(response, List.of(request.key.arn()), null);
  }

  KmsResult verify(KmsCall call) {
    Request request = read(call, true);
    checkUsable(request, "Verify");
    OperationSupport.finishDryRun(request.fields);
    if (!request.algorithm.verify(
        request.key, request.message, request.digest, request.signature)) {
      throw new KmsError("KMSInvalidSignatureException", null);
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", request.key.arn());
    response.put("SignatureValid", true);
    response.put("SigningAlgorithm", request.algorithm.name());
    return OperationSupport.result(response, List.of(request.key.arn()), null);
  }

  KmsResult getPublicKey(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    support.authorize(call, key, "kms:GetPublicKey", Map.of(), null);
    OperationSupport.requireNotPendingDeletion(key);
    if (!key.spec().asymmetric()) {
      throw new KmsError(
          "UnsupportedOperationException",
          key.arn()
              + " key spec is "
              + key.spec().name()
              + " which is not valid for GetPublicKey.");
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", key.arn());
    OperationSupport.putBlob(response, "PublicKey", key.publicKeyDer());
    response.put("CustomerMasterKeySpec", key.spec().name());
    response.put("KeySpec", key.spec().name());
    response.put("KeyUsage", key.keyUsage());
    OperationSupport.putAlgorithms(response, key);
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  /** A validated Sign or Verify request with its authorized key. */
  private static final class Request {
    RequestFields fields;
    KmsKey key;
    byte[] message;
    boolean digest;
    String algorithmName;
    SigningAlgorithm algorithm;
    byte[] signature;
  }

  private Request read(KmsCall call, boolean withSignature) {
    Request request = new Request();
    RequestFields fields = new RequestFields(call.request());
    request.fields = fields;
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    request.message = fields.requiredBlob("Message", 1, MAX_MESSAGE);
    String messageType = fields.enumValue("MessageType", MESSAGE_TYPES);
    messageType = messageType == null ? "RAW" : messageType;
    if (withSignature) {
      request.signature = fields.requiredBlob("Signature", 1, MAX_SIGNATURE);
    }
    request.algorithmName = fields.enumValue("SigningAlgorithm", SigningAlgorithm.AWS_VALUES);
    if (request.algorithmName == null) {
      throw RequestFields.notNull("SigningAlgorithm");
    }
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    request.key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    support.authorize(
        call,
        request.key,
        withSignature ? "kms:Verify" : "kms:Sign",
        Map.of(),
        null,
        Map.of(
            "kms:SigningAlgorithm",
            List.of(request.algorithmName),
            "kms:MessageType",
            List.of(messageType)));
    if (messageType.equals("EXTERNAL_MU")) {
      // Inferred text: AWS documents EXTERNAL_MU for ML-DSA keys only, which the mock does not
      // make.
      throw KmsError.validation("MessageType EXTERNAL_MU is valid only with ML_DSA key specs.");
    }
    request.digest = messageType.equals("DIGEST");
    return request;
  }

  /** State, usage, algorithm and digest length, in the order KMS checks them. */
  private static void checkUsable(Request request, String operation) {
    KmsKey key = request.key;
    OperationSupport.requireEnabled(key);
    OperationSupport.requireUsage(key, KmsKeySpec.SIGN_VERIFY, operation);
    if (!key.spec().signingAlgorithms().contains(request.algorithmName)) {
      // Inferred from the recorded Encrypt and GenerateMac texts of the same error.
      throw new KmsError(
          "InvalidKeyUsageException",
          "Algorithm "
              + request.algorithmName
              + " is incompatible with key spec "
              + key.spec().name()
              + ".");
    }
    request.algorithm = SigningAlgorithm.fromWire(request.algorithmName);
    if (request.digest && request.message.length != request.algorithm.digestLength()) {
      throw KmsError.validation(
          "Digest is invalid length for algorithm " + request.algorithmName + ".");
    }
  }
}
