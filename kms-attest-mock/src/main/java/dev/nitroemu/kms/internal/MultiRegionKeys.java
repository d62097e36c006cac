package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Reads a multi-Region key's set across the served regions: which copy is the primary and the
 * {@code MultiRegionConfiguration} DescribeKey shows. The primary is the one the copy with the
 * highest epoch names ({@link MultiRegionRole}).
 */
final class MultiRegionKeys {
  private MultiRegionKeys() {}

  /** The region of the set's primary key. */
  static String primaryRegion(List<KmsKey> copies, KmsKey fallback) {
    MultiRegionRole newest = fallback.multiRegion();
    for (KmsKey copy : copies) {
      if (copy.multiRegion() != null && copy.multiRegion().epoch() > newest.epoch()) {
        newest = copy.multiRegion();
      }
    }
    return newest.primaryRegion();
  }

  /** The highest epoch among the copies. */
  static long epoch(List<KmsKey> copies) {
    long epoch = 0;
    for (KmsKey copy : copies) {
      epoch = Math.max(epoch, copy.multiRegion().epoch());
    }
    return epoch;
  }

  /** Whether this copy is its set's primary key. */
  static boolean isPrimary(KmsKey key, KmsRegions regions, Instant now) {
    return primaryRegion(regions.copies(key.keyId(), key.accountId(), now), key)
        .equals(key.region());
  }

  /**
   * Applies a change to a shared property (key material, rotation schedule) to this key and, for a
   * multi-Region key, every copy of it, under the cross-region lock; {@code change} must give every
   * copy the same result (make random material before, not inside it).
   *
   * @return this region's copy after the change
   * @throws KmsError NotFoundException when the key no longer exists
   */
  static KmsKey updateShared(
      KmsRegions regions, KmsKey key, Instant now, UnaryOperator<KmsKey> change) {
    KmsKey updated;
    if (key.multiRegion() == null) {
      updated = regions.store(key.region()).update(key.keyId(), now, change);
    } else {
      synchronized (regions.crossRegionLock()) {
        updated = null;
        for (KmsKey copy : regions.copies(key.keyId(), key.accountId(), now)) {
          KmsKey result = regions.store(copy.region()).update(copy.keyId(), now, change);
          if (copy.region().equals(key.region())) {
            updated = result;
          }
        }
      }
    }
    if (updated == null) {
      throw KmsError.notFound("Key '" + key.arn() + "' does not exist");
    }
    return updated;
  }

  /** The MultiRegionConfiguration of a copy: its type, the primary key and every replica key. */
  static ObjectNode configuration(KmsKey key, KmsRegions regions, Instant now) {
    List<KmsKey> copies = regions.copies(key.keyId(), key.accountId(), now);
    String primaryRegion = primaryRegion(copies, key);
    ObjectNode configuration = OperationSupport.JSON.objectNode();
    configuration.put(
        "MultiRegionKeyType", primaryRegion.equals(key.region()) ? "PRIMARY" : "REPLICA");
    configuration
        .putObject("PrimaryKey")
        .put(
            "Arn",
            KeyIdentifiers.keyArn(key.partition(), primaryRegion, key.accountId(), key.keyId()))
        .put("Region", primaryRegion);
    ArrayNode replicas = configuration.putArray("ReplicaKeys");
    for (KmsKey copy : copies) {
      if (!copy.region().equals(primaryRegion)) {
        replicas.addObject().put("Arn", copy.arn()).put("Region", copy.region());
      }
    }
    return configuration;
  }
}
