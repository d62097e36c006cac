package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.CryptoProviders;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;

/**
 * GenerateMac and VerifyMac with HMAC keys ({@code HMAC_224/256/384/512}, each with the one {@code
 * HMAC_SHA_*} algorithm of its size). The policy sees {@code kms:MacAlgorithm}; a MAC that does not
 * match is {@code KMSInvalidMacException} without a message, as in AWS. MACs are compared in
 * constant time.
 */
final class MacOperations {
  static final int MAX_MESSAGE = 4096;
  static final int MAX_MAC = 6144;

  /** The MacAlgorithm enum in the order AWS's validation message lists it. */
  static final List<String> MAC_ALGORITHMS =
      List.of("HMAC_SHA_384", "HMAC_SHA_256", "HMAC_SHA_224", "HMAC_SHA_512");

  private final OperationSupport support;

  MacOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult generateMac(KmsCall call) {
    Request request = read(call, false, "GenerateMac");
    byte[] mac = mac(request);
    ObjectNode response = OperationSupport.JSON.objectNode();
    OperationSupport.putBlob(response, "Mac", mac);
    response.put("MacAlgorithm", request.algorithm);
    response.put("KeyId", request.key.arn());
    return OperationSupport.result(response, List.of(request.key.arn()), null);
  }

  KmsResult verifyMac(KmsCall call) {
    Request request = read(call, true, "VerifyMac");
    if (!MessageDigest.isEqual(mac(request), request.mac)) {
      throw new KmsError("KMSInvalidMacException", null);
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", request.key.arn());
    response.put("MacValid", true);
    response.put("MacAlgorithm", request.algorithm);
    return OperationSupport.result(response, List.of(request.key.arn()), null);
  }

  /** A validated, authorized GenerateMac or VerifyMac request. */
  private record Request(KmsKey key, byte[] message, String algorithm, byte[] mac) {}

  private Request read(KmsCall call, boolean withMac, String operation) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    byte[] message = fields.requiredBlob("Message", 1, MAX_MESSAGE);
    byte[] mac = withMac ? fields.requiredBlob("Mac", 1, MAX_MAC) : null;
    String algorithm = fields.enumValue("MacAlgorithm", MAC_ALGORITHMS);
    if (algorithm == null) {
      throw RequestFields.notNull("MacAlgorithm");
    }
    fields.stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.ANY);
    support.authorize(
        call,
        key,
        "kms:" + operation,
        Map.of(),
        null,
        Map.of("kms:MacAlgorithm", List.of(algorithm)));
    OperationSupport.requireEnabled(key);
    OperationSupport.requireUsage(key, KmsKeySpec.GENERATE_VERIFY_MAC, operation);
    if (!key.spec().macAlgorithms().contains(algorithm)) {
      throw new KmsError(
          "InvalidKeyUsageException",
          "Algorithm " + algorithm + " is incompatible with key spec " + key.spec().name() + ".");
    }
    OperationSupport.finishDryRun(fields);
    return new Request(key, message, algorithm, mac);
  }

  private static byte[] mac(Request request) {
    String jcaName = "HmacSHA" + request.algorithm.substring("HMAC_SHA_".length());
    try {
      Mac hmac = CryptoProviders.configured().mac(jcaName);
      hmac.init(request.key.macKey(jcaName));
      return hmac.doFinal(request.message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(jcaName + " unavailable", e);
    }
  }
}
