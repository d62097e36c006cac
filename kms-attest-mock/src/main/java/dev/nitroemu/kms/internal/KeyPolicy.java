package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A parsed, validated KMS key policy: the original JSON text (what GetKeyPolicy returns) and its
 * statements. {@link #parse} refuses malformed documents with {@code
 * MalformedPolicyDocumentException}.
 */
public final class KeyPolicy {
  /** The maximum key policy size KMS accepts: 32 KiB, counted in UTF-8 bytes. */
  public static final int MAX_POLICY_BYTES = 32 * 1024;

  static final String MALFORMED = "MalformedPolicyDocumentException";
  // Recorded from real KMS (issue reports quoting CreateKey/PutKeyPolicy errors).
  static final String NO_PRINCIPAL = "Policy contains a statement with no principal.";
  static final String INVALID_PRINCIPALS =
      "Policy contains a statement with one or more invalid principals.";
  // Documented by AWS in conditions-kms ("OverlyPermissiveCondition").
  static final String OVERLY_PERMISSIVE =
      "OverlyPermissiveCondition: Using the ForAllValues set operator with a"
          + " single-valued condition key matches requests without the specified [encryption context or tag] or"
          + " with an unspecified [encryption context or tag]. To fix, remove ForAllValues.";

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();
  private static final Pattern ALLOWED_CHARACTERS = Pattern.compile("[\\t\\n\\r\\x20-\\xFF]*");
  private static final Pattern ACCOUNT_ID = Pattern.compile("\\d{12}");
  private static final String PARTITION = "arn:aws(?:-cn|-us-gov|-iso|-iso-[a-z]|-eusc)?";
  private static final Pattern AWS_PRINCIPAL =
      Pattern.compile(
          PARTITION
              + ":(?:"
              + "iam::\\d{12}:(?:root|user/\\S+|role/\\S+|federated-user/\\S+)"
              + "|sts::\\d{12}:(?:assumed-role/[^/\\s]+/\\S+|federated-user/\\S+))");
  private static final Pattern ACTION = Pattern.compile("\\*|[A-Za-z0-9-]+:[A-Za-z0-9*?]+");
  private static final List<String> STATEMENT_ELEMENTS =
      List.of(
          "Sid",
          "Effect",
          "Principal",
          "NotPrincipal",
          "Action",
          "NotAction",
          "Resource",
          "NotResource",
          "Condition");

  /** Allow or Deny. */
  public enum Effect {
    ALLOW,
    DENY
  }

  /**
   * The principals a statement names. AWS principals are normalized: an account id becomes {@code
   * arn:aws:iam::<account>:root}; {@code "*"} (bare or as {@code {"AWS": "*"}}) sets {@code
   * anyone}.
   */
  public record Principals(
      boolean anyone, List<String> aws, List<String> services, List<String> others) {}

  /**
   * One statement. {@code principalNegated} means the principals came from {@code NotPrincipal},
   * likewise {@code actionNegated} and {@code resourceNegated}; a statement without Resource
   * applies to the key ({@code "*"}).
   */
  public record Statement(
      String sid,
      Effect effect,
      Principals principals,
      boolean principalNegated,
      List<String> actions,
      boolean actionNegated,
      List<String> resources,
      boolean resourceNegated,
      List<PolicyCondition> conditions) {}

  private final String json;
  private final String version;
  private final String id;
  private final List<Statement> statements;

  private KeyPolicy(String json, String version, String id, List<Statement> statements) {
    this.json = json;
    this.version = version;
    this.id = id;
    this.statements = List.copyOf(statements);
  }

