package dev.nitroemu.kms.internal;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A grant: permission for a grantee principal to use one key in some operations, optionally only
 * with a given encryption context.
 *
 * @param grantId 64 hex digits
 * @param keyId the id of the key the grant is for
 * @param keyAccountId the account that owns the key
 * @param name the Name given at CreateGrant, or null
 * @param creationDate when the grant was created
 * @param granteePrincipal the principal ARN (or account) the grant gives permissions to
 * @param retiringPrincipal the principal that may retire the grant, or null
 * @param issuingAccount the account whose principal created the grant
 * @param operations the operation names the grant allows, e.g. {@code Decrypt}, in request order
 * @param encryptionContextSubset pairs the request's context must include, or null
 * @param encryptionContextEquals the exact context the request must have, or null
 */
public record KmsGrant(
    String grantId,
    String keyId,
    String keyAccountId,
    String name,
    Instant creationDate,
    String granteePrincipal,
    String retiringPrincipal,
    String issuingAccount,
    List<String> operations,
    Map<String, String> encryptionContextSubset,
    Map<String, String> encryptionContextEquals) {

  public KmsGrant {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(keyAccountId, "keyAccountId");
    Objects.requireNonNull(creationDate, "creationDate");
    Objects.requireNonNull(granteePrincipal, "granteePrincipal");
    Objects.requireNonNull(issuingAccount, "issuingAccount");
    operations = List.copyOf(operations);
    encryptionContextSubset =
        encryptionContextSubset == null ? null : Map.copyOf(encryptionContextSubset);
    encryptionContextEquals =
        encryptionContextEquals == null ? null : Map.copyOf(encryptionContextEquals);
    if (!grantId.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("A grant id is 64 lower-case hex digits");
    }
  }

  /** Whether the grant has an encryption context constraint. */
  public boolean constrained() {
    return encryptionContextSubset != null || encryptionContextEquals != null;
  }

  /**
   * Whether a request with this encryption context satisfies the grant's constraint (always true
   * without one): {@code EncryptionContextEquals} wants the same pairs exactly, {@code
   * EncryptionContextSubset} wants its pairs among the request's; keys and values are
   * case-sensitive.
   */
  public boolean allowsContext(Map<String, String> requestContext) {
    if (encryptionContextEquals != null
        && !encryptionContextEquals.equals(Map.copyOf(requestContext))) {
      return false;
    }
    if (encryptionContextSubset != null) {
      for (Map.Entry<String, String> pair : encryptionContextSubset.entrySet()) {
        if (!pair.getValue().equals(requestContext.get(pair.getKey()))) {
          return false;
        }
      }
    }
    return true;
  }
}
