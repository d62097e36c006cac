package dev.nitroemu.enclave.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;

/**
 * The libc socket calls the AF_VSOCK transport makes, each returning {@code -errno} on failure, so
 * the transport's error handling can be tested against a simulated kernel.
 *
 * <p>Address arguments are {@code struct sockaddr_vm} bytes ({@link LinuxStructs}); output address
 * buffers must be {@link LinuxStructs#SOCKADDR_VM_SIZE} bytes long.
 */
public interface VsockSyscalls {

  // Linux values (asm-generic, as on x86_64 and aarch64).
  int SOCK_STREAM = 1;
  int SOCK_CLOEXEC = 0x80000;
  int SOL_SOCKET = 1;
  int SO_RCVTIMEO = 20;

  /** {@code SO_VM_SOCKETS_CONNECT_TIMEOUT} (the "old" timeval variant, right for 64-bit time_t). */
  int SO_VM_SOCKETS_CONNECT_TIMEOUT = 6;

  int MSG_NOSIGNAL = 0x4000;
  int SHUT_RD = 0;
  int SHUT_WR = 1;
  int SHUT_RDWR = 2;
  short POLLIN = 1;

  // errno values used by the transport.
  int EINTR = 4;
  int EAGAIN = 11;
  int ENODEV = 19;
  int EINVAL = 22;
  int EPIPE = 32;
  int EAFNOSUPPORT = 97;
  int EADDRINUSE = 98;
  int EADDRNOTAVAIL = 99;
  int ENETUNREACH = 101;
  int ECONNRESET = 104;
  int ETIMEDOUT = 110;
  int ECONNREFUSED = 111;
  int EHOSTUNREACH = 113;

  /** {@code socket(domain, type, protocol)}: a descriptor or {@code -errno}. */
  int socket(int domain, int type, int protocol);

  /** {@code bind(fd, addr, len)}: 0 or {@code -errno}. */
  int bind(int fd, byte[] address);

  /** {@code listen(fd, backlog)}: 0 or {@code -errno}. */
  int listen(int fd, int backlog);

  /**
   * {@code accept4(fd, addr, &len, SOCK_CLOEXEC)}, filling {@code addressOut}: a descriptor or
   * {@code -errno}.
   */
  int accept(int fd, byte[] addressOut);

  /** {@code connect(fd, addr, len)}: 0 or {@code -errno}. */
  int connect(int fd, byte[] address);

  /** {@code getsockname(fd, addr, &len)}, filling {@code addressOut}: 0 or {@code -errno}. */
  int getsockname(int fd, byte[] addressOut);

  /** {@code getpeername(fd, addr, &len)}, filling {@code addressOut}: 0 or {@code -errno}. */
  int getpeername(int fd, byte[] addressOut);

  /** {@code setsockopt(fd, level, name, value, len)}: 0 or {@code -errno}. */
  int setsockopt(int fd, int level, int name, byte[] value);

  /** {@code recv(fd, buf, len, 0)}: bytes read (0 at end of stream) or {@code -errno}. */
  int recv(int fd, byte[] buffer, int length);

  /** {@code send(fd, buf, len, MSG_NOSIGNAL)}: bytes written or {@code -errno}. */
  int send(int fd, byte[] buffer, int length);

  /** {@code shutdown(fd, how)}: 0 or {@code -errno}. */
  int shutdown(int fd, int how);

  /**
   * {@code poll(fds, 1, timeout)} on one {@code struct pollfd}: ready count, 0 on timeout, or
   * {@code -errno}.
   */
  int poll(byte[] pollfd, int timeoutMillis);

  /** {@code close(fd)}: 0 or {@code -errno}. */
  int close(int fd);

  /** The real calls through JNA; loads libc on first use. */
  static VsockSyscalls libc() {
    return Libc.INSTANCE;
  }

  /** JNA binding of the libc socket calls. */
  final class Libc implements VsockSyscalls {
    static final Libc INSTANCE = new Libc();

    /** The C functions; JNA copies byte and int arrays in before and out after each call. */
    private interface CLibrary extends Library {
      int socket(int domain, int type, int protocol);

      int bind(int fd, byte[] address, int length);

      int listen(int fd, int backlog);

      int accept4(int fd, byte[] address, int[] length, int flags);

      int connect(int fd, byte[] address, int length);

      int getsockname(int fd, byte[] address, int[] length);

      int getpeername(int fd, byte[] address, int[] length);

      int setsockopt(int fd, int level, int name, byte[] value, int length);

      NativeLong recv(int fd, byte[] buffer, NativeLong length, int flags);

      NativeLong send(int fd, byte[] buffer, NativeLong length, int flags);

      int shutdown(int fd, int how);

      int poll(byte[] fds, NativeLong count, int timeout);

      int close(int fd);
    }

    /** Loads libc lazily so merely referencing this class works on every platform. */
    private static final class Holder {
      static final CLibrary C = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
    }

    private Libc() {}

    @Override
    public int socket(int domain, int type, int protocol) {
      return result(Holder.C.socket(domain, type, protocol));
    }

    @Override
    public int bind(int fd, byte[] address) {
      return result(Holder.C.bind(fd, address, address.length));
    }

    @Override
    public int listen(int fd, int backlog) {
      return result(Holder.C.listen(fd, backlog));
    }

    @Override
    public int accept(int fd, byte[] addressOut) {
      return result(Holder.C.accept4(fd, addressOut, new int[] {addressOut.length}, SOCK_CLOEXEC));
    }

    @Override
    public int connect(int fd, byte[] address) {
      return result(Holder.C.connect(fd, address, address.length));
    }

    @Override
    public int getsockname(int fd, byte[] addressOut) {
      return result(Holder.C.getsockname(fd, addressOut, new int[] {addressOut.length}));
    }

    @Override
    public int getpeername(int fd, byte[] addressOut) {
      return result(Holder.C.getpeername(fd, addressOut, new int[] {addressOut.length}));
    }

    @Override
    public int setsockopt(int fd, int level, int name, byte[] value) {
      return result(Holder.C.setsockopt(fd, level, name, value, value.length));
    }

    @Override
    public int recv(int fd, byte[] buffer, int length) {
      return result((int) Holder.C.recv(fd, buffer, new NativeLong(length), 0).longValue());
    }

    @Override
    public int send(int fd, byte[] buffer, int length) {
      return result(
          (int) Holder.C.send(fd, buffer, new NativeLong(length), MSG_NOSIGNAL).longValue());
    }

    @Override
    public int shutdown(int fd, int how) {
      return result(Holder.C.shutdown(fd, how));
    }

    @Override
    public int poll(byte[] pollfd, int timeoutMillis) {
      return result(Holder.C.poll(pollfd, new NativeLong(1), timeoutMillis));
    }

    @Override
    public int close(int fd) {
      return result(Holder.C.close(fd));
    }

    /**
     * JNA preserves errno per thread right after each call, so it is read before anything else
     * runs.
     */
    private static int result(int returned) {
      if (returned != -1) {
        return returned;
      }
      int errno = Native.getLastError();
      return errno > 0 ? -errno : -1;
    }
  }
}
