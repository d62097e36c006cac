package dev.nitroemu.stack.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that follows a base clock plus an offset a test can move, shared by one environment's
 * NSM, verifier, KMS server and KMS client so they all agree on "now". It is in UTC; {@link
 * #withZone} gives a copy in another zone that shares the offset, so moving either moves both.
 */
public final class AdjustableClock extends Clock {

  private final Clock base;
  private final AtomicReference<Duration> offset;
  private final ZoneId zone;

  /** A UTC clock running with {@code base}, not yet moved. */
  public AdjustableClock(Clock base) {
    this(
        Objects.requireNonNull(base, "base"), new AtomicReference<>(Duration.ZERO), ZoneOffset.UTC);
  }

  private AdjustableClock(Clock base, AtomicReference<Duration> offset, ZoneId zone) {
    this.base = base;
    this.offset = offset;
    this.zone = zone;
  }

  /** Moves the clock by {@code amount} (negative moves it back). */
  public void advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    offset.updateAndGet(current -> current.plus(amount));
  }

  /** Moves the clock so that it reads {@code instant} now and keeps running from there. */
  public void set(Instant instant) {
    Objects.requireNonNull(instant, "instant");
    offset.set(Duration.between(base.instant(), instant));
  }

  /** How far this clock is ahead of its base (negative if behind). */
  public Duration offset() {
    return offset.get();
  }

  @Override
  public Instant instant() {
    return base.instant().plus(offset.get());
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /**
   * A clock in {@code zone} sharing this one's base and offset; this clock when the zone is the
   * same.
   */
  @Override
  public AdjustableClock withZone(ZoneId zone) {
    Objects.requireNonNull(zone, "zone");
    return zone.equals(this.zone) ? this : new AdjustableClock(base, offset, zone);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof AdjustableClock that
        && base.equals(that.base)
        && offset == that.offset
        && zone.equals(that.zone);
  }

  @Override
  public int hashCode() {
    return (base.hashCode() * 31 + System.identityHashCode(offset)) * 31 + zone.hashCode();
  }

  @Override
  public String toString() {
    return "AdjustableClock[" + instant() + ", offset=" + offset.get() + ", " + zone + "]";
  }
}
