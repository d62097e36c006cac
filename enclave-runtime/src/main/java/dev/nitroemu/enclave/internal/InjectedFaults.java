package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockFault;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The faults injected into an emulated vsock network, by address, and the injected connect latency
 * they impose; thread-safe.
 */
public final class InjectedFaults {

  private final Map<VsockAddress, VsockFault> faults = new ConcurrentHashMap<>();

  /** Installs {@code fault} for {@code address}, replacing any earlier one. */
  public void put(VsockAddress address, VsockFault fault) {
    faults.put(Objects.requireNonNull(address, "address"), Objects.requireNonNull(fault, "fault"));
  }

  /** Removes the fault on {@code address}. */
  public void remove(VsockAddress address) {
    faults.remove(address);
  }

  /** Removes every fault. */
  public void clear() {
    faults.clear();
  }

  /**
   * The fault for {@code address}: the one installed for it, else one installed for {@code CID_ANY}
   * on that port, else {@link VsockFault#none()}.
   */
  public VsockFault faultFor(VsockAddress address) {
    VsockFault exact = faults.get(address);
    if (exact != null) {
      return exact;
    }
    return faults.getOrDefault(address.withCid(VsockAddress.CID_ANY), VsockFault.none());
  }

  /**
   * Waits out an injected connect latency and returns what is left of the connect timeout ({@code
   * timeoutNanos}, 0 for none).
   *
   * @throws SocketTimeoutException if the latency reaches the timeout (after waiting the timeout)
   * @throws InterruptedIOException if interrupted while waiting
   */
  public static long delayConnect(VsockAddress address, Duration latency, long timeoutNanos)
      throws IOException {
    if (latency.isZero()) {
      return timeoutNanos;
    }
    boolean timesOut = timeoutNanos > 0 && latency.toNanos() >= timeoutNanos;
    try {
      TimeUnit.NANOSECONDS.sleep(timesOut ? timeoutNanos : latency.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted during injected connect latency to " + address);
    }
    if (timesOut) {
      throw new SocketTimeoutException(
          "Connect timed out: " + address + " (injected latency " + latency + ")");
    }
    return timeoutNanos == 0 ? 0 : timeoutNanos - latency.toNanos();
  }
}
