package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclavetests.internal.ResultCodec;
import dev.nitroemu.enclavetests.internal.ResultEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

@Timeout(60)
class ResultCollectorTest {

  private static final String NOW = "2026-05-01T10:00:00Z";

  private final VsockNetwork network = VsockNetwork.create();

  @TempDir Path reports;

  @AfterEach
  void closeNetwork() throws Exception {
    network.close();
  }

  @Test
  void completeRunWithPassingTestsPasses() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(30), 1)) {
      try (VsockConnection client = connect(collector)) {
        send(client, started("run-1", 2));
        send(client, finished(passing("a.B", "one()")));
        send(client, finished(passing("a.C", "two()")));
        send(client, new ResultEvent.RunFinished(2, 0, 0, NOW));
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.PASSED);
      assertThat(outcome.summary())
          .isEqualTo("PASSED: 1 run, 2 tests, 0 failures, 0 errors, 0 skipped");
      assertThat(Reports.files(reports)).containsExactly("TEST-a.B.xml", "TEST-a.C.xml");
      assertThat(outcome.reports())
          .containsExactly(reports.resolve("TEST-a.B.xml"), reports.resolve("TEST-a.C.xml"));
      assertThat(collector.awaitOutcome()).isSameAs(outcome);
    }
  }

  @Test
  void nothingArrivingBeforeTheTimeoutIsNoResults() throws Exception {
    try (ResultCollector collector = start(Duration.ofMillis(300), 1)) {
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.NO_RESULTS);
      assertThat(outcome.exitCode()).isEqualTo(3);
      assertThat(outcome.problems())
          .containsExactly("no run arrived within PT0.3S", "no test result arrived");
      Element suite = Reports.suite(reports, ResultCollector.SELF_SUITE);
      assertThat(suite.getAttribute("errors")).isEqualTo("2");
      assertThat(
              Reports.child(Reports.testCase(suite, "resultStream1"), "error")
                  .getAttribute("message"))
          .isEqualTo("no run arrived within PT0.3S");
    }
  }

  @Test
  void runCutOffBeforeRunFinishedIsIncomplete() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(30), 1)) {
      try (VsockConnection client = connect(collector)) {
        send(client, started("run-cut", 5));
        send(client, finished(passing("a.B", "one()")));
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.INCOMPLETE);
      assertThat(outcome.exitCode()).isEqualTo(4);
      assertThat(outcome.tests()).isEqualTo(1);
      assertThat(outcome.problems())
          .anySatisfy(p -> assertThat(p).contains("ended after 1 results without runFinished"));
      assertThat(Reports.suite(reports, "a.B").getAttribute("tests")).isEqualTo("1");
    }
  }

  @Test
  void aFailureWinsOverEverythingElse() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(30), 1)) {
      try (VsockConnection client = connect(collector)) {
        send(client, started("run-f", 2));
        send(client, finished(passing("a.B", "one()")));
        send(
            client,
            finished(
                new TestResult(
                    "[m:two]",
                    "a.B",
                    "two()",
                    "two",
                    TestStatus.FAILED,
                    4,
                    "java.lang.AssertionError",
                    "nope",
                    "trace")));
        send(client, new ResultEvent.RunFinished(2, 1, 0, NOW));
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.FAILED);
      assertThat(outcome.exitCode()).isEqualTo(1);
      assertThat(Reports.suite(reports, "a.B").getAttribute("failures")).isEqualTo("1");
    }
  }

  @Test
  void countsThatDisagreeWithWhatArrivedMakeTheRunIncomplete() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(30), 1)) {
      try (VsockConnection client = connect(collector)) {
        send(client, started("run-lost", 3));
        send(client, finished(passing("a.B", "one()")));
        send(client, new ResultEvent.RunFinished(3, 0, 0, NOW));
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.INCOMPLETE);
      assertThat(outcome.problems())
          .containsExactly(
              "run run-lost reported 3 results, 0 failures, 0 skipped but sent 1, 0, 0");
    }
  }

  @Test
  void onlySkippedResultsCountAsNoResults() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(30), 1)) {
      try (VsockConnection client = connect(collector)) {
        send(client, started("run-s", 1));
        send(
            client,
            finished(
                new TestResult(
                    "[m:s]",
                    "a.B",
                    "s()",
                    "s",
                    TestStatus.SKIPPED,
                    0,
                    null,
                    "requires Nitro",
                    null)));
        send(client, new ResultEvent.RunFinished(1, 0, 1, NOW));
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.NO_RESULTS);
      assertThat(outcome.problems()).containsExactly("no test passed: all 1 results were skipped");
    }
  }

  @Test
  void oversizedFrameIsRefusedAndTheRunMarkedIncomplete() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(30), 1)) {
      try (VsockConnection client = connect(collector)) {
        send(client, started("run-big", 1));
        send(client, finished(passing("a.B", "one()")));
        OutputStream out = client.outputStream();
        out.write(new byte[] {0x7F, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
        out.flush();
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.INCOMPLETE);
      assertThat(outcome.problems())
          .anySatisfy(
              p ->
                  assertThat(p)
                      .contains(
                          "broke off: frame of 2147483647 bytes exceeds the limit of "
                              + ResultCodec.MAX_FRAME_SIZE));
    }
  }

  @Test
  void malformedMessagesAndOutOfOrderRunsAreProblems() throws Exception {
    try (ResultCollector collector = start(Duration.ofSeconds(1), 2)) {
      try (VsockConnection garbage = connect(collector)) {
        Frames.write(garbage.outputStream(), "{\"type\":".getBytes(StandardCharsets.UTF_8));
      }
      try (VsockConnection headless = connect(collector)) {
        send(headless, finished(passing("a.B", "one()")));
      }
      try (VsockConnection good = connect(collector)) {
        send(good, started("run-ok", 1));
        send(good, finished(passing("a.B", "two()")));
        send(good, new ResultEvent.RunFinished(1, 0, 0, NOW));
      }
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.INCOMPLETE);
      assertThat(outcome.runs()).isEqualTo(1);
      assertThat(outcome.problems())
          .anySatisfy(p -> assertThat(p).contains("not valid JSON"))
          .anySatisfy(p -> assertThat(p).contains("did not start with runStarted"))
          .anySatisfy(p -> assertThat(p).isEqualTo("1 of 2 expected runs finished within PT1S"));
    }
  }

  @Test
  void staleReportsAreRemovedWhenTheCollectorStarts() throws Exception {
    Files.writeString(reports.resolve("TEST-old.Suite.xml"), "<testsuite/>");
    Files.writeString(reports.resolve("notes.txt"), "kept");
    try (ResultCollector collector = start(Duration.ofMillis(100), 1)) {
      collector.awaitOutcome();
    }

    assertThat(Reports.files(reports))
        .containsExactly("TEST-" + ResultCollector.SELF_SUITE + ".xml", "notes.txt");
  }

  @Test
  void misuseFailsWithAMessageSayingWhatToDo() throws Exception {
    ResultCollector notStarted = ResultCollector.builder(network).reportsDir(reports).build();
    assertThatThrownBy(notStarted::localAddress).hasMessage("call start() first");
    assertThatThrownBy(notStarted::awaitOutcome).hasMessage("call start() first");
    assertThatThrownBy(() -> ResultCollector.builder(network).build())
        .hasMessage("call reportsDir(...) first");
    assertThatThrownBy(() -> ResultCollector.builder(network).timeout(Duration.ZERO))
        .hasMessage("timeout must be positive, was PT0S");
    assertThatThrownBy(() -> ResultCollector.builder(network).expectedRuns(0))
        .hasMessage("expected runs must be in 1..64, was 0");
    try (ResultCollector started = start(Duration.ofSeconds(1), 1)) {
      assertThatThrownBy(started::start).hasMessage("start() already called");
    }
  }

  private ResultCollector start(Duration timeout, int runs) throws IOException {
    return ResultCollector.builder(network)
        .listenAddress(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY))
        .reportsDir(reports)
        .timeout(timeout)
        .expectedRuns(runs)
        .build()
        .start();
  }

  private VsockConnection connect(ResultCollector collector) throws IOException {
    return network.connect(collector.localAddress().withCid(VsockAddress.CID_PARENT));
  }

  private static void send(VsockConnection connection, ResultEvent event) throws IOException {
    Frames.write(connection.outputStream(), ResultCodec.encode(event));
  }

  private static ResultEvent.RunStarted started(String runId, int planned) {
    return new ResultEvent.RunStarted(runId, "emulated", planned, NOW);
  }

  private static ResultEvent.TestFinished finished(TestResult result) {
    return new ResultEvent.TestFinished(result);
  }

  private static TestResult passing(String className, String name) {
    return new TestResult(
        "[class:" + className + "]/[method:" + name + "]",
        className,
        name,
        name,
        TestStatus.SUCCESSFUL,
        1,
        null,
        null,
        null);
  }
}
