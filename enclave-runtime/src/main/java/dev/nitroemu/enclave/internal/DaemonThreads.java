package dev.nitroemu.enclave.internal;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named daemon threads for the servers, so they never keep a JVM alive and show up by name in a
 * thread dump.
 */
public final class DaemonThreads {

  private static final long IDLE_THREAD_SECONDS = 30;

  private DaemonThreads() {}

  /** Daemon threads named {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory named(String prefix) {
    AtomicInteger counter = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * A pool of at most {@code threads} daemon threads, started on demand and ended after 30 s
   * unused. Its queue is unbounded: the caller bounds the tasks it submits (a server admits at most
   * so many connections), and tasks beyond {@code threads} wait for a thread.
   */
  public static ThreadPoolExecutor pool(String prefix, int threads) {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            threads,
            threads,
            IDLE_THREAD_SECONDS,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            named(prefix));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }
}
