package dev.nitroemu.enclave.internal;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The three libc calls that talk to {@code /dev/nsm}, each returning {@code -errno} on failure, so
 * the device client can be tested against a simulated driver.
 */
public interface NsmSyscalls {

  /** Opens a path read-write and close-on-exec; returns the descriptor or {@code -errno}. */
  int open(String path);

  /**
   * Issues {@code ioctl(fd, request, argument)}; returns its non-negative result or {@code -errno}.
   */
  int ioctl(int fd, long request, Pointer argument);

  /** Closes a descriptor; returns 0 or {@code -errno}. */
  int close(int fd);

  /** The real calls through JNA; loads libc on first use. */
  static NsmSyscalls libc() {
    return Libc.INSTANCE;
  }

  /** JNA binding of libc's {@code open}, {@code ioctl} and {@code close}. */
  final class Libc implements NsmSyscalls {
    static final Libc INSTANCE = new Libc();

    // Linux open(2) flags (asm-generic, as on x86_64 and aarch64).
    private static final int O_RDWR = 0x2;
    private static final int O_CLOEXEC = 0x80000;

    /** The C functions; open and ioctl are variadic in C but take fixed integer arguments here. */
    private interface CLibrary extends Library {
      int open(String path, int flags);

      int ioctl(int fd, NativeLong request, Pointer argument);

      int close(int fd);
    }

    /** Loads libc lazily so merely referencing this class works on every platform. */
    private static final class Holder {
      static final CLibrary C = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
    }

    private Libc() {}

    @Override
    public int open(String path) {
      return result(Holder.C.open(path, O_RDWR | O_CLOEXEC));
    }

    @Override
    public int ioctl(int fd, long request, Pointer argument) {
      return result(Holder.C.ioctl(fd, new NativeLong(request, true), argument));
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
