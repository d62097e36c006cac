package dev.nitroemu.kms.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides a request against a key policy as IAM does for a resource-based policy: an explicit Deny
 * wins, otherwise any Allow allows, otherwise the request is implicitly denied.
 *
 * <p>There is no IAM service behind the mock, so every caller's identity policies are taken to
 * allow everything: a statement naming {@code arn:aws:iam::<account>:root} (or the bare account id)
 * admits every principal of that account. A role ARN admits that role's sessions ({@code
 * arn:aws:sts::<account>:assumed-role/<name>/<session>}). Actions match case-insensitively with
 * {@code *} and {@code ?}; resources are {@code "*"} or patterns matched against the key ARN.
 */
public final class PolicyEvaluator {
  /** The outcome of an evaluation. */
  public enum Decision {
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY
  }

  /** The text real KMS gives when the lockout safety check refuses a policy. */
  static final String LOCKOUT =
      "The new key policy will not allow you to update the key policy in the future.";

  private static final Pattern ASSUMED_ROLE =
      Pattern.compile("arn:([^:]+):sts::(\\d{12}):assumed-role/([^/]+)/.+");
  private static final Pattern ROLE =
      Pattern.compile("arn:([^:]+):iam::(\\d{12}):role/(?:.*/)?([^/]+)");
  private static final Pattern ROOT = Pattern.compile("arn:([^:]+):iam::(\\d{12}):root");

  private PolicyEvaluator() {}

  /** Evaluates the request against every statement of the policy. */
  public static Decision evaluate(KeyPolicy policy, AuthorizationRequest request) {
    Objects.requireNonNull(policy, "policy");
    Caller caller = Caller.of(request.principalArn(), request.callerAccount());
    Map<String, List<String>> context = context(request, caller);
    boolean allowed = false;
    for (KeyPolicy.Statement statement : policy.statements()) {
      if (applies(statement, request, caller, context)) {
        if (statement.effect() == KeyPolicy.Effect.DENY) {
          return Decision.EXPLICIT_DENY;
        }
        allowed = true;
      }
    }
    return allowed ? Decision.ALLOW : Decision.IMPLICIT_DENY;
  }

  /**
   * The {@code AccessDeniedException} (HTTP 400) real KMS returns for a denied request, e.g. {@code
   * User: <principal> is not authorized to perform: kms:Decrypt on resource: <key ARN> because no
   * resource-based policy allows the kms:Decrypt action}.
   *
   * @throws IllegalArgumentException if the decision is {@link Decision#ALLOW}
   */
  public static KmsError accessDenied(AuthorizationRequest request, Decision decision) {
    String prefix =
        "User: "
            + request.principalArn()
            + " is not authorized to perform: "
            + request.action()
            + " on resource: "
            + request.keyArn();
    switch (decision) {
      case IMPLICIT_DENY:
        return new KmsError(
            "AccessDeniedException",
            prefix
                + " because no resource-based policy allows the "
                + request.action()
                + " action");
      case EXPLICIT_DENY:
        return new KmsError(
            "AccessDeniedException", prefix + " with an explicit deny in a resource-based policy");
      default:
        throw new IllegalArgumentException("an allowed request is not denied");
    }
  }

  /**
   * The policy lockout safety check of CreateKey and PutKeyPolicy (skipped by the caller when
   * {@code BypassPolicyLockoutSafetyCheck} is true): the principal setting the policy must still be
   * allowed {@code kms:PutKeyPolicy} under it, with an empty condition context.
   *
   * @throws KmsError {@code MalformedPolicyDocumentException} with the real KMS text otherwise
   */
  public static void checkLockoutSafety(
      KeyPolicy policy, String principalArn, String callerAccount, String keyArn) {
    AuthorizationRequest request =
        new AuthorizationRequest("kms:PutKeyPolicy", principalArn, callerAccount, keyArn, Map.of());
    if (evaluate(policy, request) != Decision.ALLOW) {
      throw KeyPolicy.malformed(LOCKOUT);
    }
  }

