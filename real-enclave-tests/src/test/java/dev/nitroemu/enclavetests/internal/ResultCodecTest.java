package dev.nitroemu.enclavetests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclavetests.TestResult;
import dev.nitroemu.enclavetests.TestStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ResultCodecTest {

  private static final TestResult FAILED =
      new TestResult(
          "[engine:junit-jupiter]/[class:a.B]/[method:c()]",
          "a.B",
          "c()",
          "c is fine",
          TestStatus.FAILED,
          12,
          "org.opentest4j.AssertionFailedError",
          "expected <1> but was <2>",
          "org.opentest4j.AssertionFailedError: expected\n\tat a.B.c(B.java:3)\n");

  @Test
  void everyEventSurvivesARoundTrip() throws Exception {
    ResultEvent started = new ResultEvent.RunStarted("run-1", "real", 3, "2026-05-01T10:00:00Z");
    ResultEvent finished = new ResultEvent.TestFinished(FAILED);
    ResultEvent ended = new ResultEvent.RunFinished(3, 1, 1, "2026-05-01T10:00:05Z");

    assertThat(ResultCodec.decode(ResultCodec.encode(started))).isEqualTo(started);
    assertThat(ResultCodec.decode(ResultCodec.encode(finished))).isEqualTo(finished);
    assertThat(ResultCodec.decode(ResultCodec.encode(ended))).isEqualTo(ended);
  }

  @Test
  void messagesAreTypedJsonObjects() {
    String json =
        new String(
            ResultCodec.encode(
                new ResultEvent.RunStarted("r", "emulated", 0, "2026-05-01T10:00:00Z")),
            StandardCharsets.UTF_8);
    assertThat(json).contains("\"type\":\"runStarted\"", "\"version\":1", "\"mode\":\"emulated\"");
  }

  @Test
  void unknownFieldsAreIgnoredForNewerSenders() throws Exception {
    byte[] json =
        ("{\"type\":\"runFinished\",\"tests\":1,\"failures\":0,\"skipped\":0,"
                + "\"finishedAt\":\"2026-05-01T10:00:00Z\",\"coverage\":0.9}")
            .getBytes(StandardCharsets.UTF_8);
    assertThat(ResultCodec.decode(json))
        .isEqualTo(new ResultEvent.RunFinished(1, 0, 0, "2026-05-01T10:00:00Z"));
  }

  @Test
  void badMessagesAreProtocolErrors() {
    assertRejected("not json", "not valid JSON");
    assertRejected("[1,2]", "not a JSON object");
    assertRejected("{\"type\":\"coffee\"}", "unknown message type 'coffee'");
    assertRejected(
        "{\"type\":\"runStarted\",\"version\":2,\"runId\":\"r\",\"mode\":\"real\",\"plannedTests\":1,"
            + "\"startedAt\":\"2026-05-01T10:00:00Z\"}",
        "unsupported protocol version 2");
    assertRejected(
        "{\"type\":\"runStarted\",\"version\":1,\"runId\":\"r\",\"mode\":\"real\",\"plannedTests\":1,"
            + "\"startedAt\":\"yesterday\"}",
        "startedAt is not an ISO-8601 instant");
    assertRejected(
        "{\"type\":\"testFinished\",\"id\":\"i\",\"className\":\"a.B\",\"name\":\"n\","
            + "\"displayName\":\"d\",\"status\":\"MELTED\",\"durationMillis\":1}",
        "bad testFinished message");
    assertRejected(
        "{\"type\":\"testFinished\",\"className\":\"a.B\",\"name\":\"n\",\"displayName\":\"d\","
            + "\"status\":\"FAILED\",\"durationMillis\":1}",
        "id is missing");
    assertRejected(
        "{\"type\":\"runFinished\",\"tests\":1,\"failures\":2,\"skipped\":0,"
            + "\"finishedAt\":\"2026-05-01T10:00:00Z\"}",
        "inconsistent counts");
  }

  @Test
  void overlongStringsAreRefusedByTheParser() {
    String huge = "x".repeat(TestResult.MAX_STACK_TRACE_LENGTH * 2 + 1);
    assertRejected(
        "{\"type\":\"testFinished\",\"id\":\"" + huge + "\"}", "exceeds the maximum allowed");
    assertThatThrownBy(() -> ResultCodec.decode(new byte[ResultCodec.MAX_FRAME_SIZE + 1]))
        .isInstanceOf(ResultCodec.ProtocolException.class)
        .hasMessageContaining("exceeds");
  }

  @Test
  void theLargestValidResultFitsInOneFrame() throws Exception {
    String worst = "\u0001".repeat(TestResult.MAX_STACK_TRACE_LENGTH);
    TestResult result =
        new TestResult(
            "i".repeat(TestResult.MAX_ID_LENGTH),
            "\u0001".repeat(TestResult.MAX_NAME_LENGTH),
            "\u0001".repeat(TestResult.MAX_NAME_LENGTH),
            "\u0001".repeat(TestResult.MAX_NAME_LENGTH),
            TestStatus.ERROR,
            Long.MAX_VALUE,
            "\u0001".repeat(TestResult.MAX_NAME_LENGTH),
            "\u0001".repeat(TestResult.MAX_MESSAGE_LENGTH),
            worst,
            "\u0001".repeat(TestResult.MAX_OUTPUT_LENGTH));
    byte[] frame = ResultCodec.encode(new ResultEvent.TestFinished(result));

    assertThat(frame.length).isLessThanOrEqualTo(ResultCodec.MAX_FRAME_SIZE);
    assertThat(ResultCodec.decode(frame)).isEqualTo(new ResultEvent.TestFinished(result));
  }

  private static void assertRejected(String json, String message) {
    assertThatThrownBy(() -> ResultCodec.decode(json.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(ResultCodec.ProtocolException.class)
        .hasMessageContaining(message);
  }
}
