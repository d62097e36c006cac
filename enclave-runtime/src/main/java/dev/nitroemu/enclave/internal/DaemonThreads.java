package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.VsockAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Named daemon threads for the servers, so they never keep a JVM alive and show up by name in a
 * thread dump, and the bounded waits and pauses of those threads.
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

  /**
   * The short form of a listener's address in thread names: {@code cid:port} style for vsock
   * ({@link VsockAddress#toShortString()}), {@code tcp<port>} for TCP, else its string.
   */
  public static String shortName(Object address) {
    if (address instanceof VsockAddress vsock) {
      return vsock.toShortString();
    }
    if (address instanceof InetSocketAddress inet) {
      return "tcp" + inet.getPort();
    }
    return String.valueOf(address);
  }

  /** A bounded wait whose interruption is passed on to the caller's thread. */
  @FunctionalInterface
  public interface BoundedWait {
    /** Waits, for a bounded time; the result (whether the wait completed) is ignored. */
    boolean await() throws InterruptedException;
  }

  /** Runs {@code wait}; if interrupted, restores the thread's interrupt flag and returns. */
  public static void awaitQuietly(BoundedWait wait) {
    try {
      wait.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Sleeps {@code millis} so a persistent failure does not spin; false (with the interrupt flag
   * restored) if interrupted.
   */
  public static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
