package dev.nitroemu.stack;

import dev.nitroemu.enclave.VsockAddress;
import java.util.Collections;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An enclave that runs outside the test JVM and is served by an {@link EnclaveEnvironment}, e.g.
 * enclave-container's {@code EnclaveContainer}: before the environment starts it says its CID and
 * measures itself (so KMS key policies may name {@code ${PCR0}} of its image), then the running
 * environment is handed to it; {@link EnclaveRuntimeInfo} reports that CID and those PCRs.
 *
 * <p>Whoever starts the environment ({@link EnclaveEnvironment.Builder#enclave},
 * {@code @NitroEnclaveTest}) calls {@link #plan()}, then {@link #attach}; starting and stopping the
 * enclave is {@link #start()}/{@link #stop()}, unless something else (Testcontainers'
 * {@code @Container}) does it.
 */
public interface EnclaveHost {

  /**
   * The enclave's CID and measured PCRs, reserved until the enclave stops; called once, before the
   * environment starts.
   *
   * @throws IllegalStateException if the enclave already runs (it would not use this environment)
   */
  Plan plan();

  /** Serve the enclave from {@code environment} (emulated, running) when it starts. */
  void attach(EnclaveEnvironment environment);

  /** Whether the enclave runs now. */
  boolean enclaveRunning();

  /** Starts the enclave (after {@link #attach}). */
  void start();

  /** Stops the enclave. */
  void stop();

  /**
   * What an enclave host reports before the environment starts.
   *
   * @param cid the enclave's vsock CID (16 or more), unsigned as every vsock CID in nitro-emu
   * @param pcrs measured PCRs by index (0..15), at least PCR0
   */
  record Plan(long cid, SortedMap<Integer, byte[]> pcrs) {
    /** Checks and copies. */
    public Plan {
      if (cid < 3 || cid >= VsockAddress.CID_ANY) {
        throw new IllegalArgumentException("an enclave CID must be in 3..4294967294, was " + cid);
      }
      Objects.requireNonNull(pcrs, "pcrs");
      TreeMap<Integer, byte[]> copy = new TreeMap<>();
      pcrs.forEach((index, value) -> copy.put(index, value.clone()));
      pcrs = Collections.unmodifiableSortedMap(copy);
    }
  }
}
