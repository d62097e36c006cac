package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VsockAddressTest {

  @Test
  void wellKnownCidsHaveTheirLinuxValues() {
    assertThat(new VsockAddress(VsockAddress.CID_ANY, 0).cidUnsigned()).isEqualTo(0xFFFF_FFFFL);
    assertThat(VsockAddress.CID_HYPERVISOR).isZero();
    assertThat(VsockAddress.CID_LOCAL).isEqualTo(1);
    assertThat(VsockAddress.CID_HOST).isEqualTo(2);
    assertThat(VsockAddress.CID_PARENT).isEqualTo(3);
    assertThat(new VsockAddress(0, VsockAddress.PORT_ANY).portUnsigned()).isEqualTo(4294967295L);
  }

  @Test
  void printsAsVsockUriWithUnsignedNumbers() {
    assertThat(new VsockAddress(16, 5000)).hasToString("vsock://16:5000");
    assertThat(VsockAddress.anyCid(8000)).hasToString("vsock://4294967295:8000");
    assertThat(VsockAddress.of(3, 8000).toShortString()).isEqualTo("3:8000");
  }

  @Test
  void parsesUriAndBareForms() {
    assertThat(VsockAddress.parse("vsock://16:5000")).isEqualTo(new VsockAddress(16, 5000));
    assertThat(VsockAddress.parse("16:5000")).isEqualTo(new VsockAddress(16, 5000));
    assertThat(VsockAddress.parse("4294967295:4294967295"))
        .isEqualTo(new VsockAddress(VsockAddress.CID_ANY, VsockAddress.PORT_ANY));
  }

  @Test
  void parseReadsBackWhatToStringPrints() {
    VsockAddress address = VsockAddress.of(3_000_000_000L, 70_000);
    assertThat(VsockAddress.parse(address.toString())).isEqualTo(address);
    assertThat(VsockAddress.parse(address.toShortString())).isEqualTo(address);
  }

  @Test
  void rejectsMalformedTextWithMessagesNamingTheProblem() {
    assertThatThrownBy(() -> VsockAddress.parse("16")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vsock://CID:PORT");
    assertThatThrownBy(() -> VsockAddress.parse("vsock://16:5000:1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockAddress.parse("tcp://16:5000")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("vsock:// scheme");
    assertThatThrownBy(() -> VsockAddress.parse("x:5000")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cid");
    assertThatThrownBy(() -> VsockAddress.parse("-1:5000")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unsigned decimal");
    assertThatThrownBy(() -> VsockAddress.parse("16:")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
    assertThatThrownBy(() -> VsockAddress.parse("16: 5000")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockAddress.parse("4294967296:1")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0..4294967295");
    assertThatThrownBy(() -> VsockAddress.parse("16:99999999999")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> VsockAddress.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ofRejectsValuesOutsideUnsigned32Bits() {
    assertThatThrownBy(() -> VsockAddress.of(-1, 1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cid");
    assertThatThrownBy(() -> VsockAddress.of(1, 1L << 32)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port");
  }

  @Test
  void wildcardsAreRecognised() {
    assertThat(VsockAddress.anyCid(5).isAnyCid()).isTrue();
    assertThat(VsockAddress.of(16, 5).isAnyCid()).isFalse();
    assertThat(new VsockAddress(16, VsockAddress.PORT_ANY).isAnyPort()).isTrue();
    assertThat(VsockAddress.of(16, 5).withCid(VsockAddress.CID_ANY)).isEqualTo(VsockAddress.anyCid(5));
  }
}
