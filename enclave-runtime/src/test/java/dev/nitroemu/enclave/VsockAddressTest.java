package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class VsockAddressTest {

  @Test
  void wellKnownCidsHaveTheirLinuxValues() {
    assertThat(VsockAddress.of(VsockAddress.CID_ANY, 0).cid()).isEqualTo(0xFFFF_FFFFL);
    assertThat(VsockAddress.CID_HYPERVISOR).isZero();
    assertThat(VsockAddress.CID_LOCAL).isEqualTo(1);
    assertThat(VsockAddress.CID_HOST).isEqualTo(2);
    assertThat(VsockAddress.CID_PARENT).isEqualTo(3);
    assertThat(VsockAddress.of(0, VsockAddress.PORT_ANY).port()).isEqualTo(4294967295L);
  }

  @Test
  void printsAsVsockUriWithUnsignedNumbers() {
    assertThat(VsockAddress.of(16, 5000)).hasToString("vsock://16:5000");
    assertThat(VsockAddress.anyCid(8000)).hasToString("vsock://4294967295:8000");
    assertThat(VsockAddress.of(3, 8000).toShortString()).isEqualTo("3:8000");
  }

  @Test
  void parsesUriAndBareForms() {
    assertThat(VsockAddress.parse("vsock://16:5000")).isEqualTo(VsockAddress.of(16, 5000));
    assertThat(VsockAddress.parse("16:5000")).isEqualTo(VsockAddress.of(16, 5000));
    assertThat(VsockAddress.parse("4294967295:4294967295"))
        .isEqualTo(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY));
  }

  @Test
  void parseReadsBackWhatToStringPrints() {
    VsockAddress address = VsockAddress.of(3_000_000_000L, 70_000);
    assertThat(VsockAddress.parse(address.toString())).isEqualTo(address);
    assertThat(VsockAddress.parse(address.toShortString())).isEqualTo(address);
  }

  @Test
  void rejectsMalformedTextWithMessagesNamingTheProblem() {
    assertThatThrownBy(() -> VsockAddress.parse("16"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vsock://CID:PORT");
    assertThatThrownBy(() -> VsockAddress.parse("vsock://16:5000:1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockAddress.parse("tcp://16:5000"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vsock:// scheme");
    assertThatThrownBy(() -> VsockAddress.parse("x:5000"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cid");
    assertThatThrownBy(() -> VsockAddress.parse("-1:5000"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsigned decimal");
    assertThatThrownBy(() -> VsockAddress.parse("16:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> VsockAddress.parse("16: 5000"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockAddress.parse("4294967296:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..4294967295");
    assertThatThrownBy(() -> VsockAddress.parse("16:99999999999"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockAddress.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ofRejectsValuesOutsideUnsigned32Bits() {
    assertThatThrownBy(() -> VsockAddress.of(-1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cid");
    assertThatThrownBy(() -> VsockAddress.of(1, 1L << 32))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
  }

  @Test
  void theOnlyWayInIsUnsignedAndTheAccessorsNeverGoNegative() throws Exception {
    assertThat(VsockAddress.class.getConstructors()).isEmpty();
    assertThat(VsockAddress.class.getMethod("cid").getReturnType()).isEqualTo(long.class);
    assertThat(VsockAddress.class.getMethod("port").getReturnType()).isEqualTo(long.class);

    VsockAddress high = VsockAddress.of(3_000_000_000L, 4_294_967_294L);
    assertThat(high.cid()).isEqualTo(3_000_000_000L);
    assertThat(high.port()).isEqualTo(4_294_967_294L);
    assertThat(high)
        .isEqualTo(VsockAddress.parse("3000000000:4294967294"))
        .hasSameHashCodeAs(VsockAddress.parse("3000000000:4294967294"));
  }

  @Test
  void addressesOrderByUnsignedCidThenPort() {
    assertThat(
            new TreeSet<>(
                List.of(
                    VsockAddress.anyCid(1),
                    VsockAddress.of(3, 9),
                    VsockAddress.of(16, 1),
                    VsockAddress.of(3, 8))))
        .containsExactly(
            VsockAddress.of(3, 8),
            VsockAddress.of(3, 9),
            VsockAddress.of(16, 1),
            VsockAddress.anyCid(1));
  }

  @Test
  void parseCidReadsOneUnsignedValue() {
    assertThat(VsockAddress.parseCid(" 4294967295 ", "nitro.vsock.cid"))
        .isEqualTo(VsockAddress.CID_ANY);
    assertThatThrownBy(() -> VsockAddress.parseCid("-1", "nitro.vsock.cid"))
        .hasMessageContaining("nitro.vsock.cid");
    assertThatThrownBy(() -> VsockAddress.parseCid("4294967296", "--enclave-cid"))
        .hasMessageContaining("--enclave-cid")
        .hasMessageContaining("0..4294967295");
    assertThatThrownBy(() -> VsockAddress.parseCid(null, "cid"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void wildcardsAreRecognised() {
    assertThat(VsockAddress.anyCid(5).isAnyCid()).isTrue();
    assertThat(VsockAddress.of(16, 5).isAnyCid()).isFalse();
    assertThat(VsockAddress.of(16, VsockAddress.PORT_ANY).isAnyPort()).isTrue();
    assertThat(VsockAddress.of(16, 5).withCid(VsockAddress.CID_ANY))
        .isEqualTo(VsockAddress.anyCid(5));
  }
}
