package dev.nitroemu.container.internal;

import dev.nitroemu.enclave.VsockAddress;
import java.util.BitSet;

/** Hands out enclave CIDs from 16 up, unique among the enclaves running in this JVM. */
public final class CidAllocator {

  /** The first CID handed out, as nitro-cli's first enclave gets. */
  public static final long FIRST_CID = 16;

  /** The largest enclave CID: every CID below {@link VsockAddress#CID_ANY}. */
  public static final long LAST_CID = VsockAddress.CID_ANY - 1;

  private static final int MAX_ENCLAVES = 1 << 16;
  private static final BitSet USED = new BitSet();

  private CidAllocator() {}

  /**
   * Checks that {@code cid} can be an enclave's CID.
   *
   * @throws IllegalArgumentException if it is outside {@code 16..4294967294}
   */
  public static void check(long cid) {
    if (cid < FIRST_CID || cid > LAST_CID) {
      throw new IllegalArgumentException(
          "an enclave CID must be in " + FIRST_CID + ".." + LAST_CID + ", was " + cid);
    }
  }

  /** The lowest free CID. */
  public static synchronized long allocate() {
    int index = USED.nextClearBit(0);
    if (index >= MAX_ENCLAVES) {
      throw new IllegalStateException(
          "more than " + MAX_ENCLAVES + " enclave containers run in this JVM");
    }
    USED.set(index);
    return FIRST_CID + index;
  }

  /**
   * Takes {@code cid} as chosen by the user.
   *
   * @throws IllegalArgumentException if it cannot be an enclave's CID ({@link #check})
   * @throws IllegalStateException if a running enclave of this JVM has it
   */
  public static synchronized void claim(long cid) {
    check(cid);
    if (cid - FIRST_CID < MAX_ENCLAVES) {
      int index = (int) (cid - FIRST_CID);
      if (USED.get(index)) {
        throw new IllegalStateException(
            "enclave CID " + cid + " is taken by a running enclave container");
      }
      USED.set(index);
    }
  }

  /** {@code requested} claimed when non-null, else the lowest free CID allocated. */
  public static long claimOrAllocate(Long requested) {
    if (requested == null) {
      return allocate();
    }
    claim(requested);
    return requested;
  }

  /** Gives {@code cid} back. */
  public static synchronized void release(long cid) {
    if (cid >= FIRST_CID && cid - FIRST_CID < MAX_ENCLAVES) {
      USED.clear((int) (cid - FIRST_CID));
    }
  }
}
