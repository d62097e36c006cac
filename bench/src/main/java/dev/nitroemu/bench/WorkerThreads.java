package dev.nitroemu.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The soak's client threads: each runs its {@link SoakWorker}'s steps until stopped, then closes
 * it.
 */
final class WorkerThreads {

  private final Map<String, SoakWorker> workers = new LinkedHashMap<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  /** Adds a worker to start with the others. */
  void add(String name, SoakWorker worker) {
    if (workers.putIfAbsent(name, worker) != null) {
      throw new IllegalArgumentException("two workers named " + name);
    }
  }

  /**
   * Starts every worker on a daemon thread of its name; returns the start time ({@link
   * System#nanoTime()}).
   */
  long start() {
    running = true;
    workers.forEach(
        (name, worker) -> {
          Thread thread =
              new Thread(
                  () -> {
                    try {
                      while (running) {
                        worker.step();
                      }
                    } finally {
                      worker.close();
                    }
                  },
                  name);
          thread.setDaemon(true);
          threads.add(thread);
        });
    long start = System.nanoTime();
    threads.forEach(Thread::start);
    return start;
  }

  /**
   * Asks every worker to stop after its current step; returns the names of those still running
   * after {@code wait}.
   */
  List<String> stop(Duration wait) throws InterruptedException {
    running = false;
    long end = System.nanoTime() + wait.toNanos();
    List<String> stuck = new ArrayList<>();
    for (Thread thread : threads) {
      thread.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
      if (thread.isAlive()) {
        stuck.add(thread.getName());
      }
    }
    return stuck;
  }
}
