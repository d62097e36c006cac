package dev.nitroemu.kms.internal;

import java.util.Objects;

/**
 * What one copy of a multi-Region key believes about its set: the primary's region, and the epoch
 * of that belief (UpdatePrimaryRegion increments it). The copy with the highest epoch is right; the
 * others are brought up to date when the set is next changed, so a crash halfway through an update
 * of several regions never leaves two primaries.
 *
 * @param primaryRegion the region of the primary key
 * @param epoch how many times the primary has moved
 */
public record MultiRegionRole(String primaryRegion, long epoch) {
  public MultiRegionRole {
    Objects.requireNonNull(primaryRegion, "primaryRegion");
    if (epoch < 0) {
      throw new IllegalArgumentException("negative epoch");
    }
  }
}
