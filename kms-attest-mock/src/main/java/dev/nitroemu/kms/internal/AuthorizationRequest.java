package dev.nitroemu.kms.internal;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a key policy is asked to authorize: an action by a principal on a key, with the request's
 * condition context.
 *
 * @param action the IAM action, e.g. {@code kms:Decrypt}
 * @param principalArn the caller, e.g. {@code arn:aws:sts::111122223333:assumed-role/app/i-0abc}
 * @param callerAccount the caller's account id
 * @param keyArn the ARN of the key the policy belongs to
 * @param context condition keys (any case) to their values: {@code kms:CallerAccount}, {@code
 *     aws:PrincipalArn}, {@code kms:EncryptionContext:<k>}, {@code kms:EncryptionContextKeys},
 *     {@code kms:RecipientAttestation:ImageSha384}, {@code kms:RecipientAttestation:PCR<n>}
 *     (lower-case hex) ...; a key that is absent (or maps to an empty list) is absent from the
 *     request. {@code aws:PrincipalArn}, {@code aws:PrincipalAccount} and {@code kms:CallerAccount}
 *     are derived from the principal when not given; for a role session {@code aws:PrincipalArn} is
 *     the role's ARN (as in IAM), also when the context names the session ARN there.
 */
public record AuthorizationRequest(
    String action,
    String principalArn,
    String callerAccount,
    String keyArn,
    Map<String, List<String>> context) {
  public AuthorizationRequest {
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(principalArn, "principalArn");
    context = context == null ? Map.of() : context;
  }
}
