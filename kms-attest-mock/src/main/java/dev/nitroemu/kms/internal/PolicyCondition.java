package dev.nitroemu.kms.internal;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One condition test of a policy statement: an operator with its set qualifier and {@code IfExists}
 * flag, one condition key, and the policy values (ORed). All conditions of a statement are ANDed.
 *
 * <p>Semantics (IAM): a key missing from the request context makes the test false, except with
 * {@code IfExists} (true), {@code ForAllValues:} (vacuously true), a negated operator without a set
 * qualifier ({@code StringNotEquals} on a missing key is true), and {@code Null}, which tests
 * absence. Without a qualifier a positive operator holds when any request value matches and a
 * negated one when none does; {@code ForAnyValue:} needs one request value to satisfy the operator,
 * {@code ForAllValues:} every one.
 */
public final class PolicyCondition {
  /** The set operator written before the condition operator. */
  public enum SetQualifier {
    NONE(""),
    FOR_ANY_VALUE("ForAnyValue:"),
    FOR_ALL_VALUES("ForAllValues:");

    private final String prefix;

    SetQualifier(String prefix) {
      this.prefix = prefix;
    }

    /** The prefix as written in policies, e.g. {@code ForAllValues:}; empty for {@link #NONE}. */
    public String prefix() {
      return prefix;
    }
  }

  /** A parsed operator name such as {@code ForAnyValue:StringLikeIfExists}. */
  public record OperatorName(SetQualifier qualifier, ConditionOperator operator, boolean ifExists) {
    /** Parses an operator name, ignoring case; empty when it is not a known IAM operator. */
    public static Optional<OperatorName> parse(String text) {
      String rest = text;
      SetQualifier qualifier = SetQualifier.NONE;
      for (SetQualifier candidate :
          new SetQualifier[] {SetQualifier.FOR_ANY_VALUE, SetQualifier.FOR_ALL_VALUES}) {
        if (rest.regionMatches(true, 0, candidate.prefix(), 0, candidate.prefix().length())) {
          qualifier = candidate;
          rest = rest.substring(candidate.prefix().length());
          break;
        }
      }
      boolean ifExists = false;
      String suffix = "IfExists";
      if (rest.length() > suffix.length()
          && rest.regionMatches(
              true, rest.length() - suffix.length(), suffix, 0, suffix.length())) {
        ifExists = true;
        rest = rest.substring(0, rest.length() - suffix.length());
      }
      Optional<ConditionOperator> operator = ConditionOperator.byPolicyName(rest);
      if (operator.isEmpty()
          || (operator.get() == ConditionOperator.NULL
              && (ifExists || qualifier != SetQualifier.NONE))) {
        return Optional.empty();
      }
      return Optional.of(new OperatorName(qualifier, operator.get(), ifExists));
    }

    @Override
    public String toString() {
      return qualifier.prefix() + operator.policyName() + (ifExists ? "IfExists" : "");
    }
  }

  private final OperatorName operatorName;
  private final String key;
  private final String lookupKey;
  private final List<String> values;

  public PolicyCondition(OperatorName operatorName, String key, List<String> values) {
    this.operatorName = Objects.requireNonNull(operatorName, "operatorName");
    this.key = Objects.requireNonNull(key, "key");
    this.lookupKey = key.toLowerCase(Locale.ROOT);
    this.values = List.copyOf(values);
  }

  /** The operator with its qualifier and {@code IfExists} flag. */
  public OperatorName operatorName() {
    return operatorName;
  }

  /** The condition key as written in the policy, e.g. {@code kms:RecipientAttestation:PCR0}. */
  public String key() {
    return key;
  }

  /** The policy values, any of which may match. */
  public List<String> values() {
    return values;
  }

  /**
   * Evaluates this test.
   *
   * @param context the request context with lower-case keys; a key mapped to an empty list is
   *     absent
   */
  public boolean test(Map<String, List<String>> context) {
    List<String> requestValues = context.get(lookupKey);
    boolean absent = requestValues == null || requestValues.isEmpty();
    ConditionOperator operator = operatorName.operator();
    if (operator == ConditionOperator.NULL) {
      for (String value : values) {
        if (Boolean.parseBoolean(value.toLowerCase(Locale.ROOT)) == absent) {
          return true;
        }
      }
      return false;
    }
    if (absent) {
      if (operatorName.ifExists()) {
        return true;
      }
      switch (operatorName.qualifier()) {
        case FOR_ALL_VALUES:
          return true;
        case FOR_ANY_VALUE:
          return false;
        default:
          return operator.negated();
      }
    }
    boolean requireAll =
        operatorName.qualifier() == SetQualifier.FOR_ALL_VALUES
            || (operatorName.qualifier() == SetQualifier.NONE && operator.negated());
    for (String requestValue : requestValues) {
      boolean satisfied = operator.test(requestValue, values);
      if (requireAll && !satisfied) {
        return false;
      }
      if (!requireAll && satisfied) {
        return true;
      }
    }
    return requireAll;
  }

  /**
   * The request's values for this test's key, as {@link #test} sees them; empty when the key is
   * absent.
   *
   * @param context the request context with lower-case keys
   */
  public List<String> presented(Map<String, List<String>> context) {
    List<String> requestValues = context.get(lookupKey);
    return requestValues == null ? List.of() : requestValues;
  }

  @Override
  public String toString() {
    return operatorName + " " + key + " " + values;
  }
}
