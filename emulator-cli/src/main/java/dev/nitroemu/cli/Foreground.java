package dev.nitroemu.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a foreground command running until the JVM is asked to stop (Ctrl-C, SIGTERM), and holds
 * the JVM's exit until the command has closed what it opened.
 *
 * <p>Open it first in a try-with-resources, so it is closed last: the shutdown hook releases {@link
 * #await()}, the other resources close, then {@link #close()} lets the hook (and the JVM) finish.
 */
final class Foreground implements AutoCloseable {
  private static final long CLOSE_GRACE_SECONDS = 10;

  private final CountDownLatch stopping = new CountDownLatch(1);
  private final CountDownLatch closed = new CountDownLatch(1);
  private final Thread hook;

  Foreground() {
    hook = new Thread(this::onShutdown, "nitro-emu-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  private void onShutdown() {
    stopping.countDown();
    try {
      closed.await(CLOSE_GRACE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Blocks until the JVM begins to shut down. */
  void await() {
    try {
      stopping.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    closed.countDown();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running and has just been released.
    }
  }
}
