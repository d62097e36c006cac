package dev.nitroemu.stack.internal;

import dev.nitroemu.enclave.Closeables;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Closes what was opened, newest first, even when some of it fails to close: the first failure is
 * thrown, unchecked, with the later ones attached as suppressed exceptions.
 */
public final class Closer implements AutoCloseable {

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final List<AutoCloseable> registered = new ArrayList<>();
  private boolean closed;

  /** Registers {@code resource} to be closed (null is ignored) and returns it. */
  public synchronized <T extends AutoCloseable> T register(T resource) {
    if (closed) {
      throw new IllegalStateException("close() already called");
    }
    if (resource != null) {
      resources.push(resource);
      registered.add(resource);
    }
    return resource;
  }

  /** Everything ever registered, oldest first, closed or not; for diagnostics and tests. */
  public synchronized List<AutoCloseable> registered() {
    return List.copyOf(registered);
  }

  /**
   * Closes everything registered, newest first; idempotent.
   *
   * @throws RuntimeException the first resource's failure as thrown if unchecked, an {@link
   *     UncheckedIOException} for an {@link IOException}, else an {@link IllegalStateException}
   *     with the checked failure as cause; later failures are suppressed exceptions of the first
   */
  @Override
  public void close() {
    Exception first = null;
    while (true) {
      AutoCloseable next;
      synchronized (this) {
        closed = true;
        next = resources.poll();
      }
      if (next == null) {
        break;
      }
      try {
        next.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw unchecked(first);
    }
  }

  private static RuntimeException unchecked(Exception failure) {
    if (failure instanceof RuntimeException runtime) {
      return runtime;
    }
    if (failure instanceof IOException io) {
      return new UncheckedIOException("cannot close " + failure.getMessage(), io);
    }
    if (failure instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    return new IllegalStateException("cannot close a resource: " + failure, failure);
  }

  /**
   * Closes everything after a failure, attaching any close failure to {@code failure}, and returns
   * it.
   */
  public <T extends Throwable> T closeAfter(T failure) {
    return Closeables.closeAfter(this, failure);
  }
}
