package dev.nitroemu.bench;

import dev.nitroemu.kms.KmsMockServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DecryptRequest;

/**
 * How the KMS mock scales with the number of keys in its state directory (issue 14 item 4): for
 * each step (default 1,000, 10,000, 100,000 keys) it creates keys through the AWS SDK from 8
 * threads up to that count, then measures Decrypt calls per second (8 threads, blobs under random
 * keys), restarts the server from the state directory twice (time from {@code start()} to the first
 * answered call): first from the key files, as after a crash (the snapshot of the previous clean
 * close deleted), then from the snapshot its clean close wrote; then the time to list every key
 * (ListKeys pages of 1,000) and the heap in use after a full GC with the restarted server holding
 * every key. The restart from the snapshot is measured twice: in a new JVM (a child process, as
 * {@code nitro-emu start} runs it: JVM start, class loading and JIT warm-up included) and in this
 * JVM, already warm.
 *
 * <p>Run: {@code java -Xmx1g -cp bench/target/benchmarks.jar dev.nitroemu.bench.KmsScaleCurve
 * [counts...]} (e.g. {@code 1000 10000 100000}). The state directory is a fresh temporary
 * directory, deleted at the end. Goals at 100k keys: restart <= 5 s, heap <= 256 MiB.
 */
public final class KmsScaleCurve {
  private static final int THREADS = 8;
  private static final int BLOBS = 256;
  private static final double DECRYPT_SECONDS = 5;
  private static final String SNAPSHOT = "kms-snapshot.bin";
  private static final String NEW_JVM = "--restart-in-this-jvm";

  /**
   * Keys beyond this count are not created through the API but copied on disk from created ones
   * with new key ids (the mock's CreateKey writes and fsyncs one file per key, about 100/s here, so
   * 100,000 keys through the API would take a quarter of an hour); restart, heap and Decrypt are
   * measured with every key loaded either way.
   */
  private static final int CREATE_LIMIT = Integer.getInteger("kms.scale.createLimit", 10_000);

