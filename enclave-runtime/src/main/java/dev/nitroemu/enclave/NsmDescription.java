package dev.nitroemu.enclave;

import java.util.Collections;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The answer to DescribeNSM: module version, identity and PCR bank layout.
 *
 * @param versionMajor major version of the module
 * @param versionMinor minor version
 * @param versionPatch patch version
 * @param moduleId the module id, equal to the attestation document's {@code module_id}
 * @param maxPcrs number of PCRs (32 on real hardware)
 * @param lockedPcrs indices of the locked PCRs, ascending
 * @param digest the PCR digest algorithm
 */
public record NsmDescription(
    int versionMajor,
    int versionMinor,
    int versionPatch,
    String moduleId,
    int maxPcrs,
    SortedSet<Integer> lockedPcrs,
    Digest digest) {
  public NsmDescription {
    Objects.requireNonNull(moduleId, "moduleId");
    Objects.requireNonNull(digest, "digest");
    lockedPcrs =
        Collections.unmodifiableSortedSet(
            new TreeSet<>(Objects.requireNonNull(lockedPcrs, "lockedPcrs")));
  }
}
