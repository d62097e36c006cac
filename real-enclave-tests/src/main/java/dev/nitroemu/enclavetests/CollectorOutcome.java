package dev.nitroemu.enclavetests;

import java.nio.file.Path;
import java.util.List;

/**
 * What a {@link ResultCollector} gathered: counts over every run, the report files it wrote, the
 * problems it saw, and the verdict with its process exit code.
 *
 * @param status the verdict
 * @param runs runs that sent a header
 * @param tests results received (tests plus containers that failed or were skipped as a whole)
 * @param failures results with status {@link TestStatus#FAILED}
 * @param errors results with status {@link TestStatus#ERROR}
 * @param skipped results with status {@link TestStatus#ABORTED} or {@link TestStatus#SKIPPED}
 * @param reports the JUnit XML files written
 * @param problems what went wrong with the stream itself (no connection, cut-off runs, bad frames)
 */
public record CollectorOutcome(
    Status status,
    int runs,
    int tests,
    int failures,
    int errors,
    int skipped,
    List<Path> reports,
    List<String> problems) {

  /** The verdict on a collection, in order of precedence. */
  public enum Status {
    /** Every expected run finished, at least one test passed, nothing failed. */
    PASSED(0),
    /** At least one test failed or errored. */
    FAILED(1),
    /** No result arrived, or none of them passed (all skipped), before the timeout. */
    NO_RESULTS(3),
    /**
     * Results arrived, but a run was cut off, broke the protocol, or an expected run never came.
     */
    INCOMPLETE(4);

    private final int exitCode;

    Status(int exitCode) {
      this.exitCode = exitCode;
    }

    /** The collector's process exit code for this verdict. */
    public int exitCode() {
      return exitCode;
    }
  }

  public CollectorOutcome {
    reports = List.copyOf(reports);
    problems = List.copyOf(problems);
  }

  /** The process exit code: 0 only for {@link Status#PASSED}. */
  public int exitCode() {
    return status.exitCode();
  }

  /** One line for logs, e.g. {@code FAILED: 1 run, 12 tests, 1 failure, 0 errors, 2 skipped}. */
  public String summary() {
    StringBuilder line =
        new StringBuilder(status.name())
            .append(": ")
            .append(runs)
            .append(runs == 1 ? " run, " : " runs, ")
            .append(tests)
            .append(tests == 1 ? " test, " : " tests, ")
            .append(failures)
            .append(failures == 1 ? " failure, " : " failures, ")
            .append(errors)
            .append(errors == 1 ? " error, " : " errors, ")
            .append(skipped)
            .append(" skipped");
    for (String problem : problems) {
      line.append("; ").append(problem);
    }
    return line.toString();
  }
}
