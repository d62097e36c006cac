package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclavetests.CollectorOutcome;
import dev.nitroemu.enclavetests.ResultCollector;
import dev.nitroemu.enclavetests.TestResult;
import dev.nitroemu.enclavetests.TestStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the runs a collector gathered into JUnit XML files (one per test class, plus one for stream
 * problems) and a verdict.
 */
public final class CollectionReport {

  private CollectionReport() {}

  /**
   * Writes the reports and decides the verdict.
   *
   * @param allEnded whether the expected runs all ended before the timeout
   */
  public static CollectorOutcome write(
      List<CollectedRun> runs,
      boolean allEnded,
      int expectedRuns,
      Duration timeout,
      Path reportsDir,
      Clock clock)
      throws IOException {
    List<String> problems = new ArrayList<>();
    Map<String, List<TestResult>> bySuite = new TreeMap<>();
    Map<String, ResultEvent.RunStarted> headers = new TreeMap<>();
    int headed = 0;
    for (CollectedRun run : runs) {
      if (run.problem() != null) {
        problems.add(run.problem());
      }
      if (run.header() == null) {
        continue;
      }
      headed++;
      for (TestResult result : run.results()) {
        String file = JUnitXmlWriter.fileName(result.className());
        bySuite.computeIfAbsent(file, f -> new ArrayList<>()).add(result);
        headers.putIfAbsent(file, run.header());
      }
    }
    long finished = runs.stream().filter(CollectedRun::finished).count();
    if (!allEnded && finished < expectedRuns) {
      problems.add(
          (headed == 0
                  ? "no run arrived"
                  : finished + " of " + expectedRuns + " expected runs finished")
              + " within "
              + timeout);
    }
    List<TestResult> all = bySuite.values().stream().flatMap(List::stream).toList();
    int failures = (int) all.stream().filter(r -> r.status() == TestStatus.FAILED).count();
    int errors = (int) all.stream().filter(r -> r.status() == TestStatus.ERROR).count();
    int skipped = (int) all.stream().filter(r -> r.status().isSkipped()).count();
    CollectorOutcome.Status status;
    if (failures + errors > 0) {
      status = CollectorOutcome.Status.FAILED;
    } else if (all.size() == skipped) {
      status = CollectorOutcome.Status.NO_RESULTS;
      problems.add(
          all.isEmpty()
              ? "no test result arrived"
              : "no test passed: all " + all.size() + " results were skipped");
    } else if (!problems.isEmpty()) {
      status = CollectorOutcome.Status.INCOMPLETE;
    } else {
      status = CollectorOutcome.Status.PASSED;
    }
    List<Path> reports = new ArrayList<>();
    for (Map.Entry<String, List<TestResult>> suite : bySuite.entrySet()) {
      ResultEvent.RunStarted header = headers.get(suite.getKey());
      Path file = reportsDir.resolve(suite.getKey());
      JUnitXmlWriter.write(
          file,
          suite.getValue().get(0).className(),
          suite.getValue(),
          properties(header),
          Instant.parse(header.startedAt()));
      reports.add(file);
    }
    if (!problems.isEmpty()) {
      reports.add(writeProblems(problems, reportsDir, clock));
    }
    return new CollectorOutcome(
        status, headed, all.size(), failures, errors, skipped, reports, problems);
  }

  private static Path writeProblems(List<String> problems, Path reportsDir, Clock clock)
      throws IOException {
    String suite = ResultCollector.SELF_SUITE;
    List<TestResult> cases = new ArrayList<>();
    for (int i = 0; i < problems.size(); i++) {
      cases.add(
          TestResult.bounded(
              suite + "/" + i,
              suite,
              "resultStream" + (i + 1),
              "result stream",
              TestStatus.ERROR,
              0,
              "dev.nitroemu.enclavetests.ResultStreamProblem",
              problems.get(i),
              null,
              null));
    }
    Path file = reportsDir.resolve(JUnitXmlWriter.fileName(suite));
    JUnitXmlWriter.write(file, suite, cases, Map.of(), clock.instant());
    return file;
  }

  private static Map<String, String> properties(ResultEvent.RunStarted header) {
    Map<String, String> properties = new LinkedHashMap<>();
    properties.put("nitro.mode", header.mode());
    properties.put("nitro.run.id", header.runId());
    properties.put("nitro.run.plannedTests", Integer.toString(header.plannedTests()));
    return properties;
  }
}
