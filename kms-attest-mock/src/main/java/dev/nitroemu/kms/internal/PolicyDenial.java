package dev.nitroemu.kms.internal;

import java.util.List;
import java.util.Objects;

/**
 * Why {@link PolicyEvaluator} denied a request: for an explicit deny, the Deny statement that
 * applied; for an implicit deny, every Allow statement with the first element of it the request did
 * not meet and, when that was its Condition, each condition test that failed with the values the
 * request presented for its key.
 *
 * @param decision {@link PolicyEvaluator.Decision#EXPLICIT_DENY} or {@link
 *     PolicyEvaluator.Decision#IMPLICIT_DENY}
 * @param statements the deciding Deny statement, or the Allow statements that did not apply, in
 *     policy order
 */
public record PolicyDenial(PolicyEvaluator.Decision decision, List<StatementOutcome> statements) {
  public PolicyDenial {
    Objects.requireNonNull(decision, "decision");
    statements = List.copyOf(statements);
  }

  /**
   * The element of a statement a request did not meet, in the order IAM's evaluation checks them.
   */
  public enum Unmet {
    PRINCIPAL,
    ACTION,
    RESOURCE,
    CONDITION
  }

  /**
   * One statement and how it related to the request.
   *
   * @param sid its Sid, or null
   * @param number its position in the policy's Statement list, from 1
   * @param unmet the first element the request did not meet, or null for a Deny statement that
   *     applied
   * @param failed the condition tests that failed when {@code unmet} is {@link Unmet#CONDITION},
   *     else empty
   */
  public record StatementOutcome(
      String sid, int number, Unmet unmet, List<FailedCondition> failed) {
    public StatementOutcome {
      failed = List.copyOf(failed);
    }
  }

  /**
   * A condition test that did not hold.
   *
   * @param condition the test as the policy wrote it
   * @param presented the request's values for the condition key; empty when the request has no such
   *     key
   */
  public record FailedCondition(PolicyCondition condition, List<String> presented) {
    public FailedCondition {
      Objects.requireNonNull(condition, "condition");
      presented = List.copyOf(presented);
    }
  }
}