  /**
   * Whether a principal named outside a policy (a grant's grantee or retiring principal: an ARN or
   * a 12-digit account id) is the caller, by the rules of policy principals: the same ARN, the
   * caller's account root, or the role the caller is a session of.
   */
  public static boolean principalMatches(String named, String principalArn, String callerAccount) {
    if (named == null) {
      return false;
    }
    Caller caller = Caller.of(principalArn, callerAccount);
    String normalized =
        named.matches("\\d{12}") ? "arn:" + caller.partition + ":iam::" + named + ":root" : named;
    return normalized.equals(caller.arn)
        || caller.isRootOf(normalized)
        || caller.isSessionOf(normalized);
  }

  /**
   * Why {@link #evaluate} denies a request, for the audit log: the first Deny statement that
   * applies, else every Allow statement with what it lacked (see {@link PolicyDenial}).
   *
   * @throws IllegalArgumentException if the policy allows the request
   */
  public static PolicyDenial explain(KeyPolicy policy, AuthorizationRequest request) {
    Caller caller = Caller.of(request.principalArn(), request.callerAccount());
    Map<String, List<String>> context = context(request, caller);
    List<KeyPolicy.Statement> statements = policy.statements();
    List<PolicyDenial.StatementOutcome> allows = new ArrayList<>();
    boolean allowed = false;
    for (int i = 0; i < statements.size(); i++) {
      KeyPolicy.Statement statement = statements.get(i);
      PolicyDenial.Unmet unmet = unmet(statement, request, caller, context);
      if (statement.effect() == KeyPolicy.Effect.DENY) {
        if (unmet == null) {
          return new PolicyDenial(
              Decision.EXPLICIT_DENY,
              List.of(new PolicyDenial.StatementOutcome(statement.sid(), i + 1, null, List.of())));
        }
      } else if (unmet == null) {
        allowed = true;
      } else {
        allows.add(
            new PolicyDenial.StatementOutcome(
                statement.sid(),
                i + 1,
                unmet,
                unmet == PolicyDenial.Unmet.CONDITION
                    ? failedConditions(statement, context)
                    : List.of()));
      }
    }
    if (allowed) {
      throw new IllegalArgumentException("the policy allows the request");
    }
    return new PolicyDenial(Decision.IMPLICIT_DENY, allows);
  }

  private static List<PolicyDenial.FailedCondition> failedConditions(
      KeyPolicy.Statement statement, Map<String, List<String>> context) {
    List<PolicyDenial.FailedCondition> failed = new ArrayList<>();
    for (PolicyCondition condition : statement.conditions()) {
      if (!condition.test(context)) {
        failed.add(new PolicyDenial.FailedCondition(condition, condition.presented(context)));
      }
    }
    return failed;
  }

  private static boolean applies(
      KeyPolicy.Statement statement,
      AuthorizationRequest request,
      Caller caller,
      Map<String, List<String>> context) {
    return unmet(statement, request, caller, context) == null;
  }

  /**
   * The first element of the statement the request does not meet, or null when the statement
   * applies.
   */
  private static PolicyDenial.Unmet unmet(
      KeyPolicy.Statement statement,
      AuthorizationRequest request,
      Caller caller,
      Map<String, List<String>> context) {
    boolean principal =
        statement.principalNegated()
            ? !excluded(statement.principals(), caller)
            : admitted(statement.principals(), caller);
    if (!principal) {
      return PolicyDenial.Unmet.PRINCIPAL;
    }
    boolean action = anyMatch(statement.actions(), request.action(), true);
    if (action == statement.actionNegated()) {
      return PolicyDenial.Unmet.ACTION;
    }
    String resourceArn = request.keyArn() == null ? "" : request.keyArn();
    boolean resource = anyMatch(statement.resources(), resourceArn, false);
    if (resource == statement.resourceNegated()) {
      return PolicyDenial.Unmet.RESOURCE;
    }
    for (PolicyCondition condition : statement.conditions()) {
      if (!condition.test(context)) {
        return PolicyDenial.Unmet.CONDITION;
      }
    }
    return null;
  }

