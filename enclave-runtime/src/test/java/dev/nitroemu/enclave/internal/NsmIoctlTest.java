package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NsmIoctlTest {

  @Test
  void rawIoctlNumberIsIowrOfMagic0A() {
    // aws-nsm-interface: "Should always result in 3223325184".
    assertThat(NsmIoctl.NSM_IOCTL_RAW).isEqualTo(0xC0200A00L).isEqualTo(3223325184L);
    assertThat(NsmIoctl.iowr(0x0A, 0, 32)).isEqualTo(NsmIoctl.NSM_IOCTL_RAW);
  }

  @Test
  void iocPlacesEachFieldInItsLinuxBits() {
    assertThat(NsmIoctl.ioc(0, 0, 0, 0)).isZero();
    assertThat(NsmIoctl.ioc(0, 0, 0x7F, 0)).isEqualTo(0x7FL);
    assertThat(NsmIoctl.ioc(0, 0xAB, 0, 0)).isEqualTo(0xAB00L);
    assertThat(NsmIoctl.ioc(0, 0, 0, 0x3FFF)).isEqualTo(0x3FFF_0000L);
    assertThat(NsmIoctl.ioc(1, 0, 0, 0)).isEqualTo(0x4000_0000L);
    assertThat(NsmIoctl.ioc(2, 0, 0, 0)).isEqualTo(0x8000_0000L);
    // Published Linux numbers: VIDIOC_QUERYCAP = _IOR('V', 0, 104 bytes), TUNSETIFF = _IOW('T',
    // 202, int).
    assertThat(NsmIoctl.ioc(2, 'V', 0, 104)).isEqualTo(0x80685600L);
    assertThat(NsmIoctl.ioc(1, 'T', 202, 4)).isEqualTo(0x400454caL);
  }

  @Test
  void iocRejectsFieldsThatDoNotFit() {
    assertThatThrownBy(() -> NsmIoctl.ioc(0, 0x100, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NsmIoctl.ioc(0, 0, 0x100, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NsmIoctl.ioc(0, 0, 0, 0x4000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NsmIoctl.ioc(4, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void structIsFourU64FieldsOf32Bytes() {
    assertThat(NsmIoctl.RAW_STRUCT_SIZE).isEqualTo(4 * Long.BYTES);
    assertThat(
            new int[] {
              NsmIoctl.REQUEST_ADDR_OFFSET, NsmIoctl.REQUEST_LEN_OFFSET,
              NsmIoctl.RESPONSE_ADDR_OFFSET, NsmIoctl.RESPONSE_LEN_OFFSET
            })
        .containsExactly(0, 8, 16, 24);
  }

  @Test
  void emsgsizeMapsToInputTooLarge() {
    NsmException e = NsmIoctl.errnoException(NsmIoctl.EMSGSIZE, "ioctl");

    assertThat(e.code()).isEqualTo(ErrorCode.INPUT_TOO_LARGE);
    assertThat(e).hasMessageContaining("EMSGSIZE (errno 90)");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4, 9, 13, 14, 19, 22, 25, 110, 12345})
  void everyOtherErrnoMapsToInternalError(int errno) {
    NsmException e = NsmIoctl.errnoException(errno, "ioctl NSM_IOCTL_RAW");

    assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
    assertThat(e)
        .hasMessageContaining("ioctl NSM_IOCTL_RAW failed")
        .hasMessageContaining("errno " + errno);
  }

  @Test
  void errnoNamesAreReadable() {
    assertThat(NsmIoctl.errnoName(NsmIoctl.ENOTTY)).isEqualTo("ENOTTY (errno 25)");
    assertThat(NsmIoctl.errnoName(NsmIoctl.ETIMEDOUT)).isEqualTo("ETIMEDOUT (errno 110)");
    assertThat(NsmIoctl.errnoName(7)).isEqualTo("errno 7");
  }
}
