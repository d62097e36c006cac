package dev.nitroemu.kms.internal;

/**
 * Who made a request, as established by SigV4 verification.
 *
 * @param accessKeyId the access key id that signed the request
 * @param principalArn the principal the credentials map to, e.g. {@code
 *     arn:aws:iam::000000000000:root}
 * @param accountId the principal's account, e.g. {@code 000000000000}
 * @param region the region of the request's SigV4 credential scope (the KMS endpoint it is for), or
 *     null when unknown (the home region then)
 */
public record CallerIdentity(
    String accessKeyId, String principalArn, String accountId, String region) {

  /** A caller whose region is the home region. */
  public CallerIdentity(String accessKeyId, String principalArn, String accountId) {
    this(accessKeyId, principalArn, accountId, null);
  }
}
