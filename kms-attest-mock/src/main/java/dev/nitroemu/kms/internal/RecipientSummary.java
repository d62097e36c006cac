package dev.nitroemu.kms.internal;

import java.util.SortedMap;

/**
 * What an attested request proved, for the audit log ({@code additionalEventData.recipient}).
 *
 * @param moduleId the attestation document's module id
 * @param pcrs the document's PCRs by index
 */
public record RecipientSummary(String moduleId, SortedMap<Integer, byte[]> pcrs) {}
