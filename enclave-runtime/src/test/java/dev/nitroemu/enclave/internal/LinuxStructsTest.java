package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.VsockAddress;
import java.nio.ByteOrder;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LinuxStructsTest {

  @Test
  void sockaddrVmIsSixteenBytesInKernelLayout() {
    byte[] bytes = LinuxStructs.sockaddrVm(VsockAddress.of(16, 5000), ByteOrder.LITTLE_ENDIAN);
    assertThat(bytes)
        .hasSize(16)
        .containsExactly(
            40,
            0, // svm_family = AF_VSOCK
            0,
            0, // svm_reserved1
            (byte) 0x88,
            0x13,
            0,
            0, // svm_port = 5000
            16,
            0,
            0,
            0, // svm_cid = 16
            0,
            0,
            0,
            0); // svm_flags + svm_zero
  }

  @Test
  void sockaddrVmFollowsTheRequestedByteOrder() {
    byte[] bytes = LinuxStructs.sockaddrVm(VsockAddress.of(3, 8000), ByteOrder.BIG_ENDIAN);
    assertThat(bytes).containsExactly(0, 40, 0, 0, 0, 0, 0x1F, 0x40, 0, 0, 0, 3, 0, 0, 0, 0);
  }

  @Test
  void wildcardsAreAllOnes() {
    byte[] bytes =
        LinuxStructs.sockaddrVm(
            VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY), ByteOrder.LITTLE_ENDIAN);
    assertThat(bytes).containsExactly(40, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0);
  }

  @Test
  void parsingReadsBackWhatEncodingWrote() {
    for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
      VsockAddress address = VsockAddress.of(4_000_000_000L, 65_536);
      assertThat(LinuxStructs.parseSockaddrVm(LinuxStructs.sockaddrVm(address, order), 16, order))
          .isEqualTo(address);
    }
    VsockAddress nativeRoundTrip = VsockAddress.of(2, 9);
    assertThat(LinuxStructs.parseSockaddrVm(LinuxStructs.sockaddrVm(nativeRoundTrip), 16))
        .isEqualTo(nativeRoundTrip);
  }

  @Test
  void parsingRejectsShortOrForeignAddresses() {
    byte[] bytes = LinuxStructs.sockaddrVm(VsockAddress.of(3, 1), ByteOrder.LITTLE_ENDIAN);
    assertThatThrownBy(() -> LinuxStructs.parseSockaddrVm(bytes, 12, ByteOrder.LITTLE_ENDIAN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16 bytes");
    bytes[0] = 2; // AF_INET
    assertThatThrownBy(() -> LinuxStructs.parseSockaddrVm(bytes, 16, ByteOrder.LITTLE_ENDIAN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("family 2");
  }

  @Test
  void timevalHoldsSecondsAndMicroseconds() {
    assertThat(LinuxStructs.timeval(Duration.ofMillis(2500), 8, ByteOrder.LITTLE_ENDIAN))
        .containsExactly(
            2, 0, 0, 0, 0, 0, 0, 0, 0x20, (byte) 0xA1, 0x07, 0, 0, 0, 0, 0); // 500000 us
    assertThat(LinuxStructs.timeval(Duration.ofSeconds(1), 4, ByteOrder.BIG_ENDIAN))
        .containsExactly(0, 0, 0, 1, 0, 0, 0, 0);
    assertThatThrownBy(() -> LinuxStructs.timeval(Duration.ZERO, 2, ByteOrder.BIG_ENDIAN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void pollfdIsEightBytesWithReventsLast() {
    byte[] pollfd = LinuxStructs.pollfd(5, (short) 1, ByteOrder.LITTLE_ENDIAN);
    assertThat(pollfd).containsExactly(5, 0, 0, 0, 1, 0, 0, 0);
    pollfd[6] = 1;
    assertThat(LinuxStructs.revents(pollfd, ByteOrder.LITTLE_ENDIAN)).isEqualTo((short) 1);
  }
}
