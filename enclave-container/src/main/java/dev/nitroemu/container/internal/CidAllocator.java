package dev.nitroemu.container.internal;

import java.util.BitSet;

/** Hands out enclave CIDs from 16 up, unique among the enclaves running in this JVM. */
public final class CidAllocator {

  /** The first CID handed out, as nitro-cli's first enclave gets. */
  public static final int FIRST_CID = 16;

  private static final int MAX_ENCLAVES = 1 << 16;
  private static final BitSet USED = new BitSet();

  private CidAllocator() {}

  /** The lowest free CID. */
  public static synchronized int allocate() {
    int index = USED.nextClearBit(0);
    if (index >= MAX_ENCLAVES) {
      throw new IllegalStateException("more than " + MAX_ENCLAVES + " enclave containers run in this JVM");
    }
    USED.set(index);
    return FIRST_CID + index;
  }

  /**
   * Takes {@code cid} as chosen by the user.
   *
   * @throws IllegalStateException if a running enclave of this JVM has it
   */
  public static synchronized void claim(int cid) {
    if (cid < FIRST_CID) {
      throw new IllegalArgumentException("an enclave CID must be " + FIRST_CID + " or more, was " + cid);
    }
    if (cid - FIRST_CID < MAX_ENCLAVES && USED.get(cid - FIRST_CID)) {
      throw new IllegalStateException("enclave CID " + cid + " is taken by a running enclave container");
    }
    if (cid - FIRST_CID < MAX_ENCLAVES) {
      USED.set(cid - FIRST_CID);
    }
  }

  /** Gives {@code cid} back. */
  public static synchronized void release(int cid) {
    if (cid >= FIRST_CID && cid - FIRST_CID < MAX_ENCLAVES) {
      USED.clear(cid - FIRST_CID);
    }
  }
}