  /** Principal: the caller is admitted by any named principal. */
  private static boolean admitted(KeyPolicy.Principals principals, Caller caller) {
    if (principals.anyone()) {
      return true;
    }
    for (String named : principals.aws()) {
      if (named.equals(caller.arn) || caller.isRootOf(named) || caller.isSessionOf(named)) {
        return true;
      }
    }
    return false;
  }

  /**
   * NotPrincipal: the statement skips the caller only when every identity the request carries (the
   * session, its role, the account) is listed, as IAM requires for NotPrincipal.
   */
  private static boolean excluded(KeyPolicy.Principals principals, Caller caller) {
    if (principals.anyone()) {
      return true;
    }
    boolean self = principals.aws().contains(caller.arn);
    boolean role =
        caller.roleName == null || principals.aws().stream().anyMatch(caller::isSessionOf);
    boolean account =
        caller.account == null || principals.aws().stream().anyMatch(caller::isRootOf);
    return self && role && account;
  }

  private static boolean anyMatch(List<String> patterns, String value, boolean ignoreCase) {
    for (String pattern : patterns) {
      if (WildcardPattern.matches(pattern, value, ignoreCase)) {
        return true;
      }
    }
    return false;
  }

  /** The request context with lower-case keys and the principal keys derived when absent. */
  private static Map<String, List<String>> context(AuthorizationRequest request, Caller caller) {
    Map<String, List<String>> context = new HashMap<>();
    for (Map.Entry<String, List<String>> entry : request.context().entrySet()) {
      if (entry.getKey() == null || entry.getValue() == null) {
        continue;
      }
      List<String> values = new ArrayList<>();
      for (String value : entry.getValue()) {
        if (value != null) {
          values.add(value);
        }
      }
      context.merge(
          entry.getKey().toLowerCase(Locale.ROOT),
          values,
          (a, b) -> {
            List<String> merged = new ArrayList<>(a);
            merged.addAll(b);
            return merged;
          });
    }
    // For a role session IAM reports the role's ARN as aws:PrincipalArn, not the session's; a
    // context
    // that names the session itself there is corrected.
    String principalArn =
        caller.roleName == null
            ? caller.arn
            : "arn:" + caller.partition + ":iam::" + caller.account + ":role/" + caller.roleName;
    if (caller.roleName != null && List.of(caller.arn).equals(context.get("aws:principalarn"))) {
      context.put("aws:principalarn", List.of(principalArn));
    }
    context.putIfAbsent("aws:principalarn", List.of(principalArn));
    if (caller.account != null) {
      context.putIfAbsent("aws:principalaccount", List.of(caller.account));
      context.putIfAbsent("kms:calleraccount", List.of(caller.account));
    }
    return context;
  }

  /**
   * The identities of one caller: its ARN, its account and, for a role session, the role's name.
   */
  private static final class Caller {
    final String arn;
    final String partition;
    final String account;
    final String roleName;

    private Caller(String arn, String partition, String account, String roleName) {
      this.arn = arn;
      this.partition = partition;
      this.account = account;
      this.roleName = roleName;
    }

    static Caller of(String arn, String callerAccount) {
      String[] parts = arn.split(":", 6);
      String partition = parts.length == 6 && parts[0].equals("arn") ? parts[1] : "aws";
      String account = callerAccount != null ? callerAccount : parts.length == 6 ? parts[4] : null;
      if (account != null && account.isEmpty()) {
        account = null;
      }
      Matcher session = ASSUMED_ROLE.matcher(arn);
      String roleName = session.matches() ? session.group(3) : null;
      return new Caller(arn, partition, account, roleName);
    }

    /** Whether a policy principal is the account root of this caller's account. */
    boolean isRootOf(String named) {
      Matcher root = ROOT.matcher(named);
      return account != null
          && root.matches()
          && root.group(1).equals(partition)
          && root.group(2).equals(account);
    }

    /** Whether a policy principal is the role this caller is a session of. */
    boolean isSessionOf(String named) {
      if (roleName == null) {
        return false;
      }
      Matcher role = ROLE.matcher(named);
      return role.matches()
          && role.group(1).equals(partition)
          && role.group(2).equals(account)
          && role.group(3).equals(roleName);
    }
  }
}
