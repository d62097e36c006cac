package dev.nitroemu.kms;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One set of AWS credentials the KMS mock accepts, and the principal it maps them to.
 *
 * <p>Requests signed (SigV4) with {@code accessKeyId}/{@code secretAccessKey} act as {@code
 * principalArn}; its account is the caller account that key policies see ({@code
 * kms:CallerAccount}). With a {@code sessionToken}, every request must carry exactly that token in
 * {@code X-Amz-Security-Token}; without one (long-term credentials) a token sent by the client is
 * not checked, so clients that insist on session credentials (e.g. {@code kmstool-enclave-cli})
 * work with any token. {@link #toString()} never shows the secret or the token.
 *
 * @param accessKeyId the access key id, e.g. {@code test}
 * @param secretAccessKey the secret access key
 * @param principalArn the IAM or STS principal, {@code arn:<partition>:iam::<12 digits>:<resource>}
 *     or {@code arn:<partition>:sts::<12 digits>:assumed-role/<role>/<session>}
 * @param sessionToken the session token requests must carry, or null for long-term credentials
 */
public record KmsCredentials(
    String accessKeyId, String secretAccessKey, String principalArn, String sessionToken) {

  /** Account of the default credentials. */
  public static final String DEFAULT_ACCOUNT_ID = "000000000000";

  private static final Pattern PRINCIPAL =
      Pattern.compile(
          "arn:aws[a-z-]*:(iam|sts)::(\\d{12}):(root|user/.+|role/.+|assumed-role/[^/]+/.+)");
  private static final Pattern ACCESS_KEY_ID = Pattern.compile("[\\x21-\\x7e&&[^/,=]]{1,128}");

  /** Validates the fields; see the record description. */
  public KmsCredentials {
    Objects.requireNonNull(accessKeyId, "accessKeyId");
    Objects.requireNonNull(secretAccessKey, "secretAccessKey");
    Objects.requireNonNull(principalArn, "principalArn");
    if (!ACCESS_KEY_ID.matcher(accessKeyId).matches()) {
      throw new IllegalArgumentException(
          "access key id must be 1..128 visible ASCII characters without '/', ',' or '='");
    }
    if (secretAccessKey.isEmpty()) {
      throw new IllegalArgumentException("secret access key must not be empty");
    }
    if (!PRINCIPAL.matcher(principalArn).matches()) {
      throw new IllegalArgumentException(
          "principal must look like arn:aws:iam::123456789012:root, ...:user/<name>, ...:role/<name> or"
              + " arn:aws:sts::123456789012:assumed-role/<role>/<session>, got "
              + principalArn);
    }
    if (sessionToken != null && sessionToken.isEmpty()) {
      throw new IllegalArgumentException("session token must be null or non-empty");
    }
  }

  /** Long-term credentials (no session token). */
  public KmsCredentials(String accessKeyId, String secretAccessKey, String principalArn) {
    this(accessKeyId, secretAccessKey, principalArn, null);
  }

  /**
   * Access key {@code test}, secret {@code test}, principal {@code arn:aws:iam::000000000000:root}.
   */
  public static KmsCredentials defaults() {
    return new KmsCredentials("test", "test", "arn:aws:iam::" + DEFAULT_ACCOUNT_ID + ":root");
  }

  /** The principal's 12-digit account id. */
  public String accountId() {
    Matcher matcher = PRINCIPAL.matcher(principalArn);
    if (!matcher.matches()) {
      throw new IllegalStateException("unreachable: principal validated in the constructor");
    }
    return matcher.group(2);
  }

  /** The same credentials requiring {@code token} as the session token. */
  public KmsCredentials withSessionToken(String token) {
    return new KmsCredentials(
        accessKeyId, secretAccessKey, principalArn, Objects.requireNonNull(token, "token"));
  }

  /** Shows the access key id and principal only. */
  @Override
  public String toString() {
    return "KmsCredentials[accessKeyId="
        + accessKeyId
        + ", principalArn="
        + principalArn
        + (sessionToken == null ? "" : ", sessionToken=<set>")
        + "]";
  }
}
