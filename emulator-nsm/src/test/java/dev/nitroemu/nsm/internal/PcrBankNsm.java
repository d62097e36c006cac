package dev.nitroemu.nsm.internal;

import dev.nitroemu.enclave.Digest;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.PcrDescription;
import dev.nitroemu.enclave.internal.CborWriter;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Supplier;

/** A small but real NSM: 32 SHA-384 PCRs, 0..15 locked at boot, and scriptable failures. */
public final class PcrBankNsm implements Nsm {
  private final byte[][] pcrs = new byte[MAX_PCRS][48];
  private final boolean[] locked = new boolean[MAX_PCRS];
  private final Random random = new Random(1);

  /** When set, every call throws what this supplies. */
  public Supplier<RuntimeException> failWith;

  /** When set, attestation returns exactly these bytes. */
  public byte[] document;

  /** Number of typed calls received. */
  public int calls;

  public PcrBankNsm() {
    Arrays.fill(locked, 0, 16, true);
  }

  private void enter(int index) {
    calls++;
    if (failWith != null) {
      throw failWith.get();
    }
    if (index < 0 || index >= MAX_PCRS) {
      throw new NsmException(ErrorCode.INVALID_INDEX, "index " + index);
    }
  }

  @Override
  public PcrDescription describePcr(int index) {
    enter(index);
    return new PcrDescription(locked[index], pcrs[index]);
  }

  @Override
  public byte[] extendPcr(int index, byte[] data) {
    enter(index);
    if (locked[index]) {
      throw new NsmException(ErrorCode.READ_ONLY_INDEX, "locked");
    }
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-384");
      sha.update(pcrs[index]);
      pcrs[index] = sha.digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return pcrs[index].clone();
  }

  @Override
  public void lockPcr(int index) {
    enter(index);
    if (locked[index]) {
      throw new NsmException(ErrorCode.READ_ONLY_INDEX, "locked");
    }
    locked[index] = true;
  }

  @Override
  public void lockPcrs(int range) {
    enter(0);
    if (range > MAX_PCRS) {
      throw new NsmException(ErrorCode.INVALID_INDEX, "range " + range);
    }
    Arrays.fill(locked, 0, range, true);
  }

  @Override
  public NsmDescription describeNsm() {
    enter(0);
    TreeSet<Integer> set = new TreeSet<>();
    for (int i = 0; i < MAX_PCRS; i++) {
      if (locked[i]) {
        set.add(i);
      }
    }
    return new NsmDescription(
        1, 0, 0, "i-0123456789abcdef0-enc0123456789abcdef", MAX_PCRS, set, Digest.SHA384);
  }

  @Override
  public byte[] attestation(byte[] userData, byte[] nonce, byte[] publicKey) {
    enter(0);
    if (document != null) {
      return document;
    }
    List<byte[]> parts = new ArrayList<>();
    for (byte[] part : new byte[][] {userData, nonce, publicKey}) {
      if (part != null) {
        parts.add(part);
      }
    }
    CborWriter w = new CborWriter();
    parts.forEach(p -> w.raw(p));
    return w.toByteArray();
  }

  @Override
  public byte[] getRandom() {
    enter(0);
    byte[] bytes = new byte[256];
    random.nextBytes(bytes);
    return bytes;
  }
}
