package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nitroemu.enclave.internal.LinuxStructs;
import dev.nitroemu.enclave.internal.VsockSyscalls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class AfVsockTransportTest {

  /** A simulated kernel: each call returns the configured result and is recorded. */
  static final class FakeKernel implements VsockSyscalls {
    int socketResult = 7;
    int connectResult;
    int bindResult;
    VsockAddress boundAddress = VsockAddress.of(16, 1234);
    final List<String> calls = new ArrayList<>();

    @Override
    public int socket(int domain, int type, int protocol) {
      calls.add("socket(" + domain + ")");
      return socketResult;
    }

    @Override
    public int bind(int fd, byte[] address) {
      calls.add("bind " + LinuxStructs.parseSockaddrVm(address, address.length));
      return bindResult;
    }

    @Override
    public int listen(int fd, int backlog) {
      calls.add("listen");
      return 0;
    }

    @Override
    public int accept(int fd, byte[] addressOut) {
      return -EAGAIN;
    }

    @Override
    public int connect(int fd, byte[] address) {
      calls.add("connect " + LinuxStructs.parseSockaddrVm(address, address.length));
      return connectResult;
    }

    @Override
    public int getsockname(int fd, byte[] addressOut) {
      byte[] bytes = LinuxStructs.sockaddrVm(boundAddress);
      System.arraycopy(bytes, 0, addressOut, 0, bytes.length);
      return 0;
    }

    @Override
    public int getpeername(int fd, byte[] addressOut) {
      return getsockname(fd, addressOut);
    }

    @Override
    public int setsockopt(int fd, int level, int name, byte[] value) {
      calls.add("setsockopt " + level + "/" + name + " " + value.length + "B");
      return 0;
    }

    @Override
    public int recv(int fd, byte[] buffer, int length) {
      return 0;
    }

    @Override
    public int send(int fd, byte[] buffer, int length) {
      return length;
    }

    @Override
    public int shutdown(int fd, int how) {
      calls.add("shutdown " + how);
      return 0;
    }

    @Override
    public int poll(byte[] pollfd, int timeoutMillis) {
      return 0;
    }

    @Override
    public int close(int fd) {
      calls.add("close " + fd);
      return 0;
    }
  }

  private static AfVsockTransport onLinux(FakeKernel kernel) throws VsockUnavailableException {
    return AfVsockTransport.open("Linux", path -> true, () -> kernel);
  }

  @Test
  void otherOperatingSystemsGetAClearError() {
    assertThatThrownBy(() -> AfVsockTransport.open("Mac OS X", path -> true, FakeKernel::new))
        .isInstanceOf(VsockUnavailableException.class)
        .hasMessageContaining("need Linux")
        .hasMessageContaining("Mac OS X")
        .hasMessageContaining("nitro.mode=emulated");
  }

  @Test
  void linuxWithoutDevVsockGetsAClearError() {
    assertThatThrownBy(() -> AfVsockTransport.open("Linux", path -> false, FakeKernel::new))
        .isInstanceOf(VsockUnavailableException.class)
        .hasMessageContaining("/dev/vsock does not exist");
  }

  @Test
  void kernelWithoutAfVsockIsUnavailableAtOpen() {
    FakeKernel kernel = new FakeKernel();
    kernel.socketResult = -VsockSyscalls.EAFNOSUPPORT;
    assertThatThrownBy(() -> onLinux(kernel))
        .isInstanceOf(VsockUnavailableException.class)
        .hasMessageContaining("not supported");
  }

  @Test
  void openProbesWithOneSocketAndClosesIt() throws Exception {
    FakeKernel kernel = new FakeKernel();
    onLinux(kernel);
    assertThat(kernel.calls).containsExactly("socket(40)", "shutdown 2", "close 7");
  }

  @Test
  void connectPassesTheAddressAndTimeoutToTheKernel() throws Exception {
    FakeKernel kernel = new FakeKernel();
    AfVsockTransport transport = onLinux(kernel);
    kernel.calls.clear();
    try (VsockConnection connection =
        transport.connect(VsockAddress.of(3, 8000), java.time.Duration.ofSeconds(2))) {
      assertThat(connection.remoteAddress()).isEqualTo(VsockAddress.of(3, 8000));
      assertThat(connection.localAddress()).isEqualTo(VsockAddress.of(16, 1234));
    }
    assertThat(kernel.calls)
        .containsSubsequence(
            "socket(40)",
            "setsockopt 40/"
                + VsockSyscalls.SO_VM_SOCKETS_CONNECT_TIMEOUT
                + " "
                + (2 * com.sun.jna.Native.LONG_SIZE)
                + "B",
            "connect vsock://3:8000",
            "close 7");
  }

  @Test
  void connectErrnosBecomeJavaNetExceptions() throws Exception {
    FakeKernel kernel = new FakeKernel();
    AfVsockTransport transport = onLinux(kernel);
    kernel.connectResult = -VsockSyscalls.ECONNREFUSED;
    assertThatThrownBy(() -> transport.connect(VsockAddress.of(3, 8000)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("vsock://3:8000");
    kernel.connectResult = -VsockSyscalls.ETIMEDOUT;
    assertThatThrownBy(() -> transport.connect(VsockAddress.of(3, 8000)))
        .isInstanceOf(SocketTimeoutException.class);
    kernel.connectResult = -VsockSyscalls.ENODEV;
    assertThatThrownBy(() -> transport.connect(VsockAddress.of(3, 8000)))
        .isInstanceOf(java.net.NoRouteToHostException.class);
    assertThat(kernel.calls.stream().filter(c -> c.startsWith("close")).count())
        .as("every failed socket is closed")
        .isEqualTo(4);
  }

  @Test
  void bindErrnoBecomesBindException() throws Exception {
    FakeKernel kernel = new FakeKernel();
    AfVsockTransport transport = onLinux(kernel);
    kernel.bindResult = -VsockSyscalls.EADDRINUSE;
    assertThatThrownBy(() -> transport.listen(VsockAddress.of(3, 8000)))
        .isInstanceOf(BindException.class)
        .hasMessageContaining("Address already in use");
  }

  @Test
  void readOnAClosedConnectionReportsSocketClosed() throws Exception {
    FakeKernel kernel = new FakeKernel();
    VsockConnection connection = onLinux(kernel).connect(VsockAddress.of(3, 8000));
    connection.close();
    assertThatThrownBy(() -> connection.inputStream().read())
        .isInstanceOf(SocketException.class)
        .hasMessage("Socket closed");
    assertThat(connection.isClosed()).isTrue();
  }

  /**
   * Runs only where AF_VSOCK exists; binds (never connects), so it touches nothing outside this
   * machine.
   */
  @Test
  void realListenerBindsAndCloseWakesAccept() throws Exception {
    assumeTrue(AfVsockTransport.isAvailable(), "AF_VSOCK not available here");
    AfVsockTransport transport = AfVsockTransport.open();
    VsockListener listener =
        transport.listen(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY));
    assertThat(listener.localAddress().isAnyCid()).isTrue();
    assertThat(listener.localAddress().isAnyPort()).isFalse();
    CompletableFuture<VsockConnection> accept =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return listener.accept();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            });
    listener.close();
    assertThatThrownBy(() -> accept.get(10, TimeUnit.SECONDS))
        .hasRootCauseInstanceOf(SocketException.class);
    assertThat(listener.isClosed()).isTrue();
  }

  @Test
  void forModeRealFailsClearlyWhereThereIsNoVsock() throws Exception {
    assumeTrue(!AfVsockTransport.isAvailable(), "AF_VSOCK is available here");
    assertThatThrownBy(() -> VsockTransport.forMode(NitroMode.REAL))
        .isInstanceOf(VsockUnavailableException.class);
  }
}
