package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * CreateGrant, ListGrants, ListRetirableGrants, RetireGrant and RevokeGrant.
 *
 * <p>Grants take effect at once (the mock has no eventual consistency), so grant tokens are only
 * checked for form ({@link Grants}). A grantee may use the granted operations when the key policy
 * does not explicitly deny ({@link OperationSupport#authorize}); a grant that allows CreateGrant
 * lets its grantee create grants for a subset of its operations with an equally strict or stricter
 * encryption context constraint. CreateGrant sees the condition keys {@code kms:GrantOperations},
 * {@code kms:GranteePrincipal}, {@code kms:RetiringPrincipal}, {@code kms:GrantConstraintType},
 * {@code kms:GrantIsForAWSResource} (false) and the constraint's pairs as {@code
 * kms:EncryptionContext:*}. RetireGrant is allowed to the grant's retiring principal, its grantee
 * when the grant allows RetireGrant, and principals of the account that issued the grant (IAM,
 * which the mock takes to allow everything); ListRetirableGrants is authorized by IAM alone. A Name
 * makes CreateGrant idempotent: the same name, key and parameters return the existing grant id with
 * a new token.
 *
 * <p>Inferred texts (no public record): ValidationException {@code The operation <op> is not
 * supported by <key ARN>.}, {@code Grant constraints are not supported on asymmetric or HMAC KMS
 * keys.}, {@code Specify only one of EncryptionContextSubset and EncryptionContextEquals.}, {@code
 * A grant constraint has at most 8 encryption context pairs, each value at most 384 characters.},
 * {@code Operations must not be empty.}, {@code Grant token OR (grant ID, key ID) must be
 * specified}; InvalidGrantIdException {@code Invalid grant ID <id>}; NotFoundException {@code Grant
 * ID <id> not found}; LimitExceededException {@code <key ARN> has reached the limit of 50000
 * grants.}; InvalidGrantTokenException {@code The grant token is invalid.}.
 */
final class GrantOperations {
  static final int MAX_GRANTS_PER_KEY = 50_000;
  private static final Pattern PRINCIPAL = Pattern.compile("^[\\w+=,.@:/-]+$");
  private static final Pattern NAME = Pattern.compile("^[a-zA-Z0-9:/_-]+$");
  private static final int MAX_CONSTRAINT_PAIRS = 8;
  private static final int MAX_CONSTRAINT_VALUE = 384;

  private final OperationSupport support;

  GrantOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult createGrant(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String grantee = principal(fields, "GranteePrincipal", true);
    String retiring = principal(fields, "RetiringPrincipal", false);
    List<String> operations = operations(fields);
    String name = fields.string("Name", 1, 256);
    if (name != null && !NAME.matcher(name).matches()) {
      throw RequestFields.validation(
          "'" + name + "'",
          "Name",
          "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
    }
    Constraint constraint = constraint(fields);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    Map<String, List<String>> conditions = new LinkedHashMap<>();
    conditions.put("kms:GrantOperations", operations);
    conditions.put("kms:GranteePrincipal", List.of(grantee));
    if (retiring != null) {
      conditions.put("kms:RetiringPrincipal", List.of(retiring));
    }
    conditions.put("kms:GrantIsForAWSResource", List.of("false"));
    if (constraint.type() != null) {
      conditions.put("kms:GrantConstraintType", List.of(constraint.type()));
    }
    support.authorize(
        call,
        key,
        "kms:CreateGrant",
        constraint.pairs(),
        null,
        conditions,
        grant ->
            grant.operations().contains("CreateGrant")
                && grant.operations().containsAll(operations)
                && atLeastAsStrict(constraint, grant));
    OperationSupport.requireEnabled(key);
    Set<String> supported = Grants.supportedBy(key);
    for (String operation : operations) {
      if (!supported.contains(operation)) {
        throw KmsError.validation(
            "The operation " + operation + " is not supported by " + key.arn() + ".");
      }
    }
    if (constraint.type() != null
        && (key.spec().asymmetric() || !key.keyUsage().equals(KmsKeySpec.ENCRYPT_DECRYPT))) {
      throw KmsError.validation(
          "Grant constraints are not supported on asymmetric or HMAC KMS keys.");
    }
    OperationSupport.finishDryRun(fields);
    KmsGrant grant = null;
    if (name != null) {
      for (KmsGrant existing : support.store().grants(key.keyId())) {
        if (name.equals(existing.name())
            && existing.granteePrincipal().equals(grantee)
            && java.util.Objects.equals(existing.retiringPrincipal(), retiring)
            && Set.copyOf(existing.operations()).equals(Set.copyOf(operations))
            && java.util.Objects.equals(existing.encryptionContextSubset(), constraint.subset())
            && java.util.Objects.equals(existing.encryptionContextEquals(), constraint.equals())) {
          grant = existing;
        }
      }
    }
    if (grant == null) {
      grant =
          new KmsGrant(
              Grants.newGrantId(support.settings().random()),
              key.keyId(),
              key.accountId(),
              name,
              support.now(call),
              grantee,
              retiring,
              support.account(call),
              operations,
              constraint.subset(),
              constraint.equals());
      if (!support.store().addGrant(grant, MAX_GRANTS_PER_KEY)) {
        throw new KmsError(
            "LimitExceededException",
            key.arn() + " has reached the limit of " + MAX_GRANTS_PER_KEY + " grants.");
      }
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("GrantToken", Grants.newToken(grant.grantId(), support.settings().random()));
    response.put("GrantId", grant.grantId());
    return OperationSupport.result(response, List.of(key.arn()), null);
  }

  KmsResult listGrants(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    int limit = KeyManagementOperations.orDefault(fields.integer("Limit", 1, 1000), 50);
    String marker = fields.string("Marker", 1, 1024);
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String grantId = fields.string("GrantId", 1, 128);
    String grantee = principal(fields, "GranteePrincipal", false);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:ListGrants", Map.of(), null);
    if (grantId != null) {
      checkGrantId(grantId);
    }
    List<KmsGrant> grants = new ArrayList<>();
    for (KmsGrant grant : support.store().grants(key.keyId())) {
      if ((grantId == null || grant.grantId().equals(grantId))
          && (grantee == null || grant.granteePrincipal().equals(grantee))) {
        grants.add(grant);
      }
    }
    return page(grants, limit, marker, List.of(key.arn()));
  }

  KmsResult listRetirableGrants(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    int limit = KeyManagementOperations.orDefault(fields.integer("Limit", 1, 1000), 50);
    String marker = fields.string("Marker", 1, 1024);
    String retiring = principal(fields, "RetiringPrincipal", true);
    List<KmsGrant> grants = new ArrayList<>();
    for (KmsGrant grant : support.store().allGrants()) {
      if (retiring.equals(grant.retiringPrincipal())) {
        grants.add(grant);
      }
    }
    return page(grants, limit, marker, List.of());
  }

  KmsResult retireGrant(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String token = fields.string("GrantToken", 1, 8192);
    String keyId = fields.string("KeyId", 1, OperationSupport.MAX_KEY_ID);
    String grantId = fields.string("GrantId", 1, 128);
    if (token == null && (keyId == null || grantId == null)) {
      throw KmsError.validation("Grant token OR (grant ID, key ID) must be specified");
    }
    KmsGrant grant;
    KmsKey key;
    if (token != null) {
      grant = support.store().grant(Grants.grantIdOf(token));
      if (grant == null || (grantId != null && !grant.grantId().equals(grantId))) {
        throw KmsError.notFound(
            "Grant ID " + (grantId != null ? grantId : Grants.grantIdOf(token)) + " not found");
      }
      key =
          keyId != null
              ? support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY)
              : support.store().find(grant.keyId(), support.now(call));
    } else {
      key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
      checkGrantId(grantId);
      grant = support.store().grant(grantId);
    }
    if (grant == null || key == null || !grant.keyId().equals(key.keyId())) {
      throw KmsError.notFound(
          "Grant ID " + (grantId != null ? grantId : Grants.grantIdOf(token)) + " not found");
    }
    String principal = support.principal(call);
    String account = support.account(call);
    boolean allowed =
        PolicyEvaluator.principalMatches(grant.retiringPrincipal(), principal, account)
            || (grant.operations().contains("RetireGrant")
                && PolicyEvaluator.principalMatches(grant.granteePrincipal(), principal, account))
            || grant.issuingAccount().equals(account);
    if (!allowed) {
      AuthorizationRequest request =
          new AuthorizationRequest("kms:RetireGrant", principal, account, key.arn(), Map.of());
      throw PolicyEvaluator.accessDenied(request, PolicyEvaluator.Decision.IMPLICIT_DENY);
    }
    OperationSupport.finishDryRun(fields);
    support.store().removeGrant(grant.grantId());
    return OperationSupport.result(OperationSupport.JSON.objectNode(), List.of(key.arn()), null);
  }

  KmsResult revokeGrant(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String grantId = fields.requiredString("GrantId", 1, 128);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:RevokeGrant", Map.of(), null);
    checkGrantId(grantId);
    KmsGrant grant = support.store().grant(grantId);
    if (grant == null || !grant.keyId().equals(key.keyId())) {
      throw KmsError.notFound("Grant ID " + grantId + " not found");
    }
    OperationSupport.finishDryRun(fields);
    support.store().removeGrant(grantId);
    return OperationSupport.result(OperationSupport.JSON.objectNode(), List.of(key.arn()), null);
  }

  private KmsResult page(List<KmsGrant> grants, int limit, String marker, List<String> resources) {
    String after = KeyManagementOperations.Markers.decode(marker);
    int start = 0;
    if (after != null) {
      start = -1;
      for (int i = 0; i < grants.size(); i++) {
        if (grants.get(i).grantId().equals(after)) {
          start = i + 1;
        }
      }
      if (start < 0) {
        throw new KmsError(
            "InvalidMarkerException", "Could not deserialize marker '" + marker + "'");
      }
    }
    int end = Math.min(grants.size(), start + limit);
    ArrayNode entries = OperationSupport.JSON.arrayNode();
    for (KmsGrant grant : grants.subList(start, end)) {
      entries.add(entry(grant));
    }
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.set("Grants", entries);
    boolean truncated = end < grants.size();
    if (truncated) {
      response.put(
          "NextMarker", KeyManagementOperations.Markers.encode(grants.get(end - 1).grantId()));
    }
    response.put("Truncated", truncated);
    return OperationSupport.result(response, resources, null);
  }

  private ObjectNode entry(KmsGrant grant) {
    ObjectNode entry = OperationSupport.JSON.objectNode();
    entry.put("KeyId", support.ids().keyArn(grant.keyAccountId(), grant.keyId()));
    entry.put("GrantId", grant.grantId());
    if (grant.name() != null) {
      entry.put("Name", grant.name());
    }
    entry.set("CreationDate", OperationSupport.timestamp(grant.creationDate()));
    entry.put("GranteePrincipal", grant.granteePrincipal());
    if (grant.retiringPrincipal() != null) {
      entry.put("RetiringPrincipal", grant.retiringPrincipal());
    }
    entry.put(
        "IssuingAccount",
        "arn:" + support.settings().partition() + ":iam::" + grant.issuingAccount() + ":root");
    entry.set("Operations", OperationSupport.strings(grant.operations()));
    if (grant.constrained()) {
      ObjectNode constraints = entry.putObject("Constraints");
      putMap(constraints, "EncryptionContextSubset", grant.encryptionContextSubset());
      putMap(constraints, "EncryptionContextEquals", grant.encryptionContextEquals());
    }
    return entry;
  }

  private static void putMap(ObjectNode node, String member, Map<String, String> pairs) {
    if (pairs != null) {
      ObjectNode map = node.putObject(member);
      pairs.forEach(map::put);
    }
  }

  /** A grant's encryption context constraint: at most one of the two kinds. */
  private record Constraint(Map<String, String> subset, Map<String, String> equals) {
    String type() {
      return subset != null
          ? "EncryptionContextSubset"
          : equals != null ? "EncryptionContextEquals" : null;
    }

    Map<String, String> pairs() {
      return subset != null ? subset : equals != null ? equals : Map.of();
    }
  }

  private static Constraint constraint(RequestFields fields) {
    JsonNode node = fields.node("Constraints");
    if (node == null) {
      return new Constraint(null, null);
    }
    if (!node.isObject()) {
      throw new KmsError("SerializationException", "Start of list found where not expected.");
    }
    RequestFields constraints = new RequestFields((ObjectNode) node);
    Map<String, String> subset =
        constraints.has("EncryptionContextSubset")
            ? constraints.stringMap("EncryptionContextSubset")
            : null;
    Map<String, String> equals =
        constraints.has("EncryptionContextEquals")
            ? constraints.stringMap("EncryptionContextEquals")
            : null;
    if (subset != null && equals != null) {
      throw KmsError.validation(
          "Specify only one of EncryptionContextSubset and EncryptionContextEquals.");
    }
    Map<String, String> pairs = subset != null ? subset : equals;
    if (pairs != null
        && (pairs.size() > MAX_CONSTRAINT_PAIRS
            || pairs.values().stream().anyMatch(v -> v.length() > MAX_CONSTRAINT_VALUE))) {
      throw KmsError.validation(
          "A grant constraint has at most 8 encryption context pairs, each value at most 384"
              + " characters.");
    }
    return new Constraint(subset, equals);
  }

  /**
   * Whether a new grant's constraint is at least as strict as a parent grant's: anything under an
   * unconstrained parent; under {@code Equals}, the same {@code Equals}; under {@code Subset}, a
   * subset or an equals constraint that includes the parent's pairs.
   */
  private static boolean atLeastAsStrict(Constraint requested, KmsGrant parent) {
    if (!parent.constrained()) {
      return true;
    }
    if (parent.encryptionContextEquals() != null) {
      return parent.encryptionContextEquals().equals(requested.equals());
    }
    Map<String, String> pairs = requested.type() == null ? Map.of() : requested.pairs();
    return pairs.entrySet().containsAll(parent.encryptionContextSubset().entrySet());
  }

  private static List<String> operations(RequestFields fields) {
    if (!fields.has("Operations")) {
      throw RequestFields.notNull("Operations");
    }
    List<String> operations = fields.stringList("Operations", Grants.OPERATIONS.size() * 4);
    if (operations.isEmpty()) {
      throw KmsError.validation("Operations must not be empty.");
    }
    for (String operation : operations) {
      if (!Grants.OPERATIONS.contains(operation)) {
        throw RequestFields.validation(
            "'" + operations + "'",
            "Operations",
            "Member must satisfy constraint: [Member must satisfy enum value set: "
                + Grants.OPERATIONS
                + "]");
      }
    }
    return List.copyOf(new LinkedHashSet<>(operations));
  }

  private static String principal(RequestFields fields, String member, boolean required) {
    String principal =
        required ? fields.requiredString(member, 1, 256) : fields.string(member, 1, 256);
    if (principal != null && !PRINCIPAL.matcher(principal).matches()) {
      throw RequestFields.validation(
          "'" + principal + "'",
          member,
          "Member must satisfy regular expression pattern: ^[\\w+=,.@:/-]+$");
    }
    return principal;
  }

  private static void checkGrantId(String grantId) {
    if (!grantId.matches("[0-9a-f]{64}")) {
      throw new KmsError(
          "InvalidGrantIdException", "Invalid grant ID " + SigV4Verifier.echo(grantId));
    }
  }
}
