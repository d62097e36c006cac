package dev.nitroemu.nsm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ModuleIdsTest {
  @Test
  void realBlockyIdsDecodeAndFormatLikeHardware() {
    long enclaveId = 0x0191cceb4289903fL;

    assertThat(ModuleIds.moduleId("i-0a22e5c5f24d22174", enclaveId))
        .isEqualTo("i-0a22e5c5f24d22174-enc0191cceb4289903f");
    assertThat(ModuleIds.launchTime(enclaveId))
        .isEqualTo(Instant.parse("2024-09-07T14:37:35.753Z"));
    assertThat(
            HexFormat.of()
                .formatHex(ModuleIds.leafSerial(enclaveId, Instant.ofEpochSecond(0x66dc6533L))))
        .isEqualTo("0191cceb4289903f0000000066dc6533");
  }

  @Test
  void enclaveIdIsLaunchMillisFollowedBySixteenRandomBits() {
    long launch = Instant.parse("2026-01-03T20:40:21.033Z").toEpochMilli();
    SecureRandom random = new SecureRandom();
    Set<Long> lowBits = new HashSet<>();

    for (int i = 0; i < 32; i++) {
      long id = ModuleIds.enclaveId(launch, random);
      assertThat(id >>> 16).isEqualTo(launch);
      lowBits.add(id & 0xFFFF);
    }
    assertThat(lowBits).hasSizeGreaterThan(1);
  }

  @Test
  void moduleIdPadsEnclaveIdToSixteenHexDigits() {
    assertThat(ModuleIds.moduleId("i-0000000000000000", 0x1234L))
        .isEqualTo("i-0000000000000000-enc0000000000001234");
  }
}
