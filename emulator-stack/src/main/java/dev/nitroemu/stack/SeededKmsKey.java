package dev.nitroemu.stack;

import java.util.Objects;

/**
 * A declared KMS key as an emulated environment set it up: its alias (without {@code alias/}), key
 * id and ARN, and whether the key already existed in the KMS state directory (its declared policy
 * was then put again) rather than being created.
 *
 * @param alias the alias without {@code alias/}
 * @param keyId the key id
 * @param arn the key ARN
 * @param existed whether the alias was found in persistent KMS state instead of being created
 */
public record SeededKmsKey(String alias, String keyId, String arn, boolean existed) {
  /** Checks that nothing is missing. */
  public SeededKmsKey {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(arn, "arn");
  }
}
