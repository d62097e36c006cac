package dev.nitroemu.kms.internal;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What time does to keys, applied when a key is next used (so it follows whatever clock the mock
 * runs on, including the emulator clock {@code EmulatorControls} moves): automatic rotations that
 * fell due, and imported key material whose {@code ValidTo} passed. Also the one home of the
 * material bookkeeping that rotations and imports share.
 *
 * <p>Automatic rotation happens only while the key is {@code Enabled}; every operation that changes
 * a key's state brings the key up to date first, so rotations due before a key was disabled happen
 * at their scheduled dates, and none happen while it is disabled or pending deletion. An automatic
 * rotation is dated when it was due, not when it was noticed. The rotations of a multi-Region key
 * are made once and written to every copy (they share key material). At most {@value #MAX_CATCH_UP}
 * rotations are applied in one catch-up (a clock moved by centuries skips the older ones).
 */
final class KeyMaintenance {
  static final int MAX_CATCH_UP = 1000;

  private final KmsRegions regions;
  private final SecureRandom random;

  KeyMaintenance(KmsRegions regions, SecureRandom random) {
    this.regions = Objects.requireNonNull(regions, "regions");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** The key as it is at {@code now}, after anything that fell due was applied and stored. */
  KmsKey upToDate(KmsKey key, Instant now) {
    boolean rotate = !dueRotations(key, now).isEmpty();
    if (!rotate && !expiryDue(key, now)) {
      return key;
    }
    if (rotate && key.multiRegion() != null) {
      synchronized (regions.crossRegionLock()) {
        KmsKey current = regions.store(key.region()).find(key.keyId(), now);
        if (current == null) {
          return key;
        }
        List<KeyMaterial> made = automaticMaterials(current, now);
        for (KmsKey copy : regions.copies(key.keyId(), key.accountId(), now)) {
          regions
              .store(copy.region())
              .update(copy.keyId(), now, k -> expire(withRotations(k, made), now));
        }
      }
    } else {
      regions
          .store(key.region())
          .update(key.keyId(), now, k -> expire(withRotations(k, automaticMaterials(k, now)), now));
    }
    KmsKey result = regions.store(key.region()).find(key.keyId(), now);
    return result != null ? result : key;
  }

  /** The dates automatic rotations fell due and have not happened yet, oldest first. */
  static List<Instant> dueRotations(KmsKey key, Instant now) {
    List<Instant> due = new ArrayList<>();
    KeyRotation rotation = key.rotation();
    if (!rotation.enabled() || key.state() != KeyState.ENABLED || !rotatable(key)) {
      return due;
    }
    Duration period = Duration.ofDays(rotation.periodDays());
    for (Instant next = rotation.nextRotationDate(); !next.isAfter(now); next = next.plus(period)) {
      due.add(next);
      if (due.size() > MAX_CATCH_UP) {
        due.remove(0);
      }
    }
    return due;
  }

  /**
   * Whether KMS rotates this key's material itself: symmetric encryption keys with KMS-made
   * material.
   */
  static boolean rotatable(KmsKey key) {
    return !key.spec().asymmetric()
        && key.keyUsage().equals(KmsKeySpec.ENCRYPT_DECRYPT)
        && key.origin().equals(KmsKey.AWS_KMS);
  }

  private List<KeyMaterial> automaticMaterials(KmsKey key, Instant now) {
    List<KeyMaterial> made = new ArrayList<>();
    for (Instant date : dueRotations(key, now)) {
      made.add(KeyMaterial.rotated(key.spec(), newSecret(), date, "AUTOMATIC"));
    }
    return made;
  }

  /** 32 fresh random bytes for new symmetric material. */
  byte[] newSecret() {
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    return secret;
  }

  /**
   * The key after the automatic rotations that made {@code made} (skipping material it already
   * has).
   */
  static KmsKey withRotations(KmsKey key, List<KeyMaterial> made) {
    KmsKey result = key;
    for (KeyMaterial material : made) {
      if (result.material(material.id()) == null) {
        result = rotate(result, material);
      }
      if (result.rotation().enabled()
          && material.rotationDate().isAfter(result.rotation().base())) {
        result = result.withRotation(result.rotation().rotatedAt(material.rotationDate()));
      }
    }
    return result;
  }

  /**
   * The key with {@code next} as its current material: the old current one becomes non-current, and
   * {@code next} replaces a pending-rotation entry with its id, if any.
   */
  static KmsKey rotate(KmsKey key, KeyMaterial next) {
    List<KeyMaterial> materials = new ArrayList<>();
    for (KeyMaterial material : key.materials()) {
      if (material.id().equals(next.id())) {
        continue;
      }
      materials.add(
          material.state() == KeyMaterial.State.CURRENT
              ? material.withState(KeyMaterial.State.NON_CURRENT)
              : material);
    }
    materials.add(next);
    return key.withMaterials(materials, key.state());
  }

  private static boolean expiryDue(KmsKey key, Instant now) {
    for (KeyMaterial material : key.materials()) {
      if (expired(material, now)) {
        return true;
      }
    }
    return false;
  }

  private static boolean expired(KeyMaterial material, Instant now) {
    KeyMaterial.Imported imported = material.imported();
    return material.available()
        && imported != null
        && imported.validTo() != null
        && !imported.validTo().isAfter(now);
  }

  /**
   * The key with its expired imported material deleted (and in state PendingImport if that left it
   * unusable).
   */
  static KmsKey expire(KmsKey key, Instant now) {
    if (!expiryDue(key, now)) {
      return key;
    }
    List<KeyMaterial> materials = new ArrayList<>();
    for (KeyMaterial material : key.materials()) {
      materials.add(expired(material, now) ? material.withoutSecret() : material);
    }
    return key.withMaterials(materials, stateFor(key, materials));
  }

  /**
   * The key state a material change implies: {@code PendingImport} when a permanently associated
   * material (current or non-current) is not imported, back from {@code PendingImport} to {@code
   * Enabled} once all are; a key pending deletion stays so.
   */
  static KeyState stateFor(KmsKey key, List<KeyMaterial> materials) {
    if (key.state() == KeyState.PENDING_DELETION) {
      return key.state();
    }
    boolean missing =
        materials.stream().noneMatch(m -> m.state() == KeyMaterial.State.CURRENT)
            || materials.stream()
                .anyMatch(m -> m.state() != KeyMaterial.State.PENDING_ROTATION && !m.available());
    if (missing) {
      return KeyState.PENDING_IMPORT;
    }
    return key.state() == KeyState.PENDING_IMPORT ? KeyState.ENABLED : key.state();
  }
}
