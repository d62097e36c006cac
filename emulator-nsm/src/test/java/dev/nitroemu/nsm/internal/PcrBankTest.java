package dev.nitroemu.nsm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;

class PcrBankTest {
  @Test
  void bootValuesMustBeFortyEightBytesInTheBootRange() {
    assertThatThrownBy(() -> new PcrBank(Map.of(0, new byte[32])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("48 bytes");
    assertThatThrownBy(() -> new PcrBank(Map.of(16, new byte[48])))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..15");
  }

  @Test
  void lockedValuesAreACopy() {
    byte[] boot = new byte[48];
    boot[0] = 9;
    PcrBank bank = new PcrBank(Map.of(5, boot));
    boot[0] = 1;

    SortedMap<Integer, byte[]> snapshot = bank.lockedValues();
    snapshot.get(5)[0] = 2;

    assertThat(bank.lockedValues().get(5)[0]).isEqualTo((byte) 9);
    assertThat(snapshot.keySet()).containsExactlyElementsOf(bank.lockedIndices());
  }
}
