package dev.nitroemu.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DecryptRequest;

/**
 * KMS Decrypt from 8 client threads through the AWS SDK against the mock and against the bare Netty
 * server (the states of {@link KmsDecryptBenchmark}), in alternating timed slices in one JVM, so
 * that drift of a shared machine hits both sides alike. Both servers and both clients stay up the
 * whole run; each slice runs the 8 threads against one of them for a fixed time.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.nitroemu.bench.InterleavedDecryptRatio
 * [rounds [seconds-per-slice]]} (default 9 rounds of 2 s each side, after 40 s of warm-up on both).
 * Prints every round and the median ratio {@code mockDecrypt / bareNetty} (goal >= 0.6), and the
 * CPU time the mock's own threads ({@code kms-*}: I/O and workers) spend per Decrypt, which the
 * machine's load moves far less than the rates.
 */
public final class InterleavedDecryptRatio {
  private static final int THREADS = 8;
  private static final double WARM_UP_SECONDS = 40;
  private static final ThreadMXBean THREAD_CPU = ManagementFactory.getThreadMXBean();

  private InterleavedDecryptRatio() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 2;
    KmsDecryptBenchmark.BareNetty bare = new KmsDecryptBenchmark.BareNetty();
    bare.setUp();
    KmsDecryptBenchmark.MockDecrypt mock = new KmsDecryptBenchmark.MockDecrypt();
    mock.setUp();
    try {
      for (double warm = 0; warm < WARM_UP_SECONDS; warm += 2 * seconds) {
        rate(bare.client, bare.request, seconds);
        rate(mock.client, mock.request, seconds);
      }
      double[] ratios = new double[rounds];
      double[] mockCpu = new double[rounds];
      for (int round = 0; round < rounds; round++) {
        // Alternate which side goes first so neither always follows the other's GC debt.
        boolean bareFirst = round % 2 == 0;
        double bareRate = 0;
        double mockRate = 0;
        for (int side = 0; side < 2; side++) {
          if ((side == 0) == bareFirst) {
            bareRate = rate(bare.client, bare.request, seconds);
          } else {
            long cpuBefore = serverCpuNanos();
            mockRate = rate(mock.client, mock.request, seconds);
            mockCpu[round] = (serverCpuNanos() - cpuBefore) / (mockRate * seconds) / 1000;
          }
        }
        ratios[round] = mockRate / bareRate;
        System.out.printf(
            Locale.ROOT,
            "round %2d: bareNetty %.0f/s, mockDecrypt %.0f/s, ratio %.2f; mock threads' CPU %.0f µs"
                + " a call%n",
            round,
            bareRate,
            mockRate,
            ratios[round],
            mockCpu[round]);
      }
      Arrays.sort(ratios);
      Arrays.sort(mockCpu);
      System.out.printf(
          Locale.ROOT,
          "median mockDecrypt/bareNetty over %d rounds (%d threads): %.2f (goal >= 0.6);"
              + " quartiles %.2f to %.2f%n",
          rounds,
          THREADS,
          ratios[rounds / 2],
          ratios[rounds / 4],
          ratios[rounds - 1 - rounds / 4]);
      System.out.printf(
          Locale.ROOT,
          "median CPU of the mock's threads (kms-*) per Decrypt: %.0f µs%n",
          mockCpu[rounds / 2]);
    } finally {
      mock.tearDown();
      bare.tearDown();
    }
  }

  /** CPU time used so far by the mock's threads (named {@code kms-...}), in nanoseconds. */
  static long serverCpuNanos() {
    long total = 0;
    for (ThreadInfo info : THREAD_CPU.getThreadInfo(THREAD_CPU.getAllThreadIds())) {
      if (info != null && info.getThreadName().startsWith("kms-")) {
        long cpu = THREAD_CPU.getThreadCpuTime(info.getThreadId());
        total += Math.max(0, cpu);
      }
    }
    return total;
  }

  /** Decrypt calls per second from {@link #THREADS} threads for {@code seconds}. */
  static double rate(KmsClient client, DecryptRequest request, double seconds)
      throws InterruptedException, IOException {
    AtomicBoolean running = new AtomicBoolean(true);
    LongAdder calls = new LongAdder();
    List<Throwable> failures = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < THREADS; i++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  while (running.get()) {
                    client.decrypt(request);
                    calls.increment();
                  }
                } catch (RuntimeException e) {
                  synchronized (failures) {
                    failures.add(e);
                  }
                }
              });
      thread.setDaemon(true);
      threads.add(thread);
    }
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    Thread.sleep((long) (seconds * 1000));
    running.set(false);
    for (Thread thread : threads) {
      thread.join(30_000);
    }
    long elapsed = System.nanoTime() - start;
    if (!failures.isEmpty()) {
      throw new IOException("a Decrypt call failed", failures.get(0));
    }
    return calls.sum() / (elapsed / 1e9);
  }
}
