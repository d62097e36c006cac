package dev.nitroemu.enclave;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The answer to DescribePCR: whether the register is locked and its current value.
 *
 * @param locked true when the PCR can no longer be extended
 * @param data the register value (48 bytes for SHA-384)
 */
public record PcrDescription(boolean locked, byte[] data) {
  public PcrDescription {
    data = Objects.requireNonNull(data, "data").clone();
  }

  @Override
  public byte[] data() {
    return data.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PcrDescription other
        && locked == other.locked
        && Arrays.equals(data, other.data);
  }

  @Override
  public int hashCode() {
    return 31 * Boolean.hashCode(locked) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "PcrDescription[locked=" + locked + ", data=" + HexFormat.of().formatHex(data) + "]";
  }
}
