package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Runs the soak's client calls, each under a deadline, and tallies how each ended: a watchdog
 * thread looks at the calls in flight every {@value #SCAN_MILLIS} ms, and one that has run past the
 * deadline is counted as a hang (with its thread's stack) and has its connections closed, so that
 * it ends.
 *
 * <p>A call's failure is "expected" only if it is a typed I/O failure ({@link IOException}, or the
 * {@link NsmException} {@code InternalError} that {@code RemoteNsm} wraps one in) on a connection
 * an injected fault may have hit; every other failure is unexpected.
 */
final class CallDeadlines implements AutoCloseable {

  static final long SCAN_MILLIS = 200;

  /**
   * Pause after a failed call, as a client backs off before trying again (a refused address is not
   * hammered).
   */
  static final long BACKOFF_MILLIS = 20;

  /** How a call ended. */
  enum Outcome {
    OK,
    EXPECTED,
    UNEXPECTED,
    HANG
  }

  /** What a call does; it may register what to close should it overrun its deadline. */
  @FunctionalInterface
  interface Body {
    void run(Call call) throws Exception;
  }

  private final SoakTally tally;
  private final long deadlineNanos;
  private final Set<Call> inFlight = ConcurrentHashMap.newKeySet();
  private final Thread watchdog;
  private volatile boolean closed;

  CallDeadlines(SoakTally tally, Duration deadline) {
    this.tally = tally;
    this.deadlineNanos = deadline.toNanos();
    this.watchdog = new Thread(this::watch, "soak-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
  }

  /**
   * Runs {@code body} as one operation of {@code kind} and tallies it; {@code mayBeFaulted} is
   * asked after a failure whether an injected fault may explain it. Never throws.
   */
  Outcome call(String kind, BooleanSupplier mayBeFaulted, Body body) {
    Call call = new Call(kind, Thread.currentThread());
    inFlight.add(call);
    Throwable failure = null;
    try {
      body.run(call);
    } catch (Throwable t) {
      failure = t;
    } finally {
      inFlight.remove(call);
    }
    synchronized (call) {
      if (call.hung) {
        return Outcome.HANG; // counted by the watchdog
      }
      call.done = true;
    }
    if (failure == null) {
      tally.ok(kind);
      return Outcome.OK;
    }
    Outcome outcome =
        isTypedIoFailure(failure) && mayBeFaulted.getAsBoolean()
            ? Outcome.EXPECTED
            : Outcome.UNEXPECTED;
    if (outcome == Outcome.EXPECTED) {
      tally.expected(kind, failure);
    } else {
      tally.unexpected(kind, failure);
    }
    backOff();
    return outcome;
  }

  private static void backOff() {
    try {
      Thread.sleep(BACKOFF_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Calls still running (e.g. at the end of the run). */
  int inFlight() {
    return inFlight.size();
  }

  @Override
  public void close() {
    closed = true;
    watchdog.interrupt();
  }

  /** Whether {@code failure} is how a client is promised to see a broken transport. */
  static boolean isTypedIoFailure(Throwable failure) {
    if (failure instanceof IOException) {
      return true;
    }
    return failure instanceof NsmException nsm
        && nsm.code() == ErrorCode.INTERNAL_ERROR
        && nsm.getCause() instanceof IOException;
  }

  private void watch() {
    while (!closed) {
      try {
        Thread.sleep(SCAN_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      for (Call call : inFlight) {
        if (now - call.startNanos > deadlineNanos) {
          expire(call);
        }
      }
    }
  }

  private void expire(Call call) {
    List<AutoCloseable> abort;
    synchronized (call) {
      if (call.hung || call.done) {
        return;
      }
      call.hung = true;
      abort = new ArrayList<>(call.onHang);
    }
    StringBuilder where =
        new StringBuilder(
            "thread "
                + call.thread.getName()
                + " blocked for over "
                + Duration.ofNanos(deadlineNanos).toSeconds()
                + " s at:\n");
    StackTraceElement[] stack = call.thread.getStackTrace();
    for (int i = 0; i < Math.min(stack.length, 16); i++) {
      where.append("  at ").append(stack[i]).append('\n');
    }
    tally.hang(call.kind, where.toString());
    abort.forEach(Closeables::closeQuietly);
  }

  /** One call in flight. */
  static final class Call {
    private final String kind;
    private final Thread thread;
    private final long startNanos = System.nanoTime();
    private final List<AutoCloseable> onHang = new ArrayList<>();
    private boolean hung;
    private boolean done;

    private Call(String kind, Thread thread) {
      this.kind = kind;
      this.thread = thread;
    }

    /** Closes {@code resource} if this call overruns its deadline, to unblock it; returns it. */
    synchronized <T extends AutoCloseable> T closeOnHang(T resource) {
      onHang.add(resource);
      return resource;
    }
  }
}
