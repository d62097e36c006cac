package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The outcome of one successful operation: the response body and what the audit log records about it.
 *
 * @param response the JSON response body; an empty object for operations without output
 * @param resources ARNs of the keys the call used (CloudTrail {@code resources}), possibly empty
 * @param recipient the attestation summary when the call carried a verified {@code Recipient}, else null
 */
public record KmsResult(ObjectNode response, List<String> resources, RecipientSummary recipient) {}
