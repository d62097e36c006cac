package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * Byte layouts of the Linux structs the AF_VSOCK transport passes to the kernel, in native byte
 * order by default.
 *
 * <pre>
 * struct sockaddr_vm {            // 16 bytes, linux/vm_sockets.h
 *   u16 svm_family;               // offset 0: AF_VSOCK = 40
 *   u16 svm_reserved1;            // offset 2: 0
 *   u32 svm_port;                 // offset 4
 *   u32 svm_cid;                  // offset 8
 *   u8  svm_flags, svm_zero[3];   // offset 12: 0 (older headers: u8 svm_zero[4])
 * };
 * struct timeval { long tv_sec; long tv_usec; };   // 16 bytes on 64-bit
 * struct pollfd  { int fd; short events; short revents; };   // 8 bytes
 * </pre>
 */
public final class LinuxStructs {

  /** {@code AF_VSOCK} on Linux. */
  public static final int AF_VSOCK = 40;

  /** {@code sizeof(struct sockaddr_vm)}. */
  public static final int SOCKADDR_VM_SIZE = 16;

  /** {@code sizeof(struct pollfd)}. */
  public static final int POLLFD_SIZE = 8;

  private LinuxStructs() {}

  /** {@code struct sockaddr_vm} for an address, in native byte order. */
  public static byte[] sockaddrVm(VsockAddress address) {
    return sockaddrVm(address, ByteOrder.nativeOrder());
  }

  /** {@code struct sockaddr_vm} for an address, in the given byte order. */
  public static byte[] sockaddrVm(VsockAddress address, ByteOrder order) {
    ByteBuffer buffer = ByteBuffer.allocate(SOCKADDR_VM_SIZE).order(order);
    buffer.putShort((short) AF_VSOCK);
    buffer.putShort((short) 0);
    buffer.putInt((int) address.port()); // the low 32 bits: svm_port and svm_cid are unsigned int
    buffer.putInt((int) address.cid());
    // svm_flags and svm_zero stay 0: the kernel rejects a sockaddr_vm with non-zero padding.
    return buffer.array();
  }

  /** Reads a {@code struct sockaddr_vm} the kernel filled in, in native byte order. */
  public static VsockAddress parseSockaddrVm(byte[] bytes, int length) {
    return parseSockaddrVm(bytes, length, ByteOrder.nativeOrder());
  }

  /**
   * Reads a {@code struct sockaddr_vm}.
   *
   * @param length how many bytes the kernel reported ({@code socklen_t})
   * @throws IllegalArgumentException if it is too short or not an AF_VSOCK address
   */
  public static VsockAddress parseSockaddrVm(byte[] bytes, int length, ByteOrder order) {
    if (length < SOCKADDR_VM_SIZE || bytes.length < SOCKADDR_VM_SIZE) {
      throw new IllegalArgumentException(
          "sockaddr_vm needs "
              + SOCKADDR_VM_SIZE
              + " bytes, got "
              + Math.min(length, bytes.length));
    }
    ByteBuffer buffer = ByteBuffer.wrap(bytes, 0, SOCKADDR_VM_SIZE).order(order);
    int family = Short.toUnsignedInt(buffer.getShort());
    if (family != AF_VSOCK) {
      throw new IllegalArgumentException("not an AF_VSOCK address: family " + family);
    }
    buffer.getShort();
    long port = Integer.toUnsignedLong(buffer.getInt());
    long cid = Integer.toUnsignedLong(buffer.getInt());
    return VsockAddress.of(cid, port);
  }

  /**
   * {@code struct timeval} for a duration, with {@code long} of {@code longSize} bytes (4 or 8).
   */
  public static byte[] timeval(Duration duration, int longSize, ByteOrder order) {
    long seconds = duration.getSeconds();
    long micros = duration.getNano() / 1_000L;
    ByteBuffer buffer = ByteBuffer.allocate(2 * longSize).order(order);
    if (longSize == 8) {
      buffer.putLong(seconds).putLong(micros);
    } else if (longSize == 4) {
      buffer.putInt((int) Math.min(Integer.MAX_VALUE, seconds)).putInt((int) micros);
    } else {
      throw new IllegalArgumentException("long must be 4 or 8 bytes, was " + longSize);
    }
    return buffer.array();
  }

  /** {@code struct pollfd} asking for {@code events} on {@code fd}. */
  public static byte[] pollfd(int fd, short events, ByteOrder order) {
    return ByteBuffer.allocate(POLLFD_SIZE)
        .order(order)
        .putInt(fd)
        .putShort(events)
        .putShort((short) 0)
        .array();
  }

  /** The {@code revents} the kernel wrote into a {@code struct pollfd}. */
  public static short revents(byte[] pollfd, ByteOrder order) {
    return ByteBuffer.wrap(pollfd).order(order).getShort(6);
  }
}
