package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.NsmSyscalls;
import java.nio.file.Path;

/**
 * Test access to {@link DeviceNsm}'s package-private seam, for tests in other modules (via the
 * test-jar).
 */
public final class DeviceNsmSeams {
  private DeviceNsmSeams() {}

  /** {@link DeviceNsm} over a simulated driver instead of libc. */
  public static DeviceNsm open(Path device, NsmSyscalls syscalls) {
    return DeviceNsm.open(device, syscalls);
  }
}
