package dev.nitroemu.stack.internal;

import dev.nitroemu.stack.SeededKmsKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AliasListEntry;
import software.amazon.awssdk.services.kms.model.CreateKeyResponse;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Sets up declared KMS keys through the KMS API, as a user would: a new key with the default
 * policy, its alias, then the declared policy. With persistent KMS state an alias that already
 * exists keeps its key, and the declared policy is put on that key again, so restarting with the
 * same declarations is idempotent.
 */
public final class KmsKeySeeder {

  private KmsKeySeeder() {}

  /**
   * Creates (or, when {@code reuseExisting}, finds) each declared key.
   *
   * @param placeholders the values of {@code ${PCR0}}, {@code ${ACCOUNT_ID}}, {@code ${REGION}}...
   * @throws IllegalArgumentException naming the declaration when an alias is declared twice or KMS
   *     refuses its policy
   */
  public static List<SeededKmsKey> seed(
      KmsClient kms,
      List<DeclaredKmsKey> keys,
      Map<String, String> placeholders,
      boolean reuseExisting) {
    Map<String, AliasListEntry> existing =
        reuseExisting && !keys.isEmpty() ? aliases(kms) : Map.of();
    Set<String> seen = new HashSet<>();
    List<SeededKmsKey> seeded = new ArrayList<>();
    for (DeclaredKmsKey key : keys) {
      if (!seen.add(key.alias())) {
        throw new IllegalArgumentException(
            key.source() + " declares alias '" + key.alias() + "' a second time");
      }
      String policy = key.policy(placeholders);
      AliasListEntry found = existing.get("alias/" + key.alias());
      if (found != null) {
        putPolicy(kms, key, found.targetKeyId(), policy, true);
        String arn =
            found.aliasArn().substring(0, found.aliasArn().indexOf(":alias/"))
                + ":key/"
                + found.targetKeyId();
        seeded.add(new SeededKmsKey(key.alias(), found.targetKeyId(), arn, true));
        continue;
      }
      // Default policy first, so that creating the alias is allowed; then the declared policy.
      CreateKeyResponse created = kms.createKey(r -> r.description(key.description()));
      String keyId = created.keyMetadata().keyId();
      kms.createAlias(r -> r.aliasName("alias/" + key.alias()).targetKeyId(keyId));
      putPolicy(kms, key, keyId, policy, false);
      seeded.add(new SeededKmsKey(key.alias(), keyId, created.keyMetadata().arn(), false));
    }
    return seeded;
  }

  private static void putPolicy(
      KmsClient kms, DeclaredKmsKey key, String keyId, String policy, boolean existed) {
    try {
      kms.putKeyPolicy(
          r ->
              r.keyId(keyId)
                  .policyName("default")
                  .policy(policy)
                  .bypassPolicyLockoutSafetyCheck(true));
    } catch (KmsException e) {
      String why =
          e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : e.getMessage();
      if (existed) {
        throw new IllegalArgumentException(
            key.source()
                + ": alias/"
                + key.alias()
                + " already exists (key "
                + keyId
                + ") and KMS refused to put the declared policy on it: "
                + why
                + "; delete the alias or start with"
                + " ephemeral KMS state",
            e);
      }
      throw new IllegalArgumentException(key.source() + ": KMS refused the key policy: " + why, e);
    }
  }

  private static Map<String, AliasListEntry> aliases(KmsClient kms) {
    Map<String, AliasListEntry> byName = new HashMap<>();
    kms.listAliasesPaginator(r -> r.limit(100))
        .aliases()
        .forEach(
            entry -> {
              if (entry.targetKeyId() != null) {
                byName.put(entry.aliasName(), entry);
              }
            });
    return byName;
  }
}
