package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclavetests.TestResult;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * One message of the result stream; a run is {@link RunStarted}, any number of {@link
 * TestFinished}, then {@link RunFinished}, on one connection.
 */
public sealed interface ResultEvent {

  /** Longest run id and mode text. */
  int MAX_SHORT_TEXT = 128;

  /**
   * Opens a run.
   *
   * @param runId unique per run (the streamer uses a random UUID)
   * @param mode the nitro mode the tests ran in ({@code emulated} or {@code real})
   * @param plannedTests how many tests the plan holds, {@code >= 0}
   * @param startedAt ISO-8601 instant
   */
  record RunStarted(String runId, String mode, int plannedTests, String startedAt)
      implements ResultEvent {
    public RunStarted {
      requireShort("runId", runId);
      requireShort("mode", mode);
      requireInstant("startedAt", startedAt);
      if (plannedTests < 0) {
        throw new IllegalArgumentException("plannedTests must be >= 0, was " + plannedTests);
      }
    }
  }

  /** One finished test. */
  record TestFinished(TestResult result) implements ResultEvent {
    public TestFinished {
      Objects.requireNonNull(result, "result");
    }
  }

  /**
   * Closes a run with the sender's own counts, which the collector checks against what it received.
   *
   * @param tests results sent
   * @param failures results with status FAILED or ERROR
   * @param skipped results with status ABORTED or SKIPPED
   * @param finishedAt ISO-8601 instant
   */
  record RunFinished(int tests, int failures, int skipped, String finishedAt)
      implements ResultEvent {
    public RunFinished {
      requireInstant("finishedAt", finishedAt);
      if (tests < 0 || failures < 0 || skipped < 0 || failures + (long) skipped > tests) {
        throw new IllegalArgumentException(
            "inconsistent counts: tests="
                + tests
                + " failures="
                + failures
                + " skipped="
                + skipped);
      }
    }
  }

  private static void requireInstant(String field, String value) {
    requireShort(field, value);
    try {
      Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(field + " is not an ISO-8601 instant: " + value);
    }
  }

  private static void requireShort(String field, String value) {
    if (value == null || value.isBlank() || value.length() > MAX_SHORT_TEXT) {
      throw new IllegalArgumentException(field + " must be 1.." + MAX_SHORT_TEXT + " characters");
    }
  }
}
