package dev.nitroemu.enclave;

import com.sun.jna.Native;
import dev.nitroemu.enclave.internal.AfVsockConnection;
import dev.nitroemu.enclave.internal.AfVsockListener;
import dev.nitroemu.enclave.internal.AfVsockSocket;
import dev.nitroemu.enclave.internal.LinuxStructs;
import dev.nitroemu.enclave.internal.VsockSyscalls;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The real vsock transport: Linux {@code AF_VSOCK} stream sockets through libc (JNA), for use
 * inside an enclave and on its parent instance.
 *
 * <p>{@link #open()} fails with {@link VsockUnavailableException} on other operating systems and on
 * Linux machines without {@code /dev/vsock}; use {@link VsockNetwork} (nitro.mode=emulated) there.
 * Connect timeouts use {@code SO_VM_SOCKETS_CONNECT_TIMEOUT}; read timeouts {@code SO_RCVTIMEO}.
 */
public final class AfVsockTransport implements VsockTransport {

  private static final int BACKLOG = 128;

  private final VsockSyscalls sys;

  private AfVsockTransport(VsockSyscalls sys) {
    this.sys = sys;
  }

  /**
   * The AF_VSOCK transport of this machine.
   *
   * @throws VsockUnavailableException saying why if this is not Linux, there is no {@code
   *     /dev/vsock}, or the kernel refuses AF_VSOCK sockets
   */
  public static AfVsockTransport open() throws VsockUnavailableException {
    return open(System.getProperty("os.name", ""), Files::exists, VsockSyscalls::libc);
  }

  /** Whether {@link #open()} would succeed here. */
  public static boolean isAvailable() {
    try {
      open();
      return true;
    } catch (VsockUnavailableException e) {
      return false;
    }
  }

  /**
   * The seam {@link #open()} uses: the OS name, a file-existence check and the syscalls to probe
   * with.
   */
  static AfVsockTransport open(String osName, Predicate<Path> exists, SyscallsSupplier syscalls)
      throws VsockUnavailableException {
    if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
      throw new VsockUnavailableException(
          "AF_VSOCK sockets need Linux, but this is "
              + osName
              + "; use the emulated transport (nitro.mode=emulated, VsockNetwork)");
    }
    if (!exists.test(NitroMode.VSOCK_DEVICE)) {
      throw new VsockUnavailableException(
          "AF_VSOCK is not available: "
              + NitroMode.VSOCK_DEVICE
              + " does not exist (no vsock driver); run inside an enclave or a VM with virtio-vsock, "
              + "or use the emulated transport (nitro.mode=emulated, VsockNetwork)");
    }
    VsockSyscalls sys;
    try {
      sys = syscalls.get();
      // Probe once so a kernel without AF_VSOCK support fails here, not at the first connect.
      AfVsockSocket.open(sys).close();
    } catch (IOException e) {
      throw new VsockUnavailableException("AF_VSOCK is not available: " + e.getMessage(), e);
    } catch (LinkageError e) {
      throw new VsockUnavailableException(
          "AF_VSOCK is not available: cannot load libc through JNA", e);
    }
    return new AfVsockTransport(sys);
  }

  @Override
  public VsockConnection connect(VsockAddress address, Duration timeout) throws IOException {
    Objects.requireNonNull(address, "address");
    if (address.isAnyCid() || address.isAnyPort()) {
      throw new IllegalArgumentException("cannot connect to the wildcard address " + address);
    }
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("connect timeout must be >= 0, was " + timeout);
    }
    AfVsockSocket socket = AfVsockSocket.open(sys);
    try {
      int fd = socket.acquire();
      try {
        if (!timeout.isZero()) {
          byte[] timeval = LinuxStructs.timeval(timeout, Native.LONG_SIZE, ByteOrder.nativeOrder());
          check(
              sys.setsockopt(
                  fd, LinuxStructs.AF_VSOCK, VsockSyscalls.SO_VM_SOCKETS_CONNECT_TIMEOUT, timeval),
              "setsockopt(SO_VM_SOCKETS_CONNECT_TIMEOUT)",
              address);
        }
        check(sys.connect(fd, LinuxStructs.sockaddrVm(address)), "connect", address);
      } finally {
        socket.release();
      }
      return new AfVsockConnection(socket, socket.localAddress(), address);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  @Override
  public VsockListener listen(VsockAddress address) throws IOException {
    Objects.requireNonNull(address, "address");
    AfVsockSocket socket = AfVsockSocket.open(sys);
    try {
      int fd = socket.acquire();
      try {
        check(sys.bind(fd, LinuxStructs.sockaddrVm(address)), "bind", address);
        check(sys.listen(fd, BACKLOG), "listen", address);
      } finally {
        socket.release();
      }
      return new AfVsockListener(socket, socket.localAddress());
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  @Override
  public String toString() {
    return "AfVsockTransport";
  }

  private static void check(int rc, String call, VsockAddress address) throws IOException {
    if (rc < 0) {
      throw AfVsockSocket.error(call, -rc, address);
    }
  }

  /** Supplies the syscalls; may fail with a {@link LinkageError} when JNA cannot load libc. */
  @FunctionalInterface
  interface SyscallsSupplier {
    VsockSyscalls get();
  }
}
