package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.VsockAddress;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

class AfVsockSocketErrorTest {
  private static final VsockAddress PARENT = VsockAddress.of(3, 5005);

  @Test
  void resetDuringConnectIsAConnectException() {
    assertThat(AfVsockSocket.error("connect", VsockSyscalls.ECONNRESET, PARENT))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("vsock://3:5005");
  }

  @Test
  void resetOnAnEstablishedConnectionStaysASocketException() {
    assertThat(AfVsockSocket.error("recv", VsockSyscalls.ECONNRESET, PARENT))
        .isExactlyInstanceOf(SocketException.class)
        .hasMessageStartingWith("Connection reset");
  }

  @Test
  void errnosMapToTheJavaNetTypesCallersExpect() {
    assertThat(AfVsockSocket.error("connect", VsockSyscalls.ECONNREFUSED, PARENT))
        .isInstanceOf(ConnectException.class);
    assertThat(AfVsockSocket.error("connect", VsockSyscalls.ETIMEDOUT, PARENT))
        .isInstanceOf(SocketTimeoutException.class);
    assertThat(AfVsockSocket.error("bind", VsockSyscalls.EADDRINUSE, PARENT))
        .isInstanceOf(BindException.class);
  }
}
