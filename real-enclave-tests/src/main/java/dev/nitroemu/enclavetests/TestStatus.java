package dev.nitroemu.enclavetests;

/**
 * How one test (or a container that failed or was skipped as a whole) ended, in the terms of a
 * JUnit XML report.
 */
public enum TestStatus {
  /** Passed. */
  SUCCESSFUL,
  /** An assertion failed ({@link AssertionError}); a {@code <failure>} element. */
  FAILED,
  /** Another exception escaped; an {@code <error>} element. */
  ERROR,
  /** An assumption did not hold, so the test stopped early; a {@code <skipped>} element. */
  ABORTED,
  /**
   * Not run at all (disabled, or a condition such as {@code @RequiresNitro} said no); {@code
   * <skipped>}.
   */
  SKIPPED;

  /** Whether this status makes a run fail. */
  public boolean isFailure() {
    return this == FAILED || this == ERROR;
  }

  /** Whether the report shows this status as {@code <skipped>}. */
  public boolean isSkipped() {
    return this == ABORTED || this == SKIPPED;
  }
}
