package dev.nitroemu.bench;

import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.AuditLog;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.RequestLogEntry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * How the KMS mock's audit log and the {@code nitro-emu audit} command scale with the number of
 * events (issue 14 item 4): it records a real mix of KMS calls, replays them through {@link
 * AuditLog#record} (direct calls, one thread, each event with a fresh id, request id and time) into
 * a {@code kms-audit.jsonl} file up to each step's count (default 10,000, 100,000 and 1,000,000),
 * and at each step reports the files (the log is rotated as the stack rotates it, by default 64 MiB
 * files and 8 rotated ones kept), their total size, bytes per event, the write rate, and how long
 * the {@code nitro-emu audit} command (a separate JVM running the CLI jar, as users run it) takes
 * to print the log, its denied calls ({@code --denied}), its JSON lines ({@code --json}) and the
 * last 100 calls ({@code --last 100}).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.nitroemu.bench.AuditScaleCurve
 * [counts...]} from the repository root after {@code mvn install} built {@code
 * emulator-cli/target/nitro-emu.jar} (another path with {@code -Daudit.cli.jar=}; {@code
 * -Daudit.cli.baselineJar=} runs the same queries with a second jar right before, e.g. the command
 * before a change; {@code -Daudit.maxBytes=} and {@code -Daudit.keep=} set the rotation, e.g.
 * {@code -Daudit.maxBytes=1099511627776} for one file as before rotation). The state directory is a
 * fresh temporary directory, deleted at the end; 1,000,000 events need about 0.6 GB of disk with
 * the default rotation (1.1 GB without). Each {@code audit} run is bounded to {@value
 * #QUERY_TIMEOUT_MINUTES} minutes.
 */
public final class AuditScaleCurve {
  private static final int TEMPLATE_CALLS = 400;
  private static final long QUERY_TIMEOUT_MINUTES = 10;

  private AuditScaleCurve() {}

  public static void main(String[] args) throws Exception {
    int[] counts =
        args.length == 0
            ? new int[] {10_000, 100_000, 1_000_000}
            : Stream.of(args).mapToInt(Integer::parseInt).toArray();
    Path cliJar = Path.of(System.getProperty("audit.cli.jar", "emulator-cli/target/nitro-emu.jar"));
    KmsDecryptBenchmark.check(
        Files.isRegularFile(cliJar), cliJar + " is missing: build emulator-cli first");
    String baseline = System.getProperty("audit.cli.baselineJar");
    Path baselineJar = baseline == null ? null : Path.of(baseline);
    List<AuditEvent> templates = recordedCalls();
    long deniedTemplates = templates.stream().filter(e -> RequestLogEntry.of(e).denied()).count();
    System.out.printf(
        Locale.ROOT,
        "templates: %d audited calls of a soak mix (%d denied): %s%n",
        templates.size(),
        deniedTemplates,
        mix(templates));
    AuditRotation rotation =
        new AuditRotation(
            Long.getLong("audit.maxBytes", AuditRotation.DEFAULT_MAX_BYTES),
            Integer.getInteger("audit.keep", AuditRotation.DEFAULT_KEEP));
    System.out.printf(
        Locale.ROOT,
        "rotation: %.1f MiB files, %d kept%n",
        rotation.maxBytes() / 1048576.0,
        rotation.keep());
    Path state = Files.createTempDirectory("audit-scale");
    Path file = state.resolve("kms-audit.jsonl");
    try {
      Files.createFile(file);
      Query empty = query(cliJar, state);
      System.out.printf(
          Locale.ROOT, "`audit` of an empty log (JVM start, no lines): %.2f s%n", empty.seconds);
      System.out.println(
          "| events | files | on disk | bytes/event | write rate (events/s) | `audit` |"
              + " `audit --denied` | `audit --json` | `audit --last 100` |");
      System.out.println("|---|---|---|---|---|---|---|---|---|");
      long written = 0;
      try (AuditLog log = AuditLog.toFile(file, rotation)) {
        for (int count : counts) {
          long start = System.nanoTime();
          for (long i = written; i < count; i++) {
            AuditEvent template = templates.get((int) (i % templates.size()));
            log.record(replay(template, i));
          }
          double writeRate = (count - written) / ((System.nanoTime() - start) / 1e9);
          written = Math.max(written, count);
          Kept kept = Kept.count(file);
          if (baselineJar != null) {
            Query all = query(baselineJar, state);
            Query onlyDenied = query(baselineJar, state, "--denied");
            Query json = query(baselineJar, state, "--json");
            System.out.printf(
                Locale.ROOT,
                "| %,d (baseline jar) | | | | | %.2f s | %.2f s | %.2f s | |%n",
                count,
                all.seconds,
                onlyDenied.seconds,
                json.seconds);
          }
          Query all = query(cliJar, state);
          Query onlyDenied = query(cliJar, state, "--denied");
          Query json = query(cliJar, state, "--json");
          Query last100 = query(cliJar, state, "--last", "100");
          KmsDecryptBenchmark.check(all.lines == kept.lines, "audit printed every kept event");
          KmsDecryptBenchmark.check(json.lines == kept.lines, "audit --json printed them all");
          KmsDecryptBenchmark.check(
              onlyDenied.lines == kept.denied, "audit --denied printed every kept denied call");
          KmsDecryptBenchmark.check(
              last100.lines == Math.min(100, kept.lines), "audit --last 100 printed 100");
          System.out.printf(
              Locale.ROOT,
              "| %,d | %s | %.1f MiB (%,d events) | %.0f | %,.0f | %.2f s | %.2f s (%,d lines) |"
                  + " %.2f s | %.2f s |%n",
              written,
              kept.describe(),
              kept.bytes / 1048576.0,
              kept.lines,
              kept.bytes / (double) kept.lines,
              writeRate,
              all.seconds,
              onlyDenied.seconds,
              onlyDenied.lines,
              json.seconds,
              last100.seconds);
        }
      }
    } finally {
      Files.deleteIfExists(file);
      for (int n = 1; n <= AuditRotation.MAX_KEEP; n++) {
        Files.deleteIfExists(AuditRotation.rotatedFile(file, n));
      }
      Files.deleteIfExists(state);
    }
  }

  /**
   * The files the log kept (current and rotated), their bytes, lines and denied calls' lines.
   *
   * @param sizes the size of each file, the current one first
   */
  private record Kept(List<Long> sizes, long bytes, long lines, long denied) {
    static Kept count(Path file) throws IOException {
      List<Long> sizes = new ArrayList<>();
      long bytes = 0;
      long lines = 0;
      long denied = 0;
      for (int n = 0; n <= AuditRotation.MAX_KEEP; n++) {
        Path path = n == 0 ? file : AuditRotation.rotatedFile(file, n);
        if (!Files.exists(path)) {
          continue;
        }
        sizes.add(Files.size(path));
        bytes += Files.size(path);
        try (Stream<String> each = Files.lines(path)) {
          for (String line : (Iterable<String>) each::iterator) {
            lines++;
            if (RequestLogEntry.of(AuditEvent.fromJson(line)).denied()) {
              denied++;
            }
          }
        }
      }
      return new Kept(sizes, bytes, lines, denied);
    }

    /** E.g. {@code 9 (1.2 + 8 × 64.0 MiB)}: how many files, the current one's size first. */
    String describe() {
      if (sizes.size() == 1) {
        return "1";
      }
      long full = sizes.get(1);
      boolean same =
          sizes.subList(1, sizes.size()).stream().allMatch(s -> s / 1048576 == full / 1048576);
      return same
          ? String.format(
              Locale.ROOT,
              "%d (%.1f + %d × %.1f MiB)",
              sizes.size(),
              sizes.get(0) / 1048576.0,
              sizes.size() - 1,
              full / 1048576.0)
          : sizes.size() + " " + sizes;
    }
  }

  /**
   * The audit events of {@value #TEMPLATE_CALLS} KMS calls of the soak's mix (Encrypt, Decrypt,
   * Decrypt with Recipient, denied Decrypt, GenerateDataKey, ListKeys, CreateKey) through the AWS
   * SDK against an emulated stack.
   */
  private static List<AuditEvent> recordedCalls() throws IOException {
    SoakTally tally = new SoakTally();
    try (SoakStack stack = SoakStack.start();
        CallDeadlines calls = new CallDeadlines(tally, Duration.ofSeconds(30));
        KmsTraffic traffic =
            new KmsTraffic(stack.env(), calls, Duration.ofSeconds(5), Duration.ofSeconds(30))) {
      SoakWorker worker = traffic.worker(14);
      for (int i = 0; i < TEMPLATE_CALLS; i++) {
        worker.step();
      }
      KmsDecryptBenchmark.check(
          tally.unexpected() == 0 && tally.hangs() == 0, "the template calls ran without failures");
      List<AuditEvent> events = stack.env().controls().kmsAuditEvents();
      return List.copyOf(
          events.subList(Math.max(0, events.size() - TEMPLATE_CALLS), events.size()));
    }
  }

  /** The template as a new call: a fresh event id, request id and the current time. */
  private static AuditEvent replay(AuditEvent t, long sequence) {
    return new AuditEvent(
        t.eventVersion(),
        t.userIdentity(),
        Instant.now(),
        t.eventName(),
        t.awsRegion(),
        t.sourceIpAddress(),
        t.userAgent(),
        t.errorCode(),
        t.errorMessage(),
        t.requestParametersJson(),
        t.responseElementsJson(),
        t.additionalEventDataJson(),
        new UUID(0x6e6974726f656d75L, sequence).toString(),
        UUID.randomUUID(),
        t.readOnly(),
        t.resources(),
        t.recipientAccountId());
  }

  private static String mix(List<AuditEvent> events) {
    Map<String, Integer> byName = new TreeMap<>();
    for (AuditEvent e : events) {
      byName.merge(
          e.eventName() + (e.errorCode() == null ? "" : " (" + e.errorCode() + ")"),
          1,
          Integer::sum);
    }
    return byName.toString();
  }

  /** One run of the command: its wall time and the lines it printed. */
  private record Query(double seconds, long lines) {}

  /**
   * Runs {@code nitro-emu audit --state-dir STATE [options]} from the CLI jar, counting its lines.
   */
  private static Query query(Path cliJar, Path state, String... options)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-jar");
    command.add(cliJar.toString());
    command.add("audit");
    command.add("--state-dir");
    command.add(state.toString());
    command.addAll(List.of(options));
    long start = System.nanoTime();
    Process process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    long lines = 0;
    boolean finished;
    try (InputStream out = process.getInputStream()) {
      Thread killer =
          new Thread(
              () -> {
                try {
                  if (!process.waitFor(QUERY_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                  }
                } catch (InterruptedException e) {
                  process.destroyForcibly();
                }
              });
      killer.setDaemon(true);
      killer.start();
      byte[] buffer = new byte[64 * 1024];
      for (int read; (read = out.read(buffer)) > 0; ) {
        for (int i = 0; i < read; i++) {
          if (buffer[i] == '\n') {
            lines++;
          }
        }
      }
      finished = process.waitFor(QUERY_TIMEOUT_MINUTES, TimeUnit.MINUTES);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    KmsDecryptBenchmark.check(
        finished && process.exitValue() == 0,
        "nitro-emu audit finished with exit code 0 within " + QUERY_TIMEOUT_MINUTES + " minutes");
    return new Query(seconds, lines);
  }
}
