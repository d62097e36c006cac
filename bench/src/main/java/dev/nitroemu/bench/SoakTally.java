package dev.nitroemu.bench;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's counts: for each kind of operation how many succeeded, failed as an injected fault
 * explains ("expected"), failed otherwise ("unexpected") or overran their deadline ("hang"); the
 * first few unexpected failures and hangs in full, and the expected ones by exception type.
 * Thread-safe.
 */
final class SoakTally {

  /** Unexpected failures and hangs kept in full for the report; later ones are only counted. */
  static final int MAX_SAMPLES = 8;

  private static final int MAX_STACK_LINES = 14;

  private final Map<String, Counts> byKind = new ConcurrentSkipListMap<>();
  private final Map<String, LongAdder> expectedByType = new ConcurrentSkipListMap<>();
  private final Map<String, LongAdder> faultsInjected = new ConcurrentHashMap<>();
  private final List<String> samples = new ArrayList<>();

  /** One operation of {@code kind} succeeded. */
  void ok(String kind) {
    counts(kind).ok.increment();
  }

  /**
   * One operation of {@code kind} failed with {@code failure} on a connection an injected fault may
   * have hit.
   */
  void expected(String kind, Throwable failure) {
    counts(kind).expected.increment();
    expectedByType.computeIfAbsent(kind + ": " + types(failure), k -> new LongAdder()).increment();
  }

  /** One operation of {@code kind} failed where no injected fault explains it. */
  void unexpected(String kind, Throwable failure) {
    counts(kind).unexpected.increment();
    sample("UNEXPECTED " + kind + ": " + describe(failure) + "\n" + stack(failure));
  }

  /**
   * One operation of {@code kind} overran its deadline; {@code where} is the blocked thread's
   * stack.
   */
  void hang(String kind, String where) {
    counts(kind).hangs.increment();
    sample("HANG " + kind + "\n" + where);
  }

  /** A fault was installed. */
  void faultInjected(String description) {
    faultsInjected.computeIfAbsent(description, k -> new LongAdder()).increment();
  }

  long operations() {
    return byKind.values().stream()
        .mapToLong(c -> c.ok.sum() + c.expected.sum() + c.unexpected.sum() + c.hangs.sum())
        .sum();
  }

  long unexpected() {
    return byKind.values().stream().mapToLong(c -> c.unexpected.sum()).sum();
  }

  long expected() {
    return byKind.values().stream().mapToLong(c -> c.expected.sum()).sum();
  }

  long hangs() {
    return byKind.values().stream().mapToLong(c -> c.hangs.sum()).sum();
  }

  long faultsInjected() {
    return faultsInjected.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /**
   * The one-line progress summary: operations by group (the kind up to its dot), then the failure
   * counts.
   */
  String progressLine() {
    Map<String, Long> groups = new java.util.TreeMap<>();
    byKind.forEach(
        (kind, c) ->
            groups.merge(
                kind.substring(0, Math.max(0, kind.indexOf('.'))),
                c.ok.sum() + c.expected.sum() + c.unexpected.sum() + c.hangs.sum(),
                Long::sum));
    StringBuilder line = new StringBuilder();
    groups.forEach((group, n) -> line.append(group).append('=').append(n).append(' '));
    return line
        + "| ops="
        + operations()
        + " unexpected="
        + unexpected()
        + " expected="
        + expected()
        + " hangs="
        + hangs()
        + " faults="
        + faultsInjected();
  }

  /** The full table, the expected failures by type, the faults injected and the samples. */
  String report() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "%-26s %9s %9s %9s %6s%n", "operation", "ok", "expected", "unexpected", "hangs"));
    byKind.forEach(
        (kind, c) ->
            out.append(
                String.format(
                    "%-26s %9d %9d %9d %6d%n",
                    kind, c.ok.sum(), c.expected.sum(), c.unexpected.sum(), c.hangs.sum())));
    out.append(
        String.format(
            "%-26s %9d %9d %9d %6d%n",
            "total",
            operations() - expected() - unexpected() - hangs(),
            expected(),
            unexpected(),
            hangs()));
    if (!faultsInjected.isEmpty()) {
      out.append("faults injected:\n");
      new ConcurrentSkipListMap<>(faultsInjected)
          .forEach((f, n) -> out.append("  ").append(n.sum()).append(" x ").append(f).append('\n'));
    }
    if (!expectedByType.isEmpty()) {
      out.append("expected failures (on connections an injected fault may have hit), by type:\n");
      expectedByType.forEach(
          (type, n) -> out.append("  ").append(n.sum()).append(" x ").append(type).append('\n'));
    }
    synchronized (samples) {
      if (!samples.isEmpty()) {
        out.append("first unexpected failures and hangs:\n");
        samples.forEach(s -> out.append(s.indent(2)));
      }
    }
    return out.toString();
  }

  private Counts counts(String kind) {
    return byKind.computeIfAbsent(kind, k -> new Counts());
  }

  private void sample(String text) {
    synchronized (samples) {
      if (samples.size() < MAX_SAMPLES) {
        samples.add(text);
      }
    }
  }

  /**
   * The exception's type and message, and its causes', e.g. "NsmException: ... <- SocketException:
   * Connection reset".
   */
  static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (text.length() > 0) {
        text.append(" <- ");
      }
      text.append(t.getClass().getName())
          .append(t.getMessage() == null ? "" : ": " + oneLine(t.getMessage()));
      if (text.length() > 600) {
        break;
      }
    }
    return text.toString();
  }

  /** The exception's type and its causes' types, e.g. "NsmException <- SocketTimeoutException". */
  static String types(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      text.append(text.length() > 0 ? " <- " : "").append(t.getClass().getSimpleName());
    }
    return text.toString();
  }

  private static String oneLine(String message) {
    String line = message.replaceAll("\\s+", " ");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  private static String stack(Throwable failure) {
    StringWriter text = new StringWriter();
    failure.printStackTrace(new PrintWriter(text));
    String[] lines = text.toString().split("\n");
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < Math.min(lines.length, MAX_STACK_LINES); i++) {
      out.append(lines[i].strip()).append('\n');
    }
    return out.toString();
  }

  private static final class Counts {
    final LongAdder ok = new LongAdder();
    final LongAdder expected = new LongAdder();
    final LongAdder unexpected = new LongAdder();
    final LongAdder hangs = new LongAdder();
  }
}
