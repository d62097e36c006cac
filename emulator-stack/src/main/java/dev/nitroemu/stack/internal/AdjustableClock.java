package dev.nitroemu.stack.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A UTC clock that follows a base clock plus an offset a test can move, shared by one environment's
 * NSM, verifier, KMS server and KMS client so they all agree on "now".
 */
public final class AdjustableClock extends Clock {

  private final Clock base;
  private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

  /** A clock running with {@code base}, not yet moved. */
  public AdjustableClock(Clock base) {
    this.base = Objects.requireNonNull(base, "base");
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
    return ZoneOffset.UTC;
  }

  /** This clock ignores zones: everything in nitro-emu is UTC. */
  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public String toString() {
    return "AdjustableClock[" + instant() + ", offset=" + offset.get() + "]";
  }
}
