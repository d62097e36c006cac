package dev.nitroemu.nsm.internal;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Instant;

/**
 * Enclave ids, module ids and leaf serial numbers in the layout real Nitro hardware uses.
 *
 * <p>An enclave id is a 48-bit millisecond launch time followed by 16 random bits; the module id is
 * {@code <instance id>-enc<enclave id as 16 zero-padded hex digits>}, e.g. {@code
 * i-0a22e5c5f24d22174-enc0191cceb4289903f}.
 */
public final class ModuleIds {
  private static final long MASK_48 = 0xFFFF_FFFF_FFFFL;

  private ModuleIds() {}

  /** A new enclave id for an enclave launched at {@code launchMillis}. */
  public static long enclaveId(long launchMillis, SecureRandom random) {
    return ((launchMillis & MASK_48) << 16) | (random.nextInt() & 0xFFFF);
  }

  /** The launch time encoded in an enclave id. */
  public static Instant launchTime(long enclaveId) {
    return Instant.ofEpochMilli(enclaveId >>> 16);
  }

  /** The module id of an enclave on a parent instance. */
  public static String moduleId(String instanceId, long enclaveId) {
    return instanceId + "-enc" + String.format("%016x", enclaveId);
  }

  /**
   * The 16-byte serial of a leaf certificate: enclave id (8 bytes), four zero bytes, then the
   * creation time in Unix seconds (u32 big-endian).
   */
  public static byte[] leafSerial(long enclaveId, Instant created) {
    return ByteBuffer.allocate(16)
        .putLong(enclaveId)
        .putInt(0)
        .putInt((int) created.getEpochSecond())
        .array();
  }
}
