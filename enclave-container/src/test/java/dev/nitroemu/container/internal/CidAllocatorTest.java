package dev.nitroemu.container.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.VsockAddress;
import org.junit.jupiter.api.Test;

/**
 * Enclave CIDs are unsigned, as every vsock CID in nitro-emu: 16 up to just below {@code CID_ANY}.
 */
class CidAllocatorTest {

  @Test
  void enclaveCidsRunFrom16ToJustBelowCidAnyIncludingValuesAbove2To31() {
    assertThatCode(() -> CidAllocator.check(16)).doesNotThrowAnyException();
    assertThatCode(() -> CidAllocator.check(0x8000_0000L)).doesNotThrowAnyException();
    assertThatCode(() -> CidAllocator.check(4_294_967_294L)).doesNotThrowAnyException();
    assertThat(CidAllocator.LAST_CID).isEqualTo(VsockAddress.CID_ANY - 1);

    assertThatThrownBy(() -> CidAllocator.check(15))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an enclave CID must be in 16..4294967294, was 15");
    assertThatThrownBy(() -> CidAllocator.check(VsockAddress.CID_ANY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CidAllocator.claim(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aClaimedCidIsTakenUntilReleased() {
    long cid =
        CidAllocator.FIRST_CID
            + 65_535; // the last one tracked, far from what allocate() hands out first
    CidAllocator.claim(cid);
    try {
      assertThatThrownBy(() -> CidAllocator.claim(cid))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("enclave CID " + cid + " is taken");
    } finally {
      CidAllocator.release(cid);
    }
    CidAllocator.claim(cid);
    CidAllocator.release(cid);
  }
}
