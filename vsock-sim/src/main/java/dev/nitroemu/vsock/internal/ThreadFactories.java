package dev.nitroemu.vsock.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Thread factories for the servers in this module: named daemon threads, so they never keep a JVM alive. */
public final class ThreadFactories {

  private ThreadFactories() {}

  /** Daemon threads named {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory daemon(String prefix) {
    AtomicInteger counter = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
