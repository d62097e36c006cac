package dev.nitroemu.enclave.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Ends pump joins whose reads cannot time out (blocking channels ignore {@code SO_TIMEOUT}) once no
 * byte has moved for the idle timeout: one daemon thread per pump, waking only when a watched
 * join's deadline comes, started on demand and ended when nothing is watched.
 */
public final class IdleWatchdog implements AutoCloseable {

  private static final long IDLE_THREAD_SECONDS = 60;

  private final ScheduledThreadPoolExecutor timer;
  private final long idleNanos;

  /**
   * A watchdog with a thread named after {@code name}, for joins idle after {@code idleTimeout}.
   */
  public IdleWatchdog(String name, Duration idleTimeout) {
    this.idleNanos = idleTimeout.toNanos();
    if (idleNanos <= 0) {
      throw new IllegalArgumentException("idle timeout must be positive, was " + idleTimeout);
    }
    this.timer = new ScheduledThreadPoolExecutor(1, DaemonThreads.named(name + "-idle"));
    timer.setRemoveOnCancelPolicy(true); // A join that ended leaves nothing queued behind.
    timer.setKeepAliveTime(IDLE_THREAD_SECONDS, TimeUnit.SECONDS);
    timer.allowCoreThreadTimeOut(true);
  }

  /**
   * Starts watching one join: {@code onIdle} runs once, on the watchdog's thread, if {@code
   * lastActivity} (a {@link System#nanoTime()} reading) falls the idle timeout behind. Stop the
   * watch when the join ends.
   *
   * @throws java.util.concurrent.RejectedExecutionException if the watchdog is closed
   */
  public Watch watch(LongSupplier lastActivity, Runnable onIdle) {
    Watch watch = new Watch(lastActivity, onIdle);
    watch.schedule(idleNanos);
    return watch;
  }

  /** Stops the thread; joins still watched are no longer ended by it. */
  @Override
  public void close() {
    timer.shutdownNow();
  }

  /** One watched join; re-arms itself at the join's last activity plus the idle timeout. */
  public final class Watch implements Runnable {
    private final LongSupplier lastActivity;
    private final Runnable onIdle;
    private ScheduledFuture<?> next;
    private boolean stopped;

    private Watch(LongSupplier lastActivity, Runnable onIdle) {
      this.lastActivity = lastActivity;
      this.onIdle = onIdle;
    }

    @Override
    public void run() {
      long silentFor = System.nanoTime() - lastActivity.getAsLong();
      synchronized (this) {
        if (stopped) {
          return;
        }
        if (silentFor < idleNanos) {
          if (!timer.isShutdown()) {
            schedule(idleNanos - silentFor);
          }
          return;
        }
        stopped = true;
      }
      onIdle.run();
    }

    /** Stops watching; idempotent. */
    public synchronized void stop() {
      stopped = true;
      if (next != null) {
        next.cancel(false);
      }
    }

    private synchronized void schedule(long delayNanos) {
      if (!stopped) {
        next = timer.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
      }
    }
  }
}
