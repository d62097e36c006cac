package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TestResultTest {

  @Test
  void boundedCutsLongTextToItsLimitWithAMark() {
    String longMessage = "m".repeat(TestResult.MAX_MESSAGE_LENGTH + 100);
    TestResult result =
        TestResult.bounded(
            "id",
            "a.B",
            "c()",
            "c()",
            TestStatus.FAILED,
            5,
            "E",
            longMessage,
            "s".repeat(TestResult.MAX_STACK_TRACE_LENGTH * 2),
            "o".repeat(TestResult.MAX_OUTPUT_LENGTH + 1));

    assertThat(result.message())
        .hasSize(TestResult.MAX_MESSAGE_LENGTH)
        .endsWith(TestResult.TRUNCATION_MARK);
    assertThat(result.stackTrace())
        .hasSize(TestResult.MAX_STACK_TRACE_LENGTH)
        .endsWith(TestResult.TRUNCATION_MARK);
    assertThat(result.output())
        .hasSize(TestResult.MAX_OUTPUT_LENGTH)
        .endsWith(TestResult.TRUNCATION_MARK);
  }

  @Test
  void boundedNeverSplitsASurrogatePair() {
    int keep = TestResult.MAX_MESSAGE_LENGTH - TestResult.TRUNCATION_MARK.length();
    String message = "x".repeat(keep - 1) + "\uD83D\uDE80" + "y".repeat(200);
    TestResult result =
        TestResult.bounded(
            "id", "a.B", "c()", "c()", TestStatus.FAILED, 0, null, message, null, null);

    String kept =
        result
            .message()
            .substring(0, result.message().length() - TestResult.TRUNCATION_MARK.length());
    assertThat(kept).isEqualTo("x".repeat(keep - 1));
  }

  @Test
  void boundedReplacesMissingNamesAndNegativeDurations() {
    TestResult result =
        TestResult.bounded(null, " ", "c()", "", TestStatus.SUCCESSFUL, -3, null, null, null, null);

    assertThat(result.id()).isEqualTo("?");
    assertThat(result.className()).isEqualTo("?");
    assertThat(result.displayName()).isEqualTo("?");
    assertThat(result.durationMillis()).isZero();
  }

  @Test
  void constructorRejectsWhatTheWireMustNotCarry() {
    assertThatThrownBy(
            () ->
                new TestResult(
                    "id",
                    "a.B",
                    "n",
                    "d",
                    TestStatus.FAILED,
                    1,
                    null,
                    "m".repeat(TestResult.MAX_MESSAGE_LENGTH + 1),
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("message has 8193 characters");
    assertThatThrownBy(
            () -> new TestResult("", "a.B", "n", "d", TestStatus.FAILED, 1, null, null, null))
        .hasMessage("id is missing");
    assertThatThrownBy(
            () -> new TestResult("id", "a.B", "n", "d", TestStatus.FAILED, -1, null, null, null))
        .hasMessage("durationMillis must be >= 0, was -1");
    assertThatThrownBy(() -> new TestResult("id", "a.B", "n", "d", null, 1, null, null, null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void statusesMapOntoReportElements() {
    assertThat(TestStatus.FAILED.isFailure()).isTrue();
    assertThat(TestStatus.ERROR.isFailure()).isTrue();
    assertThat(TestStatus.ABORTED.isSkipped()).isTrue();
    assertThat(TestStatus.SKIPPED.isSkipped()).isTrue();
    assertThat(TestStatus.SUCCESSFUL.isFailure() || TestStatus.SUCCESSFUL.isSkipped()).isFalse();
  }
}
