package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AwsRegion;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where the KMS mock pretends to run and the sources of time and randomness its operations use.
 *
 * @param region the region in key ARNs and the region ARNs in requests must name, e.g. {@code
 *     us-east-1}
 * @param accountId the 12-digit account used when a caller's account is unknown
 * @param clock the only clock operations read (creation dates, deletion windows)
 * @param random the only randomness operations use (key material, nonces, data keys,
 *     GenerateRandom)
 * @param localStackTags whether CreateKey honours LocalStack's {@code _custom_id_} and {@code
 *     _custom_key_material_} tags (false: they are ordinary tags, as in AWS)
 */
public record KmsSettings(
    String region, String accountId, Clock clock, SecureRandom random, boolean localStackTags) {
  private static final Pattern ACCOUNT = Pattern.compile("[0-9]{12}");

  /** Settings that honour LocalStack's tags. */
  public KmsSettings(String region, String accountId, Clock clock, SecureRandom random) {
    this(region, accountId, clock, random, true);
  }

  public KmsSettings {
    AwsRegion.of(region);
    Objects.requireNonNull(accountId, "accountId");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(random, "random");
    if (!isAccountId(accountId)) {
      throw new IllegalArgumentException("An account id has 12 digits: " + accountId);
    }
  }

  /** Whether {@code accountId} is an AWS account id: 12 ASCII digits (false for null). */
  public static boolean isAccountId(String accountId) {
    return accountId != null && ACCOUNT.matcher(accountId).matches();
  }

  /**
   * The ARN partition of the region, e.g. {@code aws}, {@code aws-cn}; see {@link
   * AwsRegion#partition()}.
   */
  public String partition() {
    return AwsRegion.of(region).partition();
  }
}
