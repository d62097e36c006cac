package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclavetests.TestResult;
import java.util.ArrayList;
import java.util.List;

/**
 * What the collector received on one connection: the run's header, its results, whether it finished
 * properly and, if not, why. Guarded by the collector's lock.
 */
public final class CollectedRun {

  private final String peer;
  private ResultEvent.RunStarted header;
  private final List<TestResult> results = new ArrayList<>();
  private boolean finished;
  private boolean ended;
  private String problem;
  private long bytes;

  public CollectedRun(String peer) {
    this.peer = peer;
  }

  /** The peer's vsock address, for messages. */
  public String peer() {
    return peer;
  }

  public ResultEvent.RunStarted header() {
    return header;
  }

  public void header(ResultEvent.RunStarted started) {
    this.header = started;
  }

  public List<TestResult> results() {
    return results;
  }

  public boolean finished() {
    return finished;
  }

  public void markFinished() {
    this.finished = true;
  }

  /** Marks the run as over (finished or cut off); true only the first time. */
  public boolean markEnded() {
    if (ended) {
      return false;
    }
    ended = true;
    return true;
  }

  /** The first problem seen on this run's connection, or null. */
  public String problem() {
    return problem;
  }

  /** Records a problem unless one is recorded already (the first one is the cause). */
  public void problem(String text) {
    if (problem == null) {
      problem = text;
    }
  }

  /** Adds {@code count} received bytes and returns the total. */
  public long addBytes(long count) {
    bytes += count;
    return bytes;
  }
}
