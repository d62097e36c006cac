package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;

class MutableTestClockTest {
  private static final Instant START = Instant.parse("2026-03-01T12:00:00Z");
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  @Test
  void standsStillUntilMoved() {
    MutableTestClock clock = new MutableTestClock(START);

    assertThat(clock.instant()).isEqualTo(START).isEqualTo(clock.instant());
    clock.advance(Duration.ofMinutes(5));
    assertThat(clock.millis()).isEqualTo(START.plusSeconds(300).toEpochMilli());
    clock.set(START.minusSeconds(1));
    assertThat(clock.instant()).isEqualTo(START.minusSeconds(1));
  }

  @Test
  void withZoneReturnsAClockInThatZoneSharingTheTime() {
    MutableTestClock utc = new MutableTestClock(START);
    Clock berlin = utc.withZone(BERLIN);

    assertThat(berlin.getZone()).isEqualTo(BERLIN);
    assertThat(utc.getZone()).isEqualTo(ZoneOffset.UTC);
    assertThat(ZonedDateTime.now(berlin).getHour()).isEqualTo(13);
    utc.advance(Duration.ofHours(1));
    assertThat(berlin.instant()).isEqualTo(START.plusSeconds(3600));
    assertThat(berlin.withZone(ZoneOffset.UTC)).isEqualTo(utc).hasSameHashCodeAs(utc);
    assertThat(utc.withZone(ZoneOffset.UTC)).isSameAs(utc);
    assertThat(berlin).isNotEqualTo(utc);
    assertThat(new MutableTestClock(START)).isNotEqualTo(new MutableTestClock(START));
  }

  @Test
  void aSteppingClockMovesOnEveryRead() {
    MutableTestClock clock = MutableTestClock.steppingOnEveryRead(START, Duration.ofSeconds(6));
    Clock zoned = clock.withZone(BERLIN);

    assertThat(clock.instant()).isEqualTo(START.plusSeconds(6));
    assertThat(zoned.instant()).isEqualTo(START.plusSeconds(12));
    assertThatThrownBy(() -> MutableTestClock.steppingOnEveryRead(START, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
