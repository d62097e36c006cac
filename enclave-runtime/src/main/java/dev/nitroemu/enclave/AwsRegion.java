package dev.nitroemu.enclave;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An AWS region name such as {@code us-east-1}, checked by the one pattern nitro-emu uses, with the
 * ARN partition it belongs to.
 *
 * <p>The pattern accepts what the {@code regionRegex} of every partition in the AWS SDK's endpoint
 * metadata accepts ({@code us-east-1}, {@code eu-central-2}, {@code ap-southeast-5}, {@code
 * us-gov-west-1}, {@code cn-north-1}, {@code il-central-1}, {@code us-isob-east-1}, {@code
 * eusc-de-east-1}, ...): a 2-4 letter prefix, one to three lowercase words and a number from 1 to
 * 99, at most {@value #MAX_LENGTH} characters. It does not check that the region exists, so regions
 * AWS opens later are accepted.
 *
 * @param name the region name
 */
public record AwsRegion(String name) {

  /** The longest region name accepted. */
  public static final int MAX_LENGTH = 32;

  private static final Pattern NAME = Pattern.compile("[a-z]{2,4}(-[a-z]+){1,3}-[1-9][0-9]?");

  /**
   * The partitions other than {@code aws}, by region-name prefix, as in the SDK's endpoint
   * metadata.
   */
  private static final List<Map.Entry<String, String>> PARTITIONS_BY_PREFIX =
      List.of(
          Map.entry("cn-", "aws-cn"),
          Map.entry("us-gov-", "aws-us-gov"),
          Map.entry("us-iso-", "aws-iso"),
          Map.entry("us-isob-", "aws-iso-b"),
          Map.entry("eu-isoe-", "aws-iso-e"),
          Map.entry("us-isof-", "aws-iso-f"),
          Map.entry("eusc-", "aws-eusc"));

  /**
   * Checks the name.
   *
   * @throws IllegalArgumentException if {@code name} is not a region name, quoting it
   */
  public AwsRegion {
    Objects.requireNonNull(name, "region");
    if (!isValid(name)) {
      throw new IllegalArgumentException(
          "region must be an AWS region name such as us-east-1, was '"
              + (name.length() > 64 ? name.substring(0, 64) + "..." : name)
              + "'");
    }
  }

  /** The region called {@code name}; see {@link #AwsRegion(String)}. */
  public static AwsRegion of(String name) {
    return new AwsRegion(name);
  }

  /** Whether {@code name} is a region name (null is not). */
  public static boolean isValid(String name) {
    return name != null && name.length() <= MAX_LENGTH && NAME.matcher(name).matches();
  }

  /**
   * The ARN partition: {@code aws-cn}, {@code aws-us-gov}, {@code aws-iso}, {@code aws-iso-b},
   * {@code aws-iso-e}, {@code aws-iso-f}, {@code aws-eusc}, or {@code aws} for every other region.
   */
  public String partition() {
    for (Map.Entry<String, String> prefix : PARTITIONS_BY_PREFIX) {
      if (name.startsWith(prefix.getKey())) {
        return prefix.getValue();
      }
    }
    return "aws";
  }

  @Override
  public String toString() {
    return name;
  }
}