  private KmsScaleCurve() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals(NEW_JVM)) {
      // The child of newJvmRestart: one start from the state directory in a fresh JVM.
      Restart restart = Restart.timed(Path.of(args[1]));
      long sinceJvmStart = ManagementFactory.getRuntimeMXBean().getUptime();
      long cpu = processCpuNanos();
      restart.server().close();
      System.out.printf(
          Locale.ROOT,
          "%.2f s (`start()` %.2f s; CPU %.2f s)%n",
          sinceJvmStart / 1e3,
          restart.startSeconds(),
          cpu / 1e9);
      return;
    }
    int[] counts =
        args.length == 0
            ? new int[] {1_000, 10_000, 100_000}
            : Stream.of(args).mapToInt(Integer::parseInt).toArray();
    Path state = Files.createTempDirectory("kms-scale");
    System.out.println(
        "| keys | CreateKey/s (8 threads) | Decrypt/s (8 threads) | restart from key files"
            + " (after a crash) | close (writes the snapshot) | restart from the snapshot"
            + " in a new JVM | restart from the snapshot"
            + " (after a clean close) | ListKeys of all | heap after GC | state on disk |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    int existing = 0;
    try {
      for (int count : counts) {
        KmsMockServer server = KmsMockServer.builder().stateDirectory(state).build().start();
        double createRate;
        List<byte[]> blobs;
        try (KmsClient client = KmsDecryptBenchmark.sdkClient(server.endpoint())) {
          int toCreate = Math.max(0, Math.min(count, CREATE_LIMIT) - existing);
          long start = System.nanoTime();
          createKeys(client, toCreate);
          createRate = toCreate == 0 ? Double.NaN : toCreate / ((System.nanoTime() - start) / 1e9);
          existing += toCreate;
        } finally {
          server.close();
        }
        existing += cloneKeys(state.resolve("keys"), count - existing);
        String[] fromFiles = restartFromKeyFiles(state);
        String newJvm = newJvmRestart(state);
        Restart fromSnapshot = Restart.timed(state);
        server = fromSnapshot.server();
        double decryptRate;
        double listSeconds;
        long heap;
        try (KmsClient client = KmsDecryptBenchmark.sdkClient(server.endpoint())) {
          List<String> keyIds = new ArrayList<>();
          long listStart = System.nanoTime();
          client.listKeysPaginator(r -> r.limit(1000)).keys().forEach(k -> keyIds.add(k.keyId()));
          listSeconds = (System.nanoTime() - listStart) / 1e9;
          KmsDecryptBenchmark.check(keyIds.size() == count, "every key back after the restart");
          blobs = blobs(client, keyIds);
          heap = ProcessVitals.sample(true).heapUsedBytes();
          decryptRate = decryptRate(client, blobs);
        } finally {
          server.close();
        }
        System.out.printf(
            Locale.ROOT,
            "| %,d | %s | %.0f | %s | %s | %s | %s | %.2f s | %.1f MiB | %.1f MiB |%n",
            count,
            Double.isNaN(createRate) ? "(copied on disk)" : String.format("%.0f", createRate),
            decryptRate,
            fromFiles[0],
            fromFiles[1],
            newJvm,
            fromSnapshot,
            listSeconds,
            heap / 1048576.0,
            directorySize(state) / 1048576.0);
      }
    } finally {
      deleteTree(state);
    }
  }

  /**
   * Restarts from the key files alone, as after a crash (the snapshot deleted), then closes the
   * server, which writes the snapshot: the restart's times and the close's. The closed server is
   * dropped here, so the heap measured later holds one store only.
   */
  private static String[] restartFromKeyFiles(Path state) throws IOException {
    Files.deleteIfExists(state.resolve(SNAPSHOT));
    Restart restart = Restart.timed(state);
    long closeStart = System.nanoTime();
    restart.server().close();
    double closeSeconds = (System.nanoTime() - closeStart) / 1e9;
    KmsDecryptBenchmark.check(Files.exists(state.resolve(SNAPSHOT)), "a snapshot at close");
    return new String[] {restart.toString(), String.format(Locale.ROOT, "%.2f s", closeSeconds)};
  }

  /**
   * Restarts from {@code state} in a fresh JVM, as {@code nitro-emu start} would: the time from the
   * JVM's start (its RuntimeMXBean uptime, so without the launcher's first tens of milliseconds) to
   * the first answered call, JIT warm-up and class loading included, and the child's CPU time.
   */
  private static String newJvmRestart(Path state) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(
                java,
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                KmsScaleCurve.class.getName(),
                NEW_JVM,
                state.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String line = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    KmsDecryptBenchmark.check(child.waitFor() == 0, "the restart in a new JVM");
    return line;
  }

  /** A started server and how long its start and first answered call took, wall and CPU. */
  private record Restart(
      KmsMockServer server, double startSeconds, double seconds, double cpuSeconds) {
    static Restart timed(Path state) throws IOException {
      long cpu = processCpuNanos();
      long start = System.nanoTime();
      KmsMockServer server = KmsMockServer.builder().stateDirectory(state).build().start();
      double startSeconds = (System.nanoTime() - start) / 1e9;
      try (KmsClient client = KmsDecryptBenchmark.sdkClient(server.endpoint())) {
        client.listKeys(r -> r.limit(1));
      }
      return new Restart(
          server, startSeconds, (System.nanoTime() - start) / 1e9, (processCpuNanos() - cpu) / 1e9);
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%.2f s (CPU %.2f s)", seconds, cpuSeconds);
    }
  }

  /** This process's CPU time so far, every thread, in nanoseconds. */
  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** Creates {@code n} keys from {@link #THREADS} threads; how many were created. */
  private static int createKeys(KmsClient client, int n) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread thread =
          new Thread(
              () -> {
                while (next.getAndIncrement() < n) {
                  client.createKey(r -> r.description("scale"));
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    return n;
  }

  /**
   * Writes {@code n} more key files, each a copy of an existing one under a new key id; how many.
   */
  private static int cloneKeys(Path keys, int n) throws IOException {
    if (n <= 0) {
      return 0;
    }
    List<Path> templates;
    try (Stream<Path> files = Files.list(keys)) {
      templates = files.filter(f -> f.toString().endsWith(".json")).limit(1000).toList();
    }
    for (int i = 0; i < n; i++) {
      Path template = templates.get(i % templates.size());
      String oldId = template.getFileName().toString().replace(".json", "");
      String newId = java.util.UUID.randomUUID().toString();
      String json = Files.readString(template).replace(oldId, newId);
      Path copy = keys.resolve(newId + ".json");
      Files.writeString(copy, json);
      Files.setPosixFilePermissions(copy, Files.getPosixFilePermissions(template));
    }
    return n;
  }

  private static List<byte[]> blobs(KmsClient client, List<String> keyIds) {
    List<byte[]> blobs = new ArrayList<>();
    for (int i = 0; i < BLOBS; i++) {
      String keyId = keyIds.get(ThreadLocalRandom.current().nextInt(keyIds.size()));
      blobs.add(
          client
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(new byte[32])))
              .ciphertextBlob()
              .asByteArray());
    }
    return blobs;
  }

  private static double decryptRate(KmsClient client, List<byte[]> blobs)
      throws InterruptedException {
    List<DecryptRequest> requests =
        blobs.stream().map(KmsDecryptBenchmark::decryptRequest).toList();
    for (int i = 0; i < 200; i++) {
      client.decrypt(requests.get(i % requests.size())); // warm-up
    }
    AtomicInteger calls = new AtomicInteger();
    long end = System.nanoTime() + (long) (DECRYPT_SECONDS * 1e9);
    long start = System.nanoTime();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      Thread thread =
          new Thread(
              () -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < end) {
                  client.decrypt(requests.get(random.nextInt(requests.size())));
                  calls.incrementAndGet();
                }
              });
      thread.start();
      threads.add(thread);
    }
    for (Thread thread : threads) {
      thread.join();
    }
    return calls.get() / ((System.nanoTime() - start) / 1e9);
  }

  private static long directorySize(Path directory) throws IOException {
    try (Stream<Path> files = Files.walk(directory)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              f -> {
                try {
                  return Files.size(f);
                } catch (IOException e) {
                  return 0;
                }
              })
          .sum();
    }
  }

  private static void deleteTree(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("could not delete " + directory + ": " + e.getMessage());
    }
  }
}
