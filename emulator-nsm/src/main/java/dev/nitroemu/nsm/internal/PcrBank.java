package dev.nitroemu.nsm.internal;

import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.PcrDescription;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The 32 SHA-384 platform configuration registers of an NSM with their lock bits; every method is
 * atomic (one monitor guards the whole bank).
 */
public final class PcrBank {
  /** Size of one register in bytes. */
  public static final int PCR_LENGTH = 48;

  /** PCRs {@code [0, BOOT_LOCKED)} are locked at boot. */
  public static final int BOOT_LOCKED = 16;

  private final byte[][] values = new byte[Nsm.MAX_PCRS][];
  private final boolean[] locked = new boolean[Nsm.MAX_PCRS];
  private final MessageDigest sha384;

  /**
   * Creates a bank in its boot state: the given values in PCRs 0..15 (missing ones zero), all other
   * registers zero, PCRs 0..15 locked.
   */
  public PcrBank(Map<Integer, byte[]> bootValues) {
    for (int i = 0; i < Nsm.MAX_PCRS; i++) {
      values[i] = new byte[PCR_LENGTH];
    }
    Objects.requireNonNull(bootValues, "bootValues")
        .forEach(
            (index, value) -> {
              if (index < 0 || index >= BOOT_LOCKED) {
                throw new IllegalArgumentException("boot PCR index must be 0..15, got " + index);
              }
              if (value.length != PCR_LENGTH) {
                throw new IllegalArgumentException(
                    "PCR" + index + " must be 48 bytes, got " + value.length);
              }
              values[index] = value.clone();
            });
    for (int i = 0; i < BOOT_LOCKED; i++) {
      locked[i] = true;
    }
    try {
      sha384 = MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is unavailable", e);
    }
  }

  /** Reads one register; {@link ErrorCode#INVALID_INDEX} outside 0..31. */
  public synchronized PcrDescription describe(int index) {
    checkIndex(index);
    return new PcrDescription(locked[index], values[index]);
  }

  /**
   * {@code PCR := SHA384(PCR || data)}, returning the new value; {@link ErrorCode#READ_ONLY_INDEX}
   * when locked.
   */
  public synchronized byte[] extend(int index, byte[] data) {
    checkIndex(index);
    if (locked[index]) {
      throw new NsmException(ErrorCode.READ_ONLY_INDEX, "PCR" + index + " is locked");
    }
    sha384.reset();
    sha384.update(values[index]);
    sha384.update(data);
    values[index] = sha384.digest();
    return values[index].clone();
  }

  /** Locks one register; {@link ErrorCode#READ_ONLY_INDEX} when it is already locked. */
  public synchronized void lock(int index) {
    checkIndex(index);
    if (locked[index]) {
      throw new NsmException(ErrorCode.READ_ONLY_INDEX, "PCR" + index + " is already locked");
    }
    locked[index] = true;
  }

  /**
   * Locks registers {@code [0, range)}; already locked ones are fine; {@link
   * ErrorCode#INVALID_INDEX} over 32.
   */
  public synchronized void lockRange(int range) {
    if (range < 0 || range > Nsm.MAX_PCRS) {
      throw new NsmException(ErrorCode.INVALID_INDEX, "range must be 0..32, got " + range);
    }
    for (int i = 0; i < range; i++) {
      locked[i] = true;
    }
  }

  /** Indices of the locked registers, ascending. */
  public synchronized SortedSet<Integer> lockedIndices() {
    TreeSet<Integer> set = new TreeSet<>();
    for (int i = 0; i < Nsm.MAX_PCRS; i++) {
      if (locked[i]) {
        set.add(i);
      }
    }
    return Collections.unmodifiableSortedSet(set);
  }

  /**
   * A consistent copy of every locked register by index, ascending: what a document's {@code pcrs}
   * holds.
   */
  public synchronized SortedMap<Integer, byte[]> lockedValues() {
    TreeMap<Integer, byte[]> map = new TreeMap<>();
    for (int i = 0; i < Nsm.MAX_PCRS; i++) {
      if (locked[i]) {
        map.put(i, values[i].clone());
      }
    }
    return map;
  }

  private static void checkIndex(int index) {
    if (index < 0 || index >= Nsm.MAX_PCRS) {
      throw new NsmException(ErrorCode.INVALID_INDEX, "PCR index must be 0..31, got " + index);
    }
  }
}
