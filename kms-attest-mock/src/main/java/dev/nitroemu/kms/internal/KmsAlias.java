package dev.nitroemu.kms.internal;

import java.time.Instant;
import java.util.Objects;

/**
 * An alias: a friendly name for one key of one account.
 *
 * @param accountId the account that owns the alias and its target key
 * @param aliasName the name, {@code alias/...}
 * @param targetKeyId the key id (not ARN) the alias points to
 * @param creationDate when the alias was created
 * @param lastUpdatedDate when the alias last changed target
 */
public record KmsAlias(
    String accountId,
    String aliasName,
    String targetKeyId,
    Instant creationDate,
    Instant lastUpdatedDate) {

  public KmsAlias {
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(aliasName, "aliasName");
    Objects.requireNonNull(targetKeyId, "targetKeyId");
    Objects.requireNonNull(creationDate, "creationDate");
    Objects.requireNonNull(lastUpdatedDate, "lastUpdatedDate");
  }
}
