package dev.nitroemu.enclave;

import com.sun.jna.Platform;
import dev.nitroemu.enclave.internal.NsmIoctl;
import dev.nitroemu.enclave.internal.NsmRawMessage;
import dev.nitroemu.enclave.internal.NsmSyscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The real Nitro Security Module, reached through the {@code NSM_IOCTL_RAW} ioctl of {@code
 * /dev/nsm} inside a Nitro Enclave.
 *
 * <p>Each {@link #process(byte[])} copies the request (at most 4096 bytes) into native memory,
 * points a {@code struct nsm_raw} at it and at a 12288-byte response buffer, issues the ioctl and
 * returns the {@code response.len} bytes the driver wrote. The typed calls of {@link WireNsm}
 * encode and decode around it. Calls are serialized (the driver has one global mutex anyway), so
 * one instance can be shared between threads.
 *
 * <p>Failures follow {@link Nsm#process(byte[])}: a request over 4096 bytes gets the module's
 * {@code Error} response ({@link ErrorCode#INPUT_TOO_LARGE}) without any system call, and a
 * malformed one the {@code Error} response the module writes. Only the driver itself failing throws
 * {@link NsmException}: {@code EMSGSIZE} as {@link ErrorCode#INPUT_TOO_LARGE} and every other errno
 * as {@link ErrorCode#INTERNAL_ERROR}, as in {@code aws-nitro-enclaves-nsm-api}. The typed calls of
 * {@link WireNsm} turn an {@code Error} response into an {@link NsmException} too. Outside an
 * enclave (no device node, or not Linux) {@link #open()} throws {@link NsmException} with {@link
 * ErrorCode#INTERNAL_ERROR} and the message {@code "/dev/nsm not found: not running inside a Nitro
 * Enclave"}; call {@link #isAvailable()} first to choose between this and the emulator. Use after
 * {@link #close()} throws {@link IllegalStateException}.
 */
public final class DeviceNsm extends WireNsm {
  /** The device node of the NSM driver. */
  public static final Path DEFAULT_DEVICE = Path.of("/dev/nsm");

  private final Object lock = new Object();
  private final Path device;
  private final NsmSyscalls syscalls;
  private final int fd;
  private final NsmRawMessage message;
  private boolean closed;

  private DeviceNsm(Path device, NsmSyscalls syscalls, int fd, NsmRawMessage message) {
    this.device = device;
    this.syscalls = syscalls;
    this.fd = fd;
    this.message = message;
  }

  /** True when {@code /dev/nsm} exists on Linux, i.e. when this JVM runs inside a Nitro Enclave. */
  public static boolean isAvailable() {
    return isAvailable(DEFAULT_DEVICE);
  }

  /** True when an NSM device node exists at {@code device} on Linux. */
  public static boolean isAvailable(Path device) {
    return Platform.isLinux() && Files.exists(device);
  }

  /**
   * Opens {@code /dev/nsm}.
   *
   * @throws NsmException {@link ErrorCode#INTERNAL_ERROR} if the device is absent or cannot be
   *     opened
   */
  public static DeviceNsm open() {
    return open(DEFAULT_DEVICE);
  }

  /**
   * Opens an NSM device node at another path (a bind mount, say).
   *
   * @throws NsmException {@link ErrorCode#INTERNAL_ERROR} if the device is absent or cannot be
   *     opened
   */
  public static DeviceNsm open(Path device) {
    Objects.requireNonNull(device, "device");
    if (!Platform.isLinux()) {
      throw notFound(device, " (the NSM device exists only on Linux)");
    }
    return open(device, NsmSyscalls.libc());
  }

  static DeviceNsm open(Path device, NsmSyscalls syscalls) {
    if (!Files.exists(device)) {
      throw notFound(device, "");
    }
    int fd;
    try {
      fd = syscalls.open(device.toString());
    } catch (LinkageError e) {
      throw new NsmException(ErrorCode.INTERNAL_ERROR, "cannot load libc to open " + device, e);
    }
    if (fd == -NsmIoctl.ENOENT) {
      throw notFound(device, "");
    }
    if (fd < 0) {
      throw new NsmException(
          ErrorCode.INTERNAL_ERROR, "cannot open " + device + ": " + NsmIoctl.errnoName(-fd));
    }
    try {
      return new DeviceNsm(device, syscalls, fd, new NsmRawMessage());
    } catch (RuntimeException | Error e) {
      syscalls.close(fd);
      throw e;
    }
  }

  private static NsmException notFound(Path device, String detail) {
    return new NsmException(
        ErrorCode.INTERNAL_ERROR,
        device + " not found: not running inside a Nitro Enclave" + detail);
  }

  /** The device node this instance talks to. */
  public Path device() {
    return device;
  }

  /**
   * Sends one raw CBOR request to the device and returns its raw CBOR response; a request over 4096
   * bytes is answered with an encoded {@code Error} response ({@link ErrorCode#INPUT_TOO_LARGE})
   * without reaching the driver, and a malformed one with the module's own {@code Error} response.
   *
   * @throws NsmException only when the driver call fails: {@link ErrorCode#INPUT_TOO_LARGE} on
   *     {@code EMSGSIZE}, {@link ErrorCode#INTERNAL_ERROR} for any other errno or an impossible
   *     response length
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public byte[] process(byte[] request) {
    Objects.requireNonNull(request, "request");
    if (request.length > MAX_REQUEST_SIZE) {
      // The driver would refuse it with EMSGSIZE; answer as the module does, without a syscall.
      return NsmCodec.encodeResponse(new NsmResponse.Error(ErrorCode.INPUT_TOO_LARGE));
    }
    synchronized (lock) {
      ensureOpen();
      try {
        message.prepare(request);
        int result = syscalls.ioctl(fd, NsmIoctl.NSM_IOCTL_RAW, message.pointer());
        if (result < 0) {
          throw NsmIoctl.errnoException(-result, "ioctl NSM_IOCTL_RAW on " + device);
        }
        return message.response();
      } finally {
        message.wipe();
      }
    }
  }

  /**
   * Closes the device and frees the native buffers; later calls are refused, a second close does
   * nothing.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      message.close();
      syscalls.close(fd);
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("DeviceNsm on " + device + " is closed");
    }
  }

  @Override
  public String toString() {
    return "DeviceNsm[" + device + (closed ? ", closed" : "") + "]";
  }
}
