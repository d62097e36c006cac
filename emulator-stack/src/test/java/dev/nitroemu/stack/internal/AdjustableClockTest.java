package dev.nitroemu.stack.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class AdjustableClockTest {

  private static final Instant BASE = Instant.parse("2026-01-02T03:04:05Z");
  private final AdjustableClock clock = new AdjustableClock(Clock.fixed(BASE, ZoneOffset.UTC));

  @Test
  void followsItsBaseUntilMoved() {
    assertThat(clock.instant()).isEqualTo(BASE);
    assertThat(clock.offset()).isZero();
  }

  @Test
  void advancesAccumulate() {
    clock.advance(Duration.ofMinutes(5));
    clock.advance(Duration.ofMinutes(-2));

    assertThat(clock.instant()).isEqualTo(BASE.plus(Duration.ofMinutes(3)));
  }

  @Test
  void setMovesToTheInstant() {
    Instant later = Instant.parse("2030-06-01T00:00:00Z");

    clock.set(later);

    assertThat(clock.instant()).isEqualTo(later);
    assertThat(clock.millis()).isEqualTo(later.toEpochMilli());
  }

  @Test
  void withZoneKeepsTheZoneAndSharesTheOffset() {
    ZoneId berlin = ZoneId.of("Europe/Berlin");
    Clock zoned = clock.withZone(berlin);

    assertThat(zoned.getZone()).isEqualTo(berlin);
    assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);
    assertThat(ZonedDateTime.now(zoned).getHour()).isEqualTo(4);
    clock.advance(Duration.ofHours(2));
    assertThat(zoned.instant()).isEqualTo(BASE.plus(Duration.ofHours(2)));
    assertThat(zoned.withZone(ZoneOffset.UTC)).isEqualTo(clock).hasSameHashCodeAs(clock);
    assertThat(clock.withZone(ZoneOffset.UTC)).isSameAs(clock);
    assertThat(zoned).isNotEqualTo(clock);
  }
}