  /** Parses and validates a key policy document. */
  public static KeyPolicy parse(String json) {
    if (json == null || json.isEmpty()) {
      throw malformed("The key policy document is empty.");
    }
    if (!ALLOWED_CHARACTERS.matcher(json).matches()) {
      throw malformed(
          "The key policy contains characters outside the allowed range"
              + " (tab, line feed, carriage return and U+0020 to U+00FF).");
    }
    if (json.getBytes(StandardCharsets.UTF_8).length > MAX_POLICY_BYTES) {
      throw malformed("The key policy exceeds the maximum size of " + MAX_POLICY_BYTES + " bytes.");
    }
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw malformed("The key policy is not valid JSON.");
    }
    if (root == null || !root.isObject()) {
      throw malformed("The key policy must be a JSON object.");
    }
    String version = null;
    String id = null;
    JsonNode statementNode = null;
    for (Map.Entry<String, JsonNode> element : iterable(root)) {
      switch (element.getKey()) {
        case "Version":
          version = text(element.getValue(), "Version");
          if (!version.equals("2012-10-17") && !version.equals("2008-10-17")) {
            throw malformed("The key policy has an unsupported Version: use 2012-10-17.");
          }
          break;
        case "Id":
          id = text(element.getValue(), "Id");
          break;
        case "Statement":
          statementNode = element.getValue();
          break;
        default:
          throw malformed(
              "The key policy contains an unsupported element: " + element.getKey() + ".");
      }
    }
    if (statementNode == null) {
      throw malformed("The key policy is missing the required Statement element.");
    }
    List<Statement> statements = new ArrayList<>();
    if (statementNode.isObject()) {
      statements.add(statement(statementNode));
    } else if (statementNode.isArray()) {
      for (JsonNode node : statementNode) {
        if (!node.isObject()) {
          throw malformed("Policy contains a Statement that is not a JSON object.");
        }
        statements.add(statement(node));
      }
    } else {
      throw malformed("The key policy Statement must be an object or an array of objects.");
    }
    return new KeyPolicy(json, version, id, statements);
  }

  /**
   * The policy KMS attaches when CreateKey has no Policy, byte for byte as GetKeyPolicy returns it:
   * the account root may do {@code kms:*}, which delegates access to the account's IAM policies.
   */
  public static String defaultPolicyJson(String accountId) {
    if (accountId == null || !ACCOUNT_ID.matcher(accountId).matches()) {
      throw new IllegalArgumentException("account id must be 12 digits: " + accountId);
    }
    return "{\n"
        + "  \"Version\" : \"2012-10-17\",\n"
        + "  \"Id\" : \"key-default-1\",\n"
        + "  \"Statement\" : [ {\n"
        + "    \"Sid\" : \"Enable IAM User Permissions\",\n"
        + "    \"Effect\" : \"Allow\",\n"
        + "    \"Principal\" : {\n"
        + "      \"AWS\" : \"arn:aws:iam::"
        + accountId
        + ":root\"\n"
        + "    },\n"
        + "    \"Action\" : \"kms:*\",\n"
        + "    \"Resource\" : \"*\"\n"
        + "  } ]\n"
        + "}";
  }

  /** The document exactly as it was given (GetKeyPolicy returns it unchanged). */
  public String json() {
    return json;
  }

  /** The Version element, or null when absent. */
  public String version() {
    return version;
  }

  /** The Id element, or null when absent. */
  public String id() {
    return id;
  }

  /** The statements in document order. */
  public List<Statement> statements() {
    return statements;
  }

  /**
   * How messages name a statement: {@code statement 'Sid'}, or {@code statement #n} (its position
   * in the Statement list, from 1) when it has no Sid.
   */
  public static String label(String sid, int number) {
    return sid != null && !sid.isEmpty() ? "statement '" + sid + "'" : "statement #" + number;
  }

  static KmsError malformed(String message) {
    return new KmsError(MALFORMED, message);
  }

  private static Statement statement(JsonNode node) {
    for (Map.Entry<String, JsonNode> element : iterable(node)) {
      if (!STATEMENT_ELEMENTS.contains(element.getKey())) {
        throw malformed(
            "Policy contains a statement with an unsupported element: " + element.getKey() + ".");
      }
    }
    String sid = node.has("Sid") ? text(node.get("Sid"), "Sid") : null;
    JsonNode effectNode = node.get("Effect");
    Effect effect;
    if (effectNode != null && effectNode.isTextual() && effectNode.textValue().equals("Allow")) {
      effect = Effect.ALLOW;
    } else if (effectNode != null
        && effectNode.isTextual()
        && effectNode.textValue().equals("Deny")) {
      effect = Effect.DENY;
    } else {
      throw malformed(
          "Policy contains a statement with an invalid Effect: it must be Allow or Deny.");
    }
    boolean principalNegated = exclusive(node, "Principal", "NotPrincipal");
    JsonNode principalNode = node.get(principalNegated ? "NotPrincipal" : "Principal");
    if (principalNode == null) {
      throw malformed(NO_PRINCIPAL);
    }
    Principals principals = principals(principalNode);
    boolean actionNegated = exclusive(node, "Action", "NotAction");
    JsonNode actionNode = node.get(actionNegated ? "NotAction" : "Action");
    if (actionNode == null) {
      throw malformed("Policy contains a statement with no action.");
    }
    List<String> actions = strings(actionNode);
    if (actions == null || !actions.stream().allMatch(a -> ACTION.matcher(a).matches())) {
      throw malformed("Policy contains a statement with one or more invalid actions.");
    }
    boolean resourceNegated = exclusive(node, "Resource", "NotResource");
    JsonNode resourceNode = node.get(resourceNegated ? "NotResource" : "Resource");
    List<String> resources = resourceNode == null ? List.of("*") : strings(resourceNode);
    if (resources == null
        || !resources.stream().allMatch(r -> r.equals("*") || r.startsWith("arn:"))) {
      throw malformed("Policy contains a statement with one or more invalid resources.");
    }
    List<PolicyCondition> conditions =
        node.has("Condition") ? conditions(node.get("Condition")) : List.of();
    return new Statement(
        sid,
        effect,
        principals,
        principalNegated,
        actions,
        actionNegated,
        resources,
        resourceNegated,
        conditions);
  }

  /** Whether the Not form is used; refuses a statement that has both forms. */
  private static boolean exclusive(JsonNode statement, String positive, String negative) {
    if (statement.has(positive) && statement.has(negative)) {
      throw malformed(
          "Policy contains a statement with both " + positive + " and " + negative + ".");
    }
    return statement.has(negative);
  }

  private static Principals principals(JsonNode node) {
    if (node.isTextual()) {
      if (node.textValue().equals("*")) {
        return new Principals(true, List.of(), List.of(), List.of());
      }
      throw malformed(INVALID_PRINCIPALS);
    }
    if (!node.isObject() || node.isEmpty()) {
      throw malformed(INVALID_PRINCIPALS);
    }
    boolean anyone = false;
    List<String> aws = new ArrayList<>();
    List<String> services = new ArrayList<>();
    List<String> others = new ArrayList<>();
    for (Map.Entry<String, JsonNode> entry : iterable(node)) {
      List<String> values = strings(entry.getValue());
      if (values == null) {
        throw malformed(INVALID_PRINCIPALS);
      }
      switch (entry.getKey()) {
        case "AWS":
          for (String value : values) {
            if (value.equals("*")) {
              anyone = true;
            } else if (ACCOUNT_ID.matcher(value).matches()) {
              aws.add("arn:aws:iam::" + value + ":root");
            } else if (AWS_PRINCIPAL.matcher(value).matches()) {
              aws.add(value);
            } else {
              throw malformed(INVALID_PRINCIPALS);
            }
          }
          break;
        case "Service":
          if (!values.stream().allMatch(v -> v.matches("[a-z0-9.-]+\\.amazonaws\\.com(\\.cn)?"))) {
            throw malformed(INVALID_PRINCIPALS);
          }
          services.addAll(values);
          break;
        case "Federated":
        case "CanonicalUser":
          others.addAll(values);
          break;
        default:
          throw malformed(INVALID_PRINCIPALS);
      }
    }
    return new Principals(anyone, aws, services, others);
  }

  private static List<PolicyCondition> conditions(JsonNode node) {
    if (!node.isObject()) {
      throw malformed("Policy contains a statement with a Condition that is not a JSON object.");
    }
    List<PolicyCondition> conditions = new ArrayList<>();
    for (Map.Entry<String, JsonNode> block : iterable(node)) {
      PolicyCondition.OperatorName operator =
          PolicyCondition.OperatorName.parse(block.getKey())
              .orElseThrow(
                  () ->
                      malformed(
                          "Policy contains a statement with an unknown condition operator: "
                              + block.getKey()
                              + "."));
      if (!block.getValue().isObject()) {
        throw malformed(
            "Policy contains a condition operator whose value is not a JSON object: "
                + block.getKey()
                + ".");
      }
      for (Map.Entry<String, JsonNode> test : iterable(block.getValue())) {
        String key = test.getKey();
        if (key.isEmpty()) {
          throw malformed("Policy contains a condition with an empty condition key.");
        }
        String lowerKey = key.toLowerCase(Locale.ROOT);
        if (operator.qualifier() == PolicyCondition.SetQualifier.FOR_ALL_VALUES
            && (lowerKey.startsWith("kms:encryptioncontext:")
                || lowerKey.startsWith("aws:requesttag/"))) {
          throw malformed(OVERLY_PERMISSIVE);
        }
        List<String> values = conditionValues(test.getValue());
        if (values == null || !values.stream().allMatch(operator.operator()::isValidPolicyValue)) {
          throw malformed(
              "Policy contains a condition with an invalid value for "
                  + operator
                  + " "
                  + key
                  + ".");
        }
        conditions.add(new PolicyCondition(operator, key, values));
      }
    }
    return conditions;
  }

  /**
   * A string, number or boolean, or a non-empty array of them, as text; null when anything else.
   */
  private static List<String> conditionValues(JsonNode node) {
    List<String> values = new ArrayList<>();
    if (node.isArray()) {
      for (JsonNode element : node) {
        if (!element.isValueNode() || element.isNull()) {
          return null;
        }
        values.add(element.asText());
      }
    } else if (node.isValueNode() && !node.isNull()) {
      values.add(node.asText());
    }
    return values.isEmpty() ? null : values;
  }

  /** A string or a non-empty array of strings; null when anything else. */
  private static List<String> strings(JsonNode node) {
    List<String> values = new ArrayList<>();
    if (node.isTextual()) {
      values.add(node.textValue());
    } else if (node.isArray()) {
      for (JsonNode element : node) {
        if (!element.isTextual()) {
          return null;
        }
        values.add(element.textValue());
      }
    }
    return values.isEmpty() || values.stream().anyMatch(String::isEmpty) ? null : values;
  }

  private static String text(JsonNode node, String element) {
    if (!node.isTextual()) {
      throw malformed("The key policy element " + element + " must be a string.");
    }
    return node.textValue();
  }

  private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
    return node.properties();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof KeyPolicy && ((KeyPolicy) other).json.equals(json);
  }

  @Override
  public int hashCode() {
    return Objects.hash(json);
  }

  @Override
  public String toString() {
    return "KeyPolicy"
        + (id == null ? "" : "(" + id + ")")
        + " with "
        + statements.size()
        + " statement(s)";
  }
}
