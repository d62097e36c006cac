package dev.nitroemu.bench;

import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A bounded soak of one emulator stack in this JVM ({@link SoakStack}): for {@code --minutes}
 * (default 10) or {@code --seconds}, client threads run NSM-over-vsock, vsock echo, vsock-proxy and
 * KMS traffic while {@link FaultSchedule} injects vsock faults; a line of counts every minute, then
 * a report of operations per kind, unexpected and expected failures, hangs, and file descriptors,
 * threads and heap (after a GC) before, during and after.
 *
 * <p>Exit code 0 only if no call failed unexpectedly, none overran its deadline, and file
 * descriptors and threads came back to within {@value #FD_MARGIN} / {@value #THREAD_MARGIN} of
 * their number before the stack started once everything is closed; 1 otherwise; 2 for a usage error
 * or a stack that does not start.
 */
public final class Soak {

  static final int FD_MARGIN = 4;
  static final int THREAD_MARGIN = 3;

  /** Longest run accepted: one day. */
  static final Duration MAX_DURATION = Duration.ofDays(1);

  /**
   * How long closed resources get to disappear (idle JDK and Netty helper threads end on their
   * own).
   */
  static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(90);

  private static final Duration CONNECT_TIMEOUT = VsockTransport.DEFAULT_CONNECT_TIMEOUT;
  private static final Duration REPORT_EVERY = Duration.ofMinutes(1);

  private final Duration duration;
  private final Duration callTimeout;
  private final long seed;
  private final PrintStream out;

  Soak(Duration duration, Duration callTimeout, long seed, PrintStream out) {
    this.duration = duration;
    this.callTimeout = callTimeout;
    this.seed = seed;
    this.out = out;
  }

  /**
   * {@code [--minutes N | --seconds N] [--call-timeout SECONDS] [--seed N]}; exits with the
   * verdict.
   */
  public static void main(String[] args) {
    Duration duration = Duration.ofMinutes(10);
    Duration callTimeout = Duration.ofSeconds(20);
    long seed = System.nanoTime();
    try {
      for (int i = 0; i < args.length; i++) {
        String option = args[i];
        String value = i + 1 < args.length ? args[++i] : "";
        switch (option) {
          case "--minutes" ->
              duration = Duration.ofMinutes(number(option, value, 1, MAX_DURATION.toMinutes()));
          case "--seconds" ->
              duration = Duration.ofSeconds(number(option, value, 1, MAX_DURATION.toSeconds()));
          case "--call-timeout" -> callTimeout = Duration.ofSeconds(number(option, value, 1, 300));
          case "--seed" -> seed = number(option, value, Long.MIN_VALUE, Long.MAX_VALUE);
          default ->
              throw new IllegalArgumentException(
                  "unknown option "
                      + option
                      + "; usage: Soak [--minutes N | --seconds N] [--call-timeout SECONDS] [--seed N]");
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("soak: " + e.getMessage());
      System.exit(2);
    }
    System.exit(new Soak(duration, callTimeout, seed, System.out).run());
  }

  /** Runs the soak and prints the report; returns the exit code. */
  int run() {
    // Everything is bounded, but if the bounds themselves fail, the process must still end.
    Thread guard =
        new Thread(
            () -> {
              try {
                Thread.sleep(
                    duration.plus(callDeadline()).plus(SETTLE_TIMEOUT).plusMinutes(3).toMillis());
                out.println("soak: FAIL: still running long after its time; halting");
                Runtime.getRuntime().halt(3);
              } catch (InterruptedException e) {
                // finished in time
              }
            },
            "soak-guard");
    guard.setDaemon(true);
    guard.start();
    try {
      return soak();
    } finally {
      guard.interrupt();
    }
  }

  private int soak() {
    out.printf(
        "soak: %s, call timeout %s (deadline %s), seed %d, %d cores, load average %s%n",
        duration,
        callTimeout,
        callDeadline(),
        seed,
        Runtime.getRuntime().availableProcessors(),
        loadAverage());
    ProcessVitals before = ProcessVitals.sample(true);
    out.println("before the stack: " + before.summary());
    SoakTally tally = new SoakTally();
    Traffic traffic = traffic(tally);
    if (traffic == null) {
      return 2;
    }
    ProcessVitals after = settle(before); // nothing of the stack is reachable any more
    return verdict(tally, before, traffic.atStart(), traffic.atEnd(), after, traffic.stuck());
  }

  /**
   * Vitals with the stack up after a GC, at the start and the end of traffic, and the client
   * threads that did not stop.
   */
  private record Traffic(ProcessVitals atStart, ProcessVitals atEnd, List<String> stuck) {}

  /**
   * Starts the stack, runs the traffic for the run's time and closes everything; null if setting up
   * failed.
   */
  private Traffic traffic(SoakTally tally) {
    SoakStack stack;
    try {
      stack = SoakStack.start();
    } catch (IOException | RuntimeException e) {
      out.println("soak: the stack did not start: " + SoakTally.describe(e));
      return null;
    }
    try (CallDeadlines calls = new CallDeadlines(tally, callDeadline());
        KmsTraffic kms = new KmsTraffic(stack.env(), calls, CONNECT_TIMEOUT, callTimeout)) {
      out.println("stack: " + stack.describe());
      ProcessVitals atStart = ProcessVitals.sample(true);
      out.println("stack started: " + atStart.summary());
      FaultSchedule faults =
          new FaultSchedule(
              stack.env().controls(),
              stack.faultTargets(),
              CONNECT_TIMEOUT,
              callTimeout,
              seed,
              tally);
      WorkerThreads workers = new WorkerThreads();
      startWorkers(workers, stack.env(), faults, calls, kms);
      Thread faultThread = new Thread(faults, "soak-faults");
      faultThread.setDaemon(true);
      faultThread.start();
      report(tally, workers.start());
      faults.stop();
      List<String> stuck = workers.stop(callDeadline().plusSeconds(5));
      faultThread.join(Duration.ofSeconds(5).toMillis());
      out.println("stack at the end: " + stack.describe());
      ProcessVitals atEnd = ProcessVitals.sample(true);
      out.println("threads at the end of traffic: " + atEnd.topThreads(8));
      return new Traffic(atStart, atEnd, stuck);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (RuntimeException e) {
      out.println("soak: setting up the clients failed: " + SoakTally.describe(e));
      return null;
    } finally {
      closeStack(stack);
    }
  }

  /** The soak's client threads; the proxy has more workers than there are proxy clients. */
  private void startWorkers(
      WorkerThreads workers,
      EnclaveEnvironment env,
      FaultSchedule faults,
      CallDeadlines calls,
      KmsTraffic kms) {
    NsmTraffic nsm = new NsmTraffic(env, SoakStack.NSM_ADDRESS, faults, calls, callTimeout);
    EchoTraffic echo =
        new EchoTraffic(env.transport(), faults, calls, CONNECT_TIMEOUT, callTimeout);
    long s = seed;
    for (int i = 0; i < 3; i++) {
      workers.add("soak-nsm-" + i, nsm.longLived(16 + i, s++));
    }
    workers.add("soak-nsm-short", nsm.shortLived(19, s++));
    for (int i = 0; i < 2; i++) {
      workers.add(
          "soak-vsock-short-" + i,
          echo.shortConnections("vsock.echo-short", SoakStack.ECHO_ADDRESS, s++));
      workers.add(
          "soak-proxy-short-" + i,
          echo.shortConnections("proxy.echo-short", SoakStack.PROXY_ADDRESS, s++));
    }
    workers.add(
        "soak-vsock-long", echo.longConnection("vsock.echo-long", SoakStack.ECHO_ADDRESS, s++));
    workers.add(
        "soak-proxy-long", echo.longConnection("proxy.echo-long", SoakStack.PROXY_ADDRESS, s++));
    for (int i = 0; i < 3; i++) {
      workers.add("soak-kms-" + i, kms.worker(s++));
    }
  }

  /** A line every minute until the run's time is up. */
  private void report(SoakTally tally, long startNanos) throws InterruptedException {
    long end = startNanos + duration.toNanos();
    long next = startNanos + REPORT_EVERY.toNanos();
    while (System.nanoTime() < end) {
      Thread.sleep(Math.max(1, Math.min(end, next) - System.nanoTime()) / 1_000_000 + 1);
      if (System.nanoTime() >= next || System.nanoTime() >= end) {
        long seconds = (System.nanoTime() - startNanos) / 1_000_000_000L;
        out.printf(
            "[%3d:%02d] %s | %s | load %s%n",
            seconds / 60,
            seconds % 60,
            tally.progressLine(),
            ProcessVitals.sample(false).summary(),
            loadAverage());
        next += REPORT_EVERY.toNanos();
      }
    }
  }

  private void closeStack(SoakStack stack) {
    try {
      stack.close();
    } catch (RuntimeException e) {
      out.println("closing the stack failed: " + SoakTally.describe(e));
    }
  }

  /**
   * Samples until descriptors and threads are back within the margins, or the settle timeout
   * passes.
   */
  private static ProcessVitals settle(ProcessVitals before) {
    long end = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    ProcessVitals now = ProcessVitals.sample(true);
    while (!withinMargins(before, now) && System.nanoTime() < end) {
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      now = ProcessVitals.sample(true);
    }
    return now;
  }

  private static boolean withinMargins(ProcessVitals before, ProcessVitals after) {
    return after.fds() <= before.fds() + FD_MARGIN
        && after.threads() <= before.threads() + THREAD_MARGIN;
  }

  private int verdict(
      SoakTally tally,
      ProcessVitals before,
      ProcessVitals atStart,
      ProcessVitals atEnd,
      ProcessVitals after,
      List<String> stuck) {
    out.println();
    out.print(tally.report());
    out.printf("%-22s %8s %8s %12s%n", "", "fds", "threads", "heap (GC'd)");
    for (Map.Entry<String, ProcessVitals> row :
        Map.of(
                "1 before the stack",
                before,
                "2 stack started",
                atStart,
                "3 end of traffic",
                atEnd,
                "4 all closed",
                after)
            .entrySet()
            .stream()
            .sorted(Map.Entry.comparingByKey())
            .toList()) {
      out.printf(
          "%-22s %8d %8d %12s%n",
          row.getKey().substring(2),
          row.getValue().fds(),
          row.getValue().threads(),
          row.getValue().heapMib());
    }
    List<String> grown = before.growthIn(after);
    out.println(
        "grown from before the stack to all closed: " + (grown.isEmpty() ? "nothing" : grown));
    out.println("load average at the end: " + loadAverage());
    List<String> failures = new ArrayList<>();
    if (tally.unexpected() > 0) {
      failures.add(tally.unexpected() + " unexpected failures");
    }
    if (tally.hangs() > 0) {
      failures.add(tally.hangs() + " calls overran their deadline");
    }
    if (!stuck.isEmpty()) {
      failures.add("client threads did not stop: " + stuck);
    }
    if (!withinMargins(before, after)) {
      failures.add(
          "leak: fds "
              + before.fds()
              + " -> "
              + after.fds()
              + ", threads "
              + before.threads()
              + " -> "
              + after.threads());
    }
    out.println(failures.isEmpty() ? "soak: PASS" : "soak: FAIL: " + String.join("; ", failures));
    return failures.isEmpty() ? 0 : 1;
  }

  /**
   * The watchdog's deadline for one call: a connect, the call's own timeout, and slack for a loaded
   * machine.
   */
  private Duration callDeadline() {
    return CONNECT_TIMEOUT.plus(callTimeout).plusSeconds(15);
  }

  /**
   * Throws {@link IllegalStateException} with {@code message} unless {@code ok}: an answer that is
   * wrong.
   */
  static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalStateException(message);
    }
  }

  private static long number(String option, String value, long min, long max) {
    try {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        option + " needs a whole number in " + min + ".." + max + ", got '" + value + "'");
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + " " + fields[1] + " " + fields[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
