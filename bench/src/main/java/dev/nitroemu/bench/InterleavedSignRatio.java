package dev.nitroemu.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Locale;

/**
 * KMS Sign ({@code ECC_NIST_P384}) through the AWS SDK against the mock, and raw JCA {@code
 * SHA384withECDSA}, measured in alternating batches in one JVM (the states of {@link
 * KmsSignBenchmark}), so that drift of a shared machine hits both sides alike. Per round it prints
 * both throughputs and two ratios: wall time (what a test waits) and process CPU time (client,
 * server, JIT and GC included, what a signature costs the machine).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.nitroemu.bench.InterleavedSignRatio
 * [rounds]}. Prints the median ratios over the rounds, after warm-up rounds that let the JIT
 * compile the SDK and server paths.
 */
public final class InterleavedSignRatio {
  private static final int BATCH = 300;
  private static final int WARM_UP_ROUNDS = 6;

  private InterleavedSignRatio() {}

  public static void main(String[] args) throws GeneralSecurityException, IOException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    KmsSignBenchmark.RawSign raw = new KmsSignBenchmark.RawSign();
    raw.setUp();
    KmsSignBenchmark.MockSign mock = new KmsSignBenchmark.MockSign();
    mock.setUp();
    try {
      double[] wallRatios = new double[rounds];
      double[] cpuRatios = new double[rounds];
      for (int round = -WARM_UP_ROUNDS; round < rounds; round++) {
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int i = 0; i < BATCH; i++) {
          KmsSignBenchmark.sign(raw);
        }
        long rawNanos = System.nanoTime() - start;
        long rawCpu = os.getProcessCpuTime() - cpu;
        cpu = os.getProcessCpuTime();
        start = System.nanoTime();
        for (int i = 0; i < BATCH; i++) {
          mock.client.sign(mock.request);
        }
        long mockNanos = System.nanoTime() - start;
        long mockCpu = os.getProcessCpuTime() - cpu;
        if (round >= 0) {
          wallRatios[round] = (double) rawNanos / mockNanos;
          cpuRatios[round] = (double) rawCpu / mockCpu;
          System.out.printf(
              Locale.ROOT,
              "round %2d: raw %.0f/s (%.2f ms CPU each), mock Sign %.0f/s (%.2f ms CPU each), ratio %.2f wall, %.2f CPU%n",
              round,
              BATCH / (rawNanos / 1e9),
              rawCpu / 1e6 / BATCH,
              BATCH / (mockNanos / 1e9),
              mockCpu / 1e6 / BATCH,
              wallRatios[round],
              cpuRatios[round]);
        }
      }
      Arrays.sort(wallRatios);
      Arrays.sort(cpuRatios);
      System.out.printf(
          Locale.ROOT,
          "median mockSign/rawSign over %d rounds: %.2f by throughput (wall), %.2f by CPU per signature (goal 0.50)%n",
          rounds,
          wallRatios[rounds / 2],
          cpuRatios[rounds / 2]);
    } finally {
      mock.tearDown();
    }
  }
}
