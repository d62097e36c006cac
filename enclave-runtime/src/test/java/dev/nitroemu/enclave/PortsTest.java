package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PortsTest {

  @Test
  void tcpPortsAreOneTo65535() {
    assertThat(Ports.tcp(1, "p")).isEqualTo(1);
    assertThat(Ports.tcp(443, "p")).isEqualTo(443);
    assertThat(Ports.tcp(65535, "p")).isEqualTo(65535);
    assertThatThrownBy(() -> Ports.tcp(0, "destination port"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("destination port must be in 1..65535, was 0");
    assertThatThrownBy(() -> Ports.tcp(65536, "p")).hasMessage("p must be in 1..65535, was 65536");
    assertThatThrownBy(() -> Ports.tcp(-1, "p")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTcpPortToBindMayBeZeroForAnyFreePort() {
    assertThat(Ports.tcpOrAny(0, "p")).isZero();
    assertThat(Ports.tcpOrAny(65535, "p")).isEqualTo(65535);
    assertThatThrownBy(() -> Ports.tcpOrAny(65536, "port"))
        .hasMessage("port must be in 0..65535, was 65536");
    assertThatThrownBy(() -> Ports.tcpOrAny(-1, "port"))
        .hasMessage("port must be in 0..65535, was -1");
  }

  @Test
  void vsockPortsAreUnsigned32Bit() {
    assertThat(Ports.vsock(0, "p")).isZero();
    assertThat(Ports.vsock(4294967295L, "p")).isEqualTo(4294967295L);
    assertThatThrownBy(() -> Ports.vsock(4294967296L, "vsock port"))
        .hasMessage("vsock port must be in 0..4294967295, was 4294967296");
    assertThatThrownBy(() -> Ports.vsock(-1, "p")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aServiceVsockPortIsNeitherZeroNorPortAny() {
    assertThat(Ports.vsockService(8000, "p")).isEqualTo(8000);
    assertThat(Ports.vsockService(4294967294L, "p")).isEqualTo(4294967294L);
    assertThatThrownBy(() -> Ports.vsockService(0, "p"))
        .hasMessage("p must be in 1..4294967294, was 0");
    assertThatThrownBy(() -> Ports.vsockService(4294967295L, "p"))
        .hasMessage("p must be in 1..4294967294, was 4294967295");
  }

  @Test
  void parsingTakesUnsignedDecimalDigitsOnly() {
    assertThat(Ports.parse("0", "p")).isZero();
    assertThat(Ports.parse("4294967295", "p")).isEqualTo(4294967295L);
    assertThat(Ports.parse("9999999999", "p")).isEqualTo(9999999999L);
    for (String bad :
        new String[] {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "12345678901", "١٢"}) {
      assertThatThrownBy(() -> Ports.parse(bad, "port"))
          .as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("port must be an unsigned decimal number, was '");
    }
    assertThatThrownBy(() -> Ports.parse(null, "port"))
        .hasMessage("port must be an unsigned decimal number, was 'null'");
  }
}
