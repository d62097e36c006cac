package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.Ports;
import dev.nitroemu.enclave.VsockNetwork;
import java.util.Optional;

/**
 * The enclave CIDs hybrid vsock accepts, and the checks of the settings that select it ({@value
 * HybridVsockTransport#DIRECTORY_PROPERTY}, {@value VsockNetwork#LOCAL_CID_PROPERTY}).
 */
public final class HybridSettings {

  /** The lowest CID an enclave can have (0..2 are reserved, 3 is the parent). */
  public static final long MIN_ENCLAVE_CID = 4;

  /** The highest CID an enclave can have (one below CID_ANY). */
  public static final long MAX_ENCLAVE_CID = 0xFFFF_FFFEL;

  private HybridSettings() {}

  /**
   * Returns {@code cid} if it is in {@value #MIN_ENCLAVE_CID}..{@value #MAX_ENCLAVE_CID}.
   *
   * @throws IllegalArgumentException otherwise
   */
  public static long checkEnclaveCid(long cid) {
    if (cid < MIN_ENCLAVE_CID || cid > MAX_ENCLAVE_CID) {
      throw new IllegalArgumentException(
          "an enclave's CID must be in "
              + MIN_ENCLAVE_CID
              + ".."
              + MAX_ENCLAVE_CID
              + ", was "
              + cid);
    }
    return cid;
  }

  /**
   * The enclave's CID from {@value VsockNetwork#LOCAL_CID_PROPERTY} (or its environment variable),
   * {@code defaultCid} when unset.
   *
   * @throws IllegalArgumentException naming the setting if the mapping file of the TCP emulation is
   *     set too, or if the CID is malformed or out of range
   */
  public static long enclaveCid(NitroSettings settings, long defaultCid) {
    if (settings.get(VsockNetwork.MAPPING_FILE_PROPERTY).isPresent()) {
      throw new IllegalArgumentException(
          "set either "
              + HybridVsockTransport.DIRECTORY_PROPERTY
              + " ("
              + HybridVsockTransport.DIRECTORY_ENVIRONMENT_VARIABLE
              + ", hybrid vsock over Unix sockets) or "
              + VsockNetwork.MAPPING_FILE_PROPERTY
              + " ("
              + VsockNetwork.MAPPING_FILE_ENVIRONMENT_VARIABLE
              + ", vsock emulated over TCP), not both");
    }
    long cid = defaultCid;
    Optional<String> cidText = settings.get(VsockNetwork.LOCAL_CID_PROPERTY);
    if (cidText.isPresent()) {
      try {
        cid = Ports.parse(cidText.get(), VsockNetwork.LOCAL_CID_PROPERTY);
      } catch (IllegalArgumentException e) {
        cid = -1;
      }
      if (cid < MIN_ENCLAVE_CID || cid > MAX_ENCLAVE_CID) {
        throw new IllegalArgumentException(
            VsockNetwork.LOCAL_CID_PROPERTY
                + " (or "
                + VsockNetwork.LOCAL_CID_ENVIRONMENT_VARIABLE
                + ") must be the enclave's CID, "
                + MIN_ENCLAVE_CID
                + ".."
                + MAX_ENCLAVE_CID
                + ", was '"
                + cidText.get()
                + "'");
      }
    }
    return cid;
  }
}
