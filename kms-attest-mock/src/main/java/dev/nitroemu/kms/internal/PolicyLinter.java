package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.kms.KeyPolicyLint;
import dev.nitroemu.kms.KeyPolicyLint.Warning;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules of {@link KeyPolicyLint} over a parsed {@link KeyPolicy}; see there for what each
 * reports. Only reads the policy; evaluation is untouched.
 */
public final class PolicyLinter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ATTESTATION_PREFIX = "kms:recipientattestation:";
  private static final Pattern DIGEST_KEY =
      Pattern.compile("kms:recipientattestation:(pcr([0-9]|[12][0-9]|3[01])" + "|imagesha384)");
  private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]*");
  private static final int SHA384_HEX = 96;
  private static final List<String> ATTESTED_ACTIONS =
      List.of(
          "kms:Decrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyPair",
          "kms:DeriveSharedSecret");

  private PolicyLinter() {}

  /** The warnings for {@code policy}, in statement order. */
  public static List<Warning> lint(KeyPolicy policy) {
    List<KeyPolicy.Statement> statements = policy.statements();
    List<JsonNode> raw = rawStatements(policy.json());
    List<Warning> warnings = new ArrayList<>();
    for (int i = 0; i < statements.size(); i++) {
      KeyPolicy.Statement statement = statements.get(i);
      String label = KeyPolicy.label(statement.sid(), i + 1);
      if (i < raw.size()) {
        emptyConditions(raw.get(i), label, warnings);
      }
      for (PolicyCondition condition : statement.conditions()) {
        if (statement.effect() == KeyPolicy.Effect.ALLOW) {
          holdsWithoutDocument(condition, label, warnings);
        }
        attestationValues(condition, label, warnings);
      }
      unattestedAllow(statements, i, label, warnings);
    }
    return List.copyOf(warnings);
  }

  private static void emptyConditions(JsonNode statement, String label, List<Warning> warnings) {
    JsonNode condition = statement.get("Condition");
    if (condition == null || !condition.isObject()) {
      return;
    }
    if (condition.isEmpty()) {
      warnings.add(
          new Warning(
              KeyPolicyLint.EMPTY_CONDITION,
              label,
              "the Condition is empty, so it constrains nothing and the statement applies unconditionally"));
    }
    for (Map.Entry<String, JsonNode> block : condition.properties()) {
      if (block.getValue().isObject() && block.getValue().isEmpty()) {
        warnings.add(
            new Warning(
                KeyPolicyLint.EMPTY_CONDITION,
                label,
                "the condition operator "
                    + block.getKey()
                    + " has no condition keys, so it constrains nothing and the statement applies as if it were absent"));
      }
    }
  }

  private static void holdsWithoutDocument(
      PolicyCondition condition, String label, List<Warning> warnings) {
    if (!isAttestationKey(condition)
        || condition.operatorName().operator() == ConditionOperator.NULL
        || !condition.test(Map.of())) {
      return;
    }
    PolicyCondition.OperatorName operator = condition.operatorName();
    String why =
        operator.ifExists()
            ? "...IfExists is true when the key is missing"
            : operator.qualifier() == PolicyCondition.SetQualifier.FOR_ALL_VALUES
                ? "ForAllValues: is vacuously true when the key is missing"
                : operator + " is a negated operator, true when the key is missing";
    warnings.add(
        new Warning(
            KeyPolicyLint.ATTESTATION_WITHOUT_DOCUMENT,
            label,
            operator
                + " on "
                + condition.key()
                + " also holds for requests without an attestation document ("
                + why
                + "), so it does not require"
                + " attestation"));
  }

  private static void attestationValues(
      PolicyCondition condition, String label, List<Warning> warnings) {
    if (!DIGEST_KEY.matcher(condition.key().toLowerCase(Locale.ROOT)).matches()) {
      return;
    }
    ConditionOperator operator = condition.operatorName().operator();
    boolean like =
        operator == ConditionOperator.STRING_LIKE || operator == ConditionOperator.STRING_NOT_LIKE;
    boolean caseSensitive =
        operator != ConditionOperator.STRING_EQUALS_IGNORE_CASE
            && operator != ConditionOperator.STRING_NOT_EQUALS_IGNORE_CASE;
    if (operator == ConditionOperator.NULL) {
      return;
    }
    for (String value : condition.values()) {
      String problem = null;
      if (like && (value.contains("*") || value.contains("?"))) {
        continue;
      } else if (value.startsWith("0x") || value.startsWith("0X")) {
        problem = "starts with 0x, but KMS compares the bare hex digits";
      } else if (!HEX.matcher(value).matches()) {
        problem = "is not hexadecimal";
      } else if (value.length() != SHA384_HEX) {
        problem =
            "has "
                + value.length()
                + " hex characters, but a SHA-384 measurement has "
                + SHA384_HEX;
      } else if (caseSensitive && !value.equals(value.toLowerCase(Locale.ROOT))) {
        problem =
            "has upper-case hex, but KMS presents lower-case hex and "
                + operator.policyName()
                + " is case-sensitive (use lower case or StringEqualsIgnoreCase)";
      }
      if (problem != null) {
        warnings.add(
            new Warning(
                KeyPolicyLint.ATTESTATION_VALUE,
                label,
                "the value '"
                    + shorten(value)
                    + "' of "
                    + condition.key()
                    + " "
                    + problem
                    + ", so it never matches a Nitro attestation document"));
      }
    }
  }

  /**
   * Statement {@code index} allows an attested action without attestation while another requires
   * it.
   */
  private static void unattestedAllow(
      List<KeyPolicy.Statement> statements, int index, String label, List<Warning> warnings) {
    KeyPolicy.Statement statement = statements.get(index);
    if (statement.effect() != KeyPolicy.Effect.ALLOW
        || statement.conditions().stream().anyMatch(PolicyLinter::isAttestationKey)) {
      return;
    }
    Map<String, String> gatedBy = new LinkedHashMap<>();
    for (String action : ATTESTED_ACTIONS) {
      if (!covers(statement, action) || deniedWithoutDocument(statements, action)) {
        continue;
      }
      for (int other = 0; other < statements.size(); other++) {
        KeyPolicy.Statement gated = statements.get(other);
        if (gated.effect() == KeyPolicy.Effect.ALLOW
            && covers(gated, action)
            && requiresAttestation(gated)) {
          gatedBy.putIfAbsent(
              action,
              gated.sid() != null && !gated.sid().isEmpty()
                  ? "statement '" + gated.sid() + "'"
                  : "statement #" + (other + 1));
          break;
        }
      }
    }
    if (!gatedBy.isEmpty()) {
      warnings.add(
          new Warning(
              KeyPolicyLint.UNATTESTED_ALLOW,
              label,
              "allows "
                  + String.join(", ", gatedBy.keySet())
                  + " without any attestation condition, while "
                  + String.join(", ", new LinkedHashSet<>(gatedBy.values()))
                  + " allows it only with attestation; one Allow suffices, so attestation is not"
                  + " required for it"));
    }
  }

  /**
   * An Allow with an attestation condition that fails when the request has no attestation document.
   */
  private static boolean requiresAttestation(KeyPolicy.Statement statement) {
    return statement.conditions().stream().anyMatch(c -> isAttestationKey(c) && !c.test(Map.of()));
  }

  /**
   * A Deny for everyone, on the action, whose conditions are all on attestation keys and hold
   * without a document.
   */
  private static boolean deniedWithoutDocument(
      List<KeyPolicy.Statement> statements, String action) {
    for (KeyPolicy.Statement deny : statements) {
      if (deny.effect() == KeyPolicy.Effect.DENY
          && !deny.principalNegated()
          && deny.principals().anyone()
          && covers(deny, action)
          && !deny.conditions().isEmpty()
          && deny.conditions().stream().allMatch(c -> isAttestationKey(c) && c.test(Map.of()))) {
        return true;
      }
    }
    return false;
  }

  private static boolean covers(KeyPolicy.Statement statement, String action) {
    boolean listed =
        statement.actions().stream()
            .anyMatch(pattern -> WildcardPattern.matches(pattern, action, true));
    return listed != statement.actionNegated();
  }

  private static boolean isAttestationKey(PolicyCondition condition) {
    return condition.key().toLowerCase(Locale.ROOT).startsWith(ATTESTATION_PREFIX);
  }

  private static String shorten(String value) {
    return value.length() <= 24
        ? value
        : value.substring(0, 16) + "...(" + value.length() + " chars)";
  }

  /** The statement objects of an already validated policy, in order. */
  private static List<JsonNode> rawStatements(String json) {
    try {
      JsonNode statement = JSON.readTree(json).get("Statement");
      List<JsonNode> out = new ArrayList<>();
      if (statement != null && statement.isArray()) {
        statement.forEach(out::add);
      } else if (statement != null) {
        out.add(statement);
      }
      return out;
    } catch (JsonProcessingException e) {
      return List.of();
    }
  }
}
