package dev.nitroemu.kms.internal;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The automatic rotation schedule of a symmetric KMS key and its count of on-demand rotations.
 *
 * @param enabled whether automatic rotation is enabled
 * @param periodDays days between automatic rotations (90..2560; 365 by default)
 * @param base when the current period started (rotation enabled, or the last automatic rotation);
 *     null while disabled
 * @param onDemandRotations how many on-demand rotations the key has had (AWS allows 25)
 */
public record KeyRotation(boolean enabled, int periodDays, Instant base, int onDemandRotations) {
  /** The default period, in days. */
  public static final int DEFAULT_PERIOD = 365;

  /** A key that never had rotation enabled. */
  public static final KeyRotation NONE = new KeyRotation(false, DEFAULT_PERIOD, null, 0);

  public KeyRotation {
    if (periodDays < 90 || periodDays > 2560) {
      throw new IllegalArgumentException("Rotation period must be 90..2560 days: " + periodDays);
    }
    if (enabled != (base != null)) {
      throw new IllegalArgumentException(
          "An enabled schedule has a base date, a disabled one none");
    }
    if (onDemandRotations < 0) {
      throw new IllegalArgumentException("Negative rotation count");
    }
  }

  /** When the next automatic rotation is due, or null while disabled. */
  public Instant nextRotationDate() {
    return enabled ? base.plus(Duration.ofDays(periodDays)) : null;
  }

  /** Enabled from {@code since} with {@code days} between rotations. */
  public KeyRotation enable(int days, Instant since) {
    return new KeyRotation(true, days, Objects.requireNonNull(since, "since"), onDemandRotations);
  }

  /** Disabled; the period is kept for GetKeyRotationStatus and the on-demand count stays. */
  public KeyRotation disable() {
    return new KeyRotation(false, periodDays, null, onDemandRotations);
  }

  /** The next period starts at {@code date} (an automatic rotation happened then). */
  public KeyRotation rotatedAt(Instant date) {
    return new KeyRotation(enabled, periodDays, date, onDemandRotations);
  }

  /** One more on-demand rotation. */
  public KeyRotation countOnDemand() {
    return new KeyRotation(enabled, periodDays, base, onDemandRotations + 1);
  }
}
