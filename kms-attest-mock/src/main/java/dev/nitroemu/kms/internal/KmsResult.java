package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.kms.KeyPolicyLint;
import java.util.List;

/**
 * The outcome of one successful operation: the response body and what the audit log records about
 * it.
 *
 * @param response the JSON response body; an empty object for operations without output
 * @param resources ARNs of the keys the call used (CloudTrail {@code resources}), possibly empty
 * @param recipient the attestation summary when the call carried a verified {@code Recipient}, else
 *     null
 * @param warnings key policy lint warnings (CreateKey, PutKeyPolicy), possibly empty
 */
public record KmsResult(
    ObjectNode response,
    List<String> resources,
    RecipientSummary recipient,
    List<KeyPolicyLint.Warning> warnings) {

  public KmsResult {
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /** A result without warnings. */
  public KmsResult(ObjectNode response, List<String> resources, RecipientSummary recipient) {
    this(response, resources, recipient, List.of());
  }

  /** This result with {@code more} warnings. */
  public KmsResult withWarnings(List<KeyPolicyLint.Warning> more) {
    return new KmsResult(response, resources, recipient, more);
  }
}
