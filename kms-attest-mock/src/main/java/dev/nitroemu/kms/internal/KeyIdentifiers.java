package dev.nitroemu.kms.internal;

import java.time.Instant;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Resolves the four ways a request names a key (key id, key ARN, alias name, alias ARN) to a key of
 * the caller's account, with real KMS's NotFoundException texts.
 *
 * <p>Keys of other accounts are invisible: naming one, even by ARN, gives NotFoundException (the
 * mock has no cross-account grants or policies).
 */
public final class KeyIdentifiers {
  /** Which identifier forms a parameter accepts. */
  public enum Forms {
    /** Key id, key ARN, alias name or alias ARN (most KeyId parameters). */
    ANY,
    /** Key id or key ARN only (key management operations, CreateAlias.TargetKeyId). */
    KEY_ONLY
  }

  private static final Pattern UUID =
      Pattern.compile(
          "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern MULTI_REGION = Pattern.compile("mrk-[0-9a-fA-F]{32}");
  private static final Pattern ARN =
      Pattern.compile("arn:([^:]+):kms:([^:]*):([^:]*):(key|alias)/(.+)");

  private final KmsSettings settings;
  private final KeyStore store;

  public KeyIdentifiers(KmsSettings settings, KeyStore store) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.store = Objects.requireNonNull(store, "store");
  }

  /** {@code arn:<partition>:kms:<region>:<account>:key/<keyId>}. */
  public static String keyArn(String partition, String region, String accountId, String keyId) {
    return "arn:" + partition + ":kms:" + region + ":" + accountId + ":key/" + keyId;
  }

  /** The key ARN of a key id in this region. */
  public String keyArn(String accountId, String keyId) {
    return keyArn(settings.partition(), settings.region(), accountId, keyId);
  }

  /**
   * {@code arn:<partition>:kms:<region>:<account>:alias/<name>} for an alias name {@code
   * alias/<name>}.
   */
  public String aliasArn(String accountId, String aliasName) {
    return "arn:"
        + settings.partition()
        + ":kms:"
        + settings.region()
        + ":"
        + accountId
        + ":"
        + aliasName;
  }

  /** Whether the text has the form of a single-Region key id (a UUID). */
  public static boolean isKeyId(String text) {
    return UUID.matcher(text).matches();
  }

  /** Whether the text has the form of a multi-Region key id: {@code mrk-} and 32 hex digits. */
  public static boolean isMultiRegionKeyId(String text) {
    return MULTI_REGION.matcher(text).matches();
  }

  /** Whether the text is a key id of either form. */
  public static boolean isAnyKeyId(String text) {
    return isKeyId(text) || isMultiRegionKeyId(text);
  }

  /**
   * The key a request names.
   *
   * @param identifier the parameter's value
   * @param forms which forms the parameter accepts
   * @param accountId the caller's account
   * @param now the request time (keys whose deletion date has passed no longer exist)
   * @throws KmsError NotFoundException with KMS's texts when nothing matches
   */
  public KmsKey resolve(String identifier, Forms forms, String accountId, Instant now) {
    if (identifier.startsWith("arn:")) {
      Matcher arn = ARN.matcher(identifier);
      if (!arn.matches() || !arn.group(1).equals(settings.partition())) {
        throw invalidKeyId(identifier);
      }
      if (!arn.group(2).equals(settings.region())) {
        throw KmsError.notFound("Invalid arn " + arn.group(2));
      }
      String account = arn.group(3);
      if (arn.group(4).equals("alias")) {
        if (forms == Forms.KEY_ONLY) {
          throw invalidKeyId(identifier);
        }
        return viaAlias("alias/" + arn.group(5), account, accountId, now);
      }
      String keyId = arn.group(5);
      if (!isAnyKeyId(keyId)) {
        throw invalidKeyId(identifier);
      }
      return key(keyId, identifier, account, accountId, now);
    }
    if (identifier.startsWith("alias/")) {
      if (forms == Forms.KEY_ONLY) {
        throw invalidKeyId(identifier);
      }
      return viaAlias(identifier, accountId, accountId, now);
    }
    if (!isAnyKeyId(identifier)) {
      throw invalidKeyId(identifier);
    }
    return key(identifier, keyArn(accountId, identifier), accountId, accountId, now);
  }

  /**
   * The key a ciphertext blob names, if the caller's account has it.
   *
   * @return the key, or null when it does not exist (any more) in the caller's account
   */
  public KmsKey keyOfCiphertext(String keyId, String accountId, Instant now) {
    KmsKey key = store.find(keyId, now);
    return key != null && key.accountId().equals(accountId) ? key : null;
  }

  /**
   * An alias of the caller's account.
   *
   * @throws KmsError NotFoundException {@code Alias <alias ARN> is not found.}
   */
  public KmsAlias alias(String aliasName, String accountId, Instant now) {
    KmsAlias alias = store.alias(accountId, aliasName, now);
    if (alias == null) {
      throw aliasNotFound(accountId, aliasName);
    }
    return alias;
  }

  /** NotFoundException {@code Alias <alias ARN> is not found.} */
  public KmsError aliasNotFound(String accountId, String aliasName) {
    return KmsError.notFound("Alias " + aliasArn(accountId, aliasName) + " is not found.");
  }

  private KmsKey viaAlias(String aliasName, String aliasAccount, String accountId, Instant now) {
    if (!aliasAccount.equals(accountId)) {
      throw aliasNotFound(aliasAccount, aliasName);
    }
    KmsAlias alias = alias(aliasName, accountId, now);
    return key(
        alias.targetKeyId(), keyArn(accountId, alias.targetKeyId()), accountId, accountId, now);
  }

  private KmsKey key(
      String keyId, String arnForErrors, String keyAccount, String accountId, Instant now) {
    KmsKey key = keyAccount.equals(accountId) ? store.find(keyId, now) : null;
    if (key == null || !key.accountId().equals(accountId)) {
      throw KmsError.notFound("Key '" + arnForErrors + "' does not exist");
    }
    return key;
  }

  private static KmsError invalidKeyId(String identifier) {
    return KmsError.notFound("Invalid keyId '" + identifier + "'");
  }
}
