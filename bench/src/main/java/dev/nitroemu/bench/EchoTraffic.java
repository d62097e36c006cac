package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Echo traffic over the emulated vsock network, straight to an echo server or through a
 * vsock-proxy: random payloads of 0 B .. 256 KiB ({@link EchoPeers#payload}), on a new connection
 * per payload (connect, echo, half-close, end of stream, close) or on a long connection that
 * carries payloads for {@value #MIN_LIFETIME_SECONDS}..{@value #MAX_LIFETIME_SECONDS} s.
 */
final class EchoTraffic {

  static final int MIN_LIFETIME_SECONDS = 30;
  static final int MAX_LIFETIME_SECONDS = 120;

  private final VsockTransport network;
  private final FaultSchedule faults;
  private final CallDeadlines calls;
  private final Duration connectTimeout;
  private final Duration budget;

  /**
   * @param connectTimeout the vsock connect timeout
   * @param budget how long one payload's echo (and, for a new connection, its close) may take in
   *     all
   */
  EchoTraffic(
      VsockTransport network,
      FaultSchedule faults,
      CallDeadlines calls,
      Duration connectTimeout,
      Duration budget) {
    this.network = network;
    this.faults = faults;
    this.calls = calls;
    this.connectTimeout = connectTimeout;
    this.budget = budget;
  }

  /** One new connection to {@code address} per payload. */
  SoakWorker shortConnections(String kind, VsockAddress address, long seed) {
    FaultSchedule.Tracked transport = faults.track(network);
    SplittableRandom random = new SplittableRandom(seed);
    return () -> {
      byte[] payload = EchoPeers.payload(random);
      calls.call(
          kind,
          transport::lastMayBeFaulted,
          call -> {
            try (VsockConnection connection =
                call.closeOnHang(transport.connect(address, connectTimeout))) {
              EchoPeers.exchange(connection, payload, budget);
              EchoPeers.finish(connection, budget);
            }
          });
    };
  }

  /** One connection to {@code address} at a time, kept for a while; a failed one is replaced. */
  SoakWorker longConnection(String kind, VsockAddress address, long seed) {
    FaultSchedule.Tracked transport = faults.track(network);
    SplittableRandom random = new SplittableRandom(seed);
    return new SoakWorker() {
      private VsockConnection connection;
      private long closeAtNanos;

      @Override
      public void step() {
        byte[] payload = EchoPeers.payload(random);
        CallDeadlines.Outcome outcome =
            calls.call(
                kind,
                transport::lastMayBeFaulted,
                call -> {
                  if (connection == null) {
                    connection = transport.connect(address, connectTimeout);
                    closeAtNanos =
                        System.nanoTime()
                            + Duration.ofSeconds(
                                    MIN_LIFETIME_SECONDS
                                        + random.nextInt(
                                            MAX_LIFETIME_SECONDS - MIN_LIFETIME_SECONDS + 1))
                                .toNanos();
                  }
                  call.closeOnHang(connection);
                  EchoPeers.exchange(connection, payload, budget);
                  if (System.nanoTime() > closeAtNanos) {
                    EchoPeers.finish(connection, budget);
                    close();
                  }
                });
        if (outcome != CallDeadlines.Outcome.OK) {
          close();
        }
      }

      @Override
      public void close() {
        Closeables.closeQuietly(connection);
        connection = null;
      }
    };
  }
}
