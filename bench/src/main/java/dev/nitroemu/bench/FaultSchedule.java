package dev.nitroemu.bench;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockFault;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.stack.EmulatorControls;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Injects one {@link VsockFault} at a time on one of the soak's vsock addresses through the stack's
 * {@link EmulatorControls}, holds it for a few seconds and clears it again, in a loop; and tells
 * each client whether the connection it opened last may carry a fault, so its failures can be
 * counted as expected.
 *
 * <p>How a client knows: a fault is captured when a connection opens. Installing one first marks
 * the address active and bumps an epoch, then installs; clearing first clears, then unmarks and
 * bumps the epoch. A client ({@link Tracked}) reads the epoch and the mark before it connects and
 * the epoch again after: if the address was not marked and the epoch did not move, no fault can
 * have been captured. The answer errs only towards "may be faulted".
 */
final class FaultSchedule implements Runnable {

  private final EmulatorControls controls;
  private final List<VsockAddress> targets;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final SplittableRandom random;
  private final SoakTally tally;
  private final AtomicLong epoch = new AtomicLong();
  private final Set<VsockAddress> active = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;

  FaultSchedule(
      EmulatorControls controls,
      List<VsockAddress> targets,
      Duration connectTimeout,
      Duration readTimeout,
      long seed,
      SoakTally tally) {
    this.controls = controls;
    this.targets = List.copyOf(targets);
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
    this.random = new SplittableRandom(seed);
    this.tally = tally;
  }

  /**
   * A transport that connects through {@code network} and remembers whether its last connection may
   * be faulted.
   */
  Tracked track(VsockTransport network) {
    return new Tracked(network);
  }

  /**
   * Quiet 5..15 s, then a fault on one address for 3..8 s, until {@link #stop()}; clears on the way
   * out.
   */
  @Override
  public void run() {
    try {
      while (!stopped) {
        pause(Duration.ofMillis(5_000 + random.nextInt(10_000)));
        if (stopped) {
          break;
        }
        VsockAddress target = targets.get(random.nextInt(targets.size()));
        install(target, nextFault());
        pause(Duration.ofMillis(3_000 + random.nextInt(5_000)));
        clear(target);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      targets.forEach(this::clear);
    }
  }

  /** Stops after the current step and clears any fault. */
  void stop() {
    stopped = true;
  }

  /**
   * The faults a client must survive: each ends in success, a typed IOException, or a read/connect
   * timeout.
   */
  private Injection nextFault() {
    return switch (random.nextInt(6)) {
      case 0 -> new Injection("refuse", VsockFault.refuse());
      case 1 ->
          new Injection(
              "latency 10..200 ms",
              VsockFault.latency(Duration.ofMillis(10 + random.nextInt(190))));
      case 2 ->
          new Injection(
              "connect latency > connect timeout",
              VsockFault.connectLatency(connectTimeout.plusSeconds(1)));
      case 3 ->
          random.nextBoolean()
              ? new Injection("reset after 0..4 KiB", VsockFault.resetAfter(random.nextInt(4096)))
              : new Injection(
                  "reset after 0..300 KiB", VsockFault.resetAfter(random.nextInt(300 * 1024)));
      case 4 ->
          new Injection(
              "read stall 0.5..3 s",
              VsockFault.stallReads(Duration.ofMillis(500 + random.nextInt(2_500))));
      default ->
          new Injection(
              "read stall > read timeout", VsockFault.stallReads(readTimeout.plusSeconds(5)));
    };
  }

  private void install(VsockAddress target, Injection injection) {
    active.add(target);
    epoch.incrementAndGet();
    controls.injectFault(target, injection.fault());
    tally.faultInjected(injection.label() + " on " + target.toShortString());
  }

  private void clear(VsockAddress target) {
    controls.clearFaults();
    if (active.remove(target)) {
      epoch.incrementAndGet();
    }
  }

  private void pause(Duration duration) throws InterruptedException {
    long end = System.nanoTime() + duration.toNanos();
    while (!stopped && System.nanoTime() < end) {
      Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
    }
  }

  /** A fault and how the report names its kind. */
  private record Injection(String label, VsockFault fault) {}

  /**
   * A client's view of the network: connects, and remembers whether the last connection may carry a
   * fault.
   */
  final class Tracked implements VsockTransport {
    private final VsockTransport network;
    private volatile boolean lastMayBeFaulted;

    private Tracked(VsockTransport network) {
      this.network = network;
    }

    @Override
    public VsockConnection connect(VsockAddress address, Duration timeout) throws IOException {
      long before = epoch.get();
      boolean marked = active.contains(address);
      try {
        return network.connect(address, timeout);
      } finally {
        lastMayBeFaulted = marked || epoch.get() != before;
      }
    }

    @Override
    public VsockListener listen(VsockAddress address) throws IOException {
      return network.listen(address);
    }

    /**
     * Whether the connection opened (or refused) last through this transport may carry an injected
     * fault.
     */
    boolean lastMayBeFaulted() {
      return lastMayBeFaulted;
    }
  }
}
