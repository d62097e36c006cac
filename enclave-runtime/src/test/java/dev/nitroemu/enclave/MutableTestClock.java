package dev.nitroemu.enclave;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * The one test clock: it stands still until a test moves it ({@link #advance}, {@link #set}), or,
 * made with {@link #steppingOnEveryRead}, moves forward by a fixed step each time it is read so
 * that deadlines pass at once. It keeps {@link Clock}'s contract: {@link #withZone} returns a clock
 * in that zone which shares this one's time (moving either moves both), and clocks are equal when
 * they share their time and zone. Thread-safe.
 */
public final class MutableTestClock extends Clock {

  private final Time time;
  private final ZoneId zone;

  /** A UTC clock standing still at {@code start}. */
  public MutableTestClock(Instant start) {
    this(new Time(start, Duration.ZERO), ZoneOffset.UTC);
  }

  private MutableTestClock(Time time, ZoneId zone) {
    this.time = time;
    this.zone = zone;
  }

  /**
   * A UTC clock that reads {@code start + step} first and moves by {@code step} on every further
   * read.
   */
  public static MutableTestClock steppingOnEveryRead(Instant start, Duration step) {
    if (step.isNegative() || step.isZero()) {
      throw new IllegalArgumentException("step must be positive, was " + step);
    }
    return new MutableTestClock(new Time(start, step), ZoneOffset.UTC);
  }

  /** Moves the time by {@code duration} (negative moves it back). */
  public void advance(Duration duration) {
    time.advance(duration);
  }

  /** Sets the time to {@code instant}. */
  public void set(Instant instant) {
    time.set(instant);
  }

  @Override
  public Instant instant() {
    return time.read();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /**
   * A clock in {@code zone} sharing this clock's time; this clock itself when the zone is the same.
   */
  @Override
  public MutableTestClock withZone(ZoneId zone) {
    Objects.requireNonNull(zone, "zone");
    return zone.equals(this.zone) ? this : new MutableTestClock(time, zone);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof MutableTestClock that && time == that.time && zone.equals(that.zone);
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(time) * 31 + zone.hashCode();
  }

  @Override
  public String toString() {
    return "MutableTestClock[" + time + ", " + zone + "]";
  }

  /** The time that a clock and its zoned copies share. */
  private static final class Time {
    private final Duration stepPerRead;
    private Instant now;

    Time(Instant start, Duration stepPerRead) {
      this.now = Objects.requireNonNull(start, "start");
      this.stepPerRead = stepPerRead;
    }

    synchronized Instant read() {
      now = now.plus(stepPerRead);
      return now;
    }

    synchronized void advance(Duration duration) {
      now = now.plus(duration);
    }

    synchronized void set(Instant instant) {
      now = Objects.requireNonNull(instant, "instant");
    }

    @Override
    public synchronized String toString() {
      return stepPerRead.isZero() ? now.toString() : now + " (+" + stepPerRead + " per read)";
    }
  }
}
