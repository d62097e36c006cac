package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmException;

/**
 * The {@code /dev/nsm} ioctl ABI of Linux {@code include/uapi/linux/nsm.h}: the request number, the
 * layout of {@code struct nsm_raw} and how driver errnos map to NSM error codes.
 *
 * <p>{@code struct nsm_raw} is two {@code struct nsm_iovec {u64 addr; u64 len;}}, request first:
 * four host-order u64 fields at offsets 0, 8, 16 and 24, 32 bytes in all.
 */
public final class NsmIoctl {
  /** {@code NSM_MAGIC}, the ioctl type byte. */
  public static final int NSM_MAGIC = 0x0A;

  /** {@code sizeof(struct nsm_raw)}. */
  public static final int RAW_STRUCT_SIZE = 32;

  /** Offset of {@code request.addr}. */
  public static final int REQUEST_ADDR_OFFSET = 0;

  /** Offset of {@code request.len}. */
  public static final int REQUEST_LEN_OFFSET = 8;

  /** Offset of {@code response.addr}. */
  public static final int RESPONSE_ADDR_OFFSET = 16;

  /** Offset of {@code response.len}; the driver overwrites it with the reply length. */
  public static final int RESPONSE_LEN_OFFSET = 24;

  /** {@code NSM_IOCTL_RAW = _IOWR(NSM_MAGIC, 0, struct nsm_raw)}, i.e. {@code 0xC0200A00}. */
  public static final long NSM_IOCTL_RAW = iowr(NSM_MAGIC, 0, RAW_STRUCT_SIZE);

  /** Linux errno values the driver and {@code open(2)} produce (asm-generic numbering). */
  public static final int ENOENT = 2;

  public static final int EACCES = 13;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int ENOTTY = 25;
  public static final int EMSGSIZE = 90;
  public static final int ETIMEDOUT = 110;

  // Generic Linux _IOC layout (x86_64, aarch64): nr 8 bits, type 8 bits, size 14 bits, dir 2 bits.
  private static final int IOC_NRSHIFT = 0;
  private static final int IOC_TYPESHIFT = 8;
  private static final int IOC_SIZESHIFT = 16;
  private static final int IOC_DIRSHIFT = 30;
  private static final int IOC_WRITE = 1;
  private static final int IOC_READ = 2;

  private NsmIoctl() {}

  /** Linux {@code _IOC(dir, type, nr, size)}. */
  static long ioc(int dir, int type, int nr, int size) {
    if (dir < 0
        || dir > 3
        || type < 0
        || type > 0xFF
        || nr < 0
        || nr > 0xFF
        || size < 0
        || size > 0x3FFF) {
      throw new IllegalArgumentException("ioctl field out of range");
    }
    return ((long) dir << IOC_DIRSHIFT)
        | ((long) size << IOC_SIZESHIFT)
        | ((long) type << IOC_TYPESHIFT)
        | ((long) nr << IOC_NRSHIFT);
  }

  /** Linux {@code _IOWR(type, nr, size)}: a read-write ioctl number. */
  public static long iowr(int type, int nr, int size) {
    return ioc(IOC_READ | IOC_WRITE, type, nr, size);
  }

  /**
   * The error {@code aws-nitro-enclaves-nsm-api} reports for a failed ioctl: {@code EMSGSIZE} is
   * {@link ErrorCode#INPUT_TOO_LARGE}, every other errno {@link ErrorCode#INTERNAL_ERROR}.
   */
  public static NsmException errnoException(int errno, String operation) {
    ErrorCode code = errno == EMSGSIZE ? ErrorCode.INPUT_TOO_LARGE : ErrorCode.INTERNAL_ERROR;
    return new NsmException(code, operation + " failed: " + errnoName(errno));
  }

  /** A readable name for an errno, e.g. {@code "ENOTTY (errno 25)"}. */
  public static String errnoName(int errno) {
    String name;
    switch (errno) {
      case ENOENT:
        name = "ENOENT";
        break;
      case EACCES:
        name = "EACCES";
        break;
      case ENODEV:
        name = "ENODEV";
        break;
      case EINVAL:
        name = "EINVAL";
        break;
      case ENOTTY:
        name = "ENOTTY";
        break;
      case EMSGSIZE:
        name = "EMSGSIZE";
        break;
      case ETIMEDOUT:
        name = "ETIMEDOUT";
        break;
      default:
        return "errno " + errno;
    }
    return name + " (errno " + errno + ")";
  }
}
