package dev.nitroemu.enclavetests;

import java.util.Objects;

/**
 * The outcome of one test as it travels from the enclave to the collector: identity, status,
 * duration and, for failures, the exception's type, message and stack trace.
 *
 * <p>Every text field has a length limit ({@code MAX_*}); the constructor rejects longer values and
 * {@link #bounded} cuts them down, so a sender never produces a result the collector refuses.
 *
 * @param id the JUnit Platform unique id, e.g. {@code
 *     [engine:junit-jupiter]/[class:a.B]/[method:c()]}
 * @param className the class the test belongs to (the XML {@code classname})
 * @param name the legacy reporting name, e.g. {@code c()} (the XML {@code name})
 * @param displayName the display name shown by IDEs
 * @param status how the test ended
 * @param durationMillis wall-clock duration, {@code >= 0}
 * @param failureType the exception class name for failures, else null
 * @param message the failure message or the skip/abort reason, or null
 * @param stackTrace the failure's stack trace, or null
 * @param output the test's published report entries, one {@code key = value} line each, or null
 */
public record TestResult(
    String id,
    String className,
    String name,
    String displayName,
    TestStatus status,
    long durationMillis,
    String failureType,
    String message,
    String stackTrace,
    String output) {

  /** Longest {@link #id()}. */
  public static final int MAX_ID_LENGTH = 4096;

  /**
   * Longest {@link #className()}, {@link #name()}, {@link #displayName()} and {@link
   * #failureType()}.
   */
  public static final int MAX_NAME_LENGTH = 1024;

  /** Longest {@link #message()}. */
  public static final int MAX_MESSAGE_LENGTH = 8192;

  /** Longest {@link #stackTrace()}. */
  public static final int MAX_STACK_TRACE_LENGTH = 65536;

  /** Longest {@link #output()}. */
  public static final int MAX_OUTPUT_LENGTH = 16384;

  /** Marks where {@link #bounded} cut a value. */
  public static final String TRUNCATION_MARK = "...[truncated]";

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if a required field is missing or blank, a value is over its
   *     limit, or the duration is negative
   */
  public TestResult {
    Objects.requireNonNull(status, "status");
    requireText("id", id, MAX_ID_LENGTH);
    requireText("className", className, MAX_NAME_LENGTH);
    requireText("name", name, MAX_NAME_LENGTH);
    requireText("displayName", displayName, MAX_NAME_LENGTH);
    checkLength("failureType", failureType, MAX_NAME_LENGTH);
    checkLength("message", message, MAX_MESSAGE_LENGTH);
    checkLength("stackTrace", stackTrace, MAX_STACK_TRACE_LENGTH);
    checkLength("output", output, MAX_OUTPUT_LENGTH);
    if (durationMillis < 0) {
      throw new IllegalArgumentException("durationMillis must be >= 0, was " + durationMillis);
    }
  }

  /** A result without report entries. */
  public TestResult(
      String id,
      String className,
      String name,
      String displayName,
      TestStatus status,
      long durationMillis,
      String failureType,
      String message,
      String stackTrace) {
    this(
        id,
        className,
        name,
        displayName,
        status,
        durationMillis,
        failureType,
        message,
        stackTrace,
        null);
  }

  /**
   * A result whose text fields are cut to their limits (blank required names become {@code "?"}).
   */
  public static TestResult bounded(
      String id,
      String className,
      String name,
      String displayName,
      TestStatus status,
      long durationMillis,
      String failureType,
      String message,
      String stackTrace,
      String output) {
    return new TestResult(
        cut(orUnknown(id), MAX_ID_LENGTH),
        cut(orUnknown(className), MAX_NAME_LENGTH),
        cut(orUnknown(name), MAX_NAME_LENGTH),
        cut(orUnknown(displayName), MAX_NAME_LENGTH),
        status,
        Math.max(0, durationMillis),
        cut(failureType, MAX_NAME_LENGTH),
        cut(message, MAX_MESSAGE_LENGTH),
        cut(stackTrace, MAX_STACK_TRACE_LENGTH),
        cut(output, MAX_OUTPUT_LENGTH));
  }

  private static String orUnknown(String value) {
    return value == null || value.isBlank() ? "?" : value;
  }

  private static String cut(String value, int limit) {
    if (value == null || value.length() <= limit) {
      return value;
    }
    int keep = limit - TRUNCATION_MARK.length();
    // Do not split a surrogate pair: half of one is not valid text in XML or JSON.
    if (Character.isHighSurrogate(value.charAt(keep - 1))) {
      keep--;
    }
    return value.substring(0, keep) + TRUNCATION_MARK;
  }

  private static void requireText(String field, String value, int limit) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(field + " is missing");
    }
    checkLength(field, value, limit);
  }

  private static void checkLength(String field, String value, int limit) {
    if (value != null && value.length() > limit) {
      throw new IllegalArgumentException(
          field + " has " + value.length() + " characters, more than the limit of " + limit);
    }
  }
}
