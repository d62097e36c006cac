package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * UpdateKeyDescription and ListKeyPolicies: the key's description and the names of its policies
 * (always just {@code default}, as in AWS).
 *
 * <p>UpdateKeyDescription works on Enabled and Disabled keys and refuses keys pending deletion;
 * ListKeyPolicies works in every state. Both take a key id or key ARN, not an alias.
 */
final class KeyMetadataOperations {
  static final int MAX_DESCRIPTION = 8192;

  private final OperationSupport support;

  KeyMetadataOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult updateKeyDescription(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String description = fields.string("Description", 0, MAX_DESCRIPTION);
    if (description == null) {
      throw RequestFields.notNull("Description");
    }
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:UpdateKeyDescription", Map.of(), null);
    KmsKey changed =
        support.update(
            call,
            key,
            current -> {
              OperationSupport.requireNotPendingDeletion(current);
              return current.description().equals(description)
                  ? current
                  : current.withDescription(description);
            });
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), List.of(changed.arn()), null);
  }

  KmsResult listKeyPolicies(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    fields.integer("Limit", 1, 1000);
    String after = KeyManagementOperations.Markers.decode(fields.string("Marker", 1, 320));
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:ListKeyPolicies", Map.of(), null);
    ObjectNode response = OperationSupport.JSON.objectNode();
    ArrayNode names = response.putArray("PolicyNames");
    if (after == null || after.compareTo(KeyManagementOperations.DEFAULT_POLICY_NAME) < 0) {
      names.add(KeyManagementOperations.DEFAULT_POLICY_NAME);
    }
    response.put("Truncated", false);
    return OperationSupport.result(response, List.of(key.arn()), null);
  }
}
