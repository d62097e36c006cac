package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CreateAlias, UpdateAlias, DeleteAlias and ListAliases.
 *
 * <p>Alias names are {@code alias/<name>} with {@code [a-zA-Z0-9/_-]} after the prefix; names under
 * {@code alias/aws/} are reserved for AWS managed keys (NotAuthorizedException, as moto and
 * fakecloud report; the mock has no AWS managed keys). Aliases are authorized on the target key's
 * policy ({@code kms:CreateAlias}, {@code kms:DeleteAlias}; UpdateAlias on the current and the new
 * target's); ListAliases needs only IAM in AWS, so it is not checked against key policies.
 * UpdateAlias moves an alias only to a key of the same type (symmetric encryption, asymmetric or
 * HMAC) and key usage, and not to a key pending deletion.
 */
final class AliasOperations {
  static final int MAX_ALIAS_NAME = 256;
  private static final String PREFIX = "alias/";
  private static final String RESERVED_PREFIX = "alias/aws/";
  private static final Pattern ALIAS_PATTERN = Pattern.compile("^[a-zA-Z0-9:/_-]+$");

  private final OperationSupport support;

  AliasOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult createAlias(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String aliasName = aliasNameMember(fields);
    String target = OperationSupport.keyIdMember(fields, "TargetKeyId");
    if (target.startsWith(PREFIX) || target.contains(":alias/")) {
      throw KmsError.validation("Aliases must refer to keys. Not aliases");
    }
    KmsKey key = support.resolve(call, target, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:CreateAlias", Map.of(), null);
    OperationSupport.requireNotPendingDeletion(key);
    String account = support.account(call);
    Instant now = support.now(call);
    if (!support.store().addAlias(new KmsAlias(account, aliasName, key.keyId(), now, now))) {
      throw new KmsError(
          "AlreadyExistsException",
          "An alias with the name "
              + support.ids().aliasArn(account, aliasName)
              + " already exists");
    }
    return OperationSupport.result(OperationSupport.JSON.objectNode(), List.of(key.arn()), null);
  }

  KmsResult updateAlias(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String aliasName = aliasNameMember(fields);
    String target = OperationSupport.keyIdMember(fields, "TargetKeyId");
    if (target.startsWith(PREFIX) || target.contains(":alias/")) {
      throw KmsError.validation("Aliases must refer to keys. Not aliases");
    }
    String account = support.account(call);
    KmsAlias alias = support.ids().alias(aliasName, account, support.now(call));
    KmsKey current = support.resolve(call, alias.targetKeyId(), KeyIdentifiers.Forms.KEY_ONLY);
    KmsKey next = support.resolve(call, target, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, current, "kms:UpdateAlias", Map.of(), null);
    support.authorize(call, next, "kms:UpdateAlias", Map.of(), null);
    OperationSupport.requireNotPendingDeletion(next);
    if (!keyType(current).equals(keyType(next)) || !current.keyUsage().equals(next.keyUsage())) {
      // Inferred text: AWS documents the rule, not the message.
      throw KmsError.validation(
          "Alias "
              + aliasName
              + " cannot be moved to "
              + next.arn()
              + ": the new target key must have the same"
              + " key type (symmetric, asymmetric or HMAC) and key usage as the current one ("
              + current.spec().name()
              + ", "
              + current.keyUsage()
              + ").");
    }
    KmsAlias moved =
        new KmsAlias(account, aliasName, next.keyId(), alias.creationDate(), support.now(call));
    if (!support.store().replaceAlias(moved)) {
      throw support.ids().aliasNotFound(account, aliasName);
    }
    return OperationSupport.result(
        OperationSupport.JSON.objectNode(), OperationSupport.resources(current, next), null);
  }

  /** Symmetric encryption, asymmetric or HMAC: the key type UpdateAlias must keep. */
  private static String keyType(KmsKey key) {
    return key.spec().asymmetric() ? "ASYMMETRIC" : key.spec().family().name();
  }

  KmsResult deleteAlias(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String aliasName = aliasNameMember(fields);
    String account = support.account(call);
    KmsAlias alias = support.ids().alias(aliasName, account, support.now(call));
    KmsKey key = support.resolve(call, alias.targetKeyId(), KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:DeleteAlias", Map.of(), null);
    if (!support.store().removeAlias(account, aliasName)) {
      throw support.ids().aliasNotFound(account, aliasName);
    }
    return OperationSupport.result(OperationSupport.JSON.objectNode(), List.of(key.arn()), null);
  }

  KmsResult listAliases(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = fields.string("KeyId", 1, OperationSupport.MAX_KEY_ID);
    int limit = KeyManagementOperations.orDefault(fields.integer("Limit", 1, 100), 50);
    String after = KeyManagementOperations.Markers.decode(fields.string("Marker", 1, 1024));
    String targetKeyId = null;
    if (keyId != null) {
      targetKeyId = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY).keyId();
    }
    String account = support.account(call);
    ArrayNode entries = OperationSupport.JSON.arrayNode();
    String last = null;
    boolean truncated = false;
    for (KmsAlias alias : support.store().aliases(account, support.now(call))) {
      if ((targetKeyId != null && !alias.targetKeyId().equals(targetKeyId))
          || (after != null && alias.aliasName().compareTo(after) <= 0)) {
        continue;
      }
      if (entries.size() == limit) {
        truncated = true;
        break;
      }
      ObjectNode entry = entries.addObject();
      entry.put("AliasName", alias.aliasName());
      entry.put("AliasArn", support.ids().aliasArn(account, alias.aliasName()));
      entry.put("TargetKeyId", alias.targetKeyId());
      entry.set("CreationDate", OperationSupport.timestamp(alias.creationDate()));
      entry.set("LastUpdatedDate", OperationSupport.timestamp(alias.lastUpdatedDate()));
      last = alias.aliasName();
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("Aliases", entries);
    if (truncated) {
      response.put("NextMarker", KeyManagementOperations.Markers.encode(last));
    }
    response.put("Truncated", truncated);
    return OperationSupport.result(response, List.of(), null);
  }

  /** Validates AliasName as KMS does: model pattern, then the prefix, reserved names and colons. */
  private static String aliasNameMember(RequestFields fields) {
    String name = fields.requiredString("AliasName", 1, MAX_ALIAS_NAME);
    if (!ALIAS_PATTERN.matcher(name).matches()) {
      throw RequestFields.validation(
          "'" + name + "'",
          "AliasName",
          "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
    }
    if (!name.startsWith(PREFIX)) {
      throw KmsError.validation(
          "Alias must start with the prefix \"alias/\". Please see "
              + "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html");
    }
    if (name.startsWith(RESERVED_PREFIX)) {
      throw new KmsError("NotAuthorizedException", null);
    }
    if (name.substring(PREFIX.length()).contains(":")) {
      throw KmsError.validation(name + " contains invalid characters for an alias");
    }
    if (name.length() == PREFIX.length()) {
      throw new KmsError(
          "InvalidAliasNameException", "Alias name must not be empty after the prefix alias/.");
    }
    return name;
  }
}
