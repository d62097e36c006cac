package dev.nitroemu.bench;

import java.io.IOException;
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
 * [rounds [seconds-per-slice]]} (default 9 rounds of 2 s each side, after 20 s of warm-up on both).
 * Prints every round and the median ratio {@code mockDecrypt / bareNetty} (goal >= 0.6).
 */
public final class InterleavedDecryptRatio {
  private static final int THREADS = 8;
  private static final double WARM_UP_SECONDS = 20;

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
      for (int round = 0; round < rounds; round++) {
        // Alternate which side goes first so neither always follows the other's GC debt.
        boolean bareFirst = round % 2 == 0;
        double first =
            bareFirst
                ? rate(bare.client, bare.request, seconds)
                : rate(mock.client, mock.request, seconds);
        double second =
            bareFirst
                ? rate(mock.client, mock.request, seconds)
                : rate(bare.client, bare.request, seconds);
        double bareRate = bareFirst ? first : second;
        double mockRate = bareFirst ? second : first;
        ratios[round] = mockRate / bareRate;
        System.out.printf(
            Locale.ROOT,
            "round %2d: bareNetty %.0f/s, mockDecrypt %.0f/s, ratio %.2f%n",
            round,
            bareRate,
            mockRate,
            ratios[round]);
      }
      Arrays.sort(ratios);
      System.out.printf(
          Locale.ROOT,
          "median mockDecrypt/bareNetty over %d rounds (%d threads): %.2f (goal >= 0.6);"
              + " quartiles %.2f to %.2f%n",
          rounds,
          THREADS,
          ratios[rounds / 2],
          ratios[rounds / 4],
          ratios[rounds - 1 - rounds / 4]);
    } finally {
      mock.tearDown();
      bare.tearDown();
    }
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
