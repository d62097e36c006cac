package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of the records in a state directory ({@link StateFiles}): keys with every material
 * version, rotation schedule, multi-Region role, import parameters and tags (an optional {@code
 * tags} object, tag key to value); aliases; grants.
 *
 * <p>Format 2 is written. Format 1 key files (one material in {@code secret}/{@code publicKey}, no
 * rotation, origin {@code AWS_KMS}) are still read. Decoding validates every field and fails with
 * an {@link IllegalArgumentException} naming the bad one.
 */
final class StateCodec {
  /** The format written. */
  static final int FORMAT = 2;

  private static final ObjectMapper JSON = new ObjectMapper();

  private StateCodec() {}

  static ObjectNode encodeKey(KmsKey key) {
    ObjectNode node = JSON.createObjectNode();
    node.put("format", FORMAT);
    node.put("keyId", key.keyId());
    node.put("accountId", key.accountId());
    node.put("region", key.region());
    node.put("partition", key.partition());
    node.put("creationDate", key.creationDate().toString());
    node.put("description", key.description());
    node.put("keyUsage", key.keyUsage());
    node.put("keySpec", key.spec().name());
    node.put("keyState", key.state().wireName());
    node.put("deletionDate", key.deletionDate() == null ? null : key.deletionDate().toString());
    node.put("pendingWindowInDays", key.pendingWindowInDays());
    node.put("policy", key.policyJson());
    node.put("origin", key.origin());
    if (!key.tags().isEmpty()) {
      node.set("tags", KeyTags.toStateJson(key.tags()));
    }
    ArrayNode materials = node.putArray("materials");
    for (KeyMaterial material : key.materials()) {
      materials.add(encodeMaterial(material));
    }
    KeyRotation rotation = key.rotation();
    node.putObject("rotation")
        .put("enabled", rotation.enabled())
        .put("periodDays", rotation.periodDays())
        .put("base", rotation.base() == null ? null : rotation.base().toString())
        .put("onDemandRotations", rotation.onDemandRotations());
    if (key.multiRegion() != null) {
      node.putObject("multiRegion")
          .put("primaryRegion", key.multiRegion().primaryRegion())
          .put("epoch", key.multiRegion().epoch());
    }
    ArrayNode imports = node.putArray("importParameters");
    for (ImportParameters parameters : key.importParameters()) {
      imports
          .addObject()
          .put("tokenId", parameters.tokenId())
          .put("wrappingAlgorithm", parameters.wrappingAlgorithm())
          .put("wrappingKeySpec", parameters.wrappingKeySpec())
          .put("privateKey", base64(parameters.privateKey()))
          .put("validTo", parameters.validTo().toString());
    }
    return node;
  }

  private static ObjectNode encodeMaterial(KeyMaterial material) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", material.id());
    node.put("secret", material.secret() == null ? null : base64(material.secret()));
    node.put("publicKey", material.publicKeyDer() == null ? null : base64(material.publicKeyDer()));
    node.put("state", material.state().name());
    node.put(
        "rotationDate",
        material.rotationDate() == null ? null : material.rotationDate().toString());
    node.put("rotationType", material.rotationType());
    KeyMaterial.Imported imported = material.imported();
    if (imported != null) {
      node.putObject("imported")
          .put("description", imported.description())
          .put("expirationModel", imported.expirationModel())
          .put("validTo", imported.validTo() == null ? null : imported.validTo().toString());
    }
    return node;
  }

  static KmsKey decodeKey(JsonNode node) {
    int format = integer(node, "format");
    if (format != 1 && format != FORMAT) {
      throw new IllegalArgumentException("unsupported format " + format);
    }
    String keyId = text(node, "keyId");
    if (!KeyIdentifiers.isAnyKeyId(keyId)) {
      throw new IllegalArgumentException("keyId is not a key id");
    }
    KmsKeySpec spec = KmsKeySpec.fromWire(text(node, "keySpec"));
    KeyState state = KeyState.fromWire(text(node, "keyState"));
    if (spec == null || state == null) {
      throw new IllegalArgumentException("unknown keySpec or keyState");
    }
    String usage = text(node, "keyUsage");
    if (!spec.implementsUsage(usage)) {
      throw new IllegalArgumentException("keyUsage " + usage + " does not fit keySpec " + spec);
    }
    KeyPolicy policy = SharedPolicies.parse(text(node, "policy"));
    String policyJson = policy.json();
    List<KeyMaterial> materials = new ArrayList<>();
    String origin = KmsKey.AWS_KMS;
    KeyRotation rotation = KeyRotation.NONE;
    MultiRegionRole multiRegion = null;
    List<ImportParameters> imports = new ArrayList<>();
    if (format == 1) {
      String publicKey = optionalText(node, "publicKey");
      materials.add(
          KeyMaterial.generated(
              spec, bytes(text(node, "secret")), publicKey == null ? null : bytes(publicKey)));
    } else {
      origin = text(node, "origin");
      for (JsonNode material : array(node, "materials")) {
        materials.add(decodeMaterial(material, spec));
      }
      JsonNode r = object(node, "rotation");
      String base = optionalText(r, "base");
      rotation =
          new KeyRotation(
              bool(r, "enabled"),
              integer(r, "periodDays"),
              base == null ? null : instant(base),
              integer(r, "onDemandRotations"));
      if (node.hasNonNull("multiRegion")) {
        JsonNode m = object(node, "multiRegion");
        JsonNode epoch = m.get("epoch");
        if (epoch == null || !epoch.canConvertToLong()) {
          throw new IllegalArgumentException("field epoch is missing or not an integer");
        }
        multiRegion = new MultiRegionRole(text(m, "primaryRegion"), epoch.longValue());
      }
      for (JsonNode p : array(node, "importParameters")) {
        imports.add(
            new ImportParameters(
                text(p, "tokenId"),
                text(p, "wrappingAlgorithm"),
                text(p, "wrappingKeySpec"),
                bytes(text(p, "privateKey")),
                instant(text(p, "validTo"))));
      }
    }
    String deletionDate = optionalText(node, "deletionDate");
    KeyDraft d = new KeyDraft();
    d.keyId = keyId;
    d.accountId = text(node, "accountId");
    d.region = text(node, "region");
    d.partition = text(node, "partition");
    d.creationDate = instant(text(node, "creationDate"));
    d.description = text(node, "description");
    d.keyUsage = usage;
    d.spec = spec;
    d.state = state;
    d.deletionDate = deletionDate == null ? null : instant(deletionDate);
    d.pendingWindowInDays =
        node.hasNonNull("pendingWindowInDays") ? integer(node, "pendingWindowInDays") : null;
    d.policyJson = policyJson;
    d.policy = policy;
    d.origin = origin;
    d.materials = materials;
    d.rotation = rotation;
    d.multiRegion = multiRegion;
    d.importParameters = imports;
    d.tags = KeyTags.fromStateJson(node.get("tags"));
    KmsKey key = d.build();
    for (KeyMaterial material : key.materials()) {
      if (spec.asymmetric() && material.available()) {
        material
            .privateKey(); // parse now, so damaged material is reported at open and not at first
        // use
        material.publicKey();
      }
    }
    return key;
  }

  private static KeyMaterial decodeMaterial(JsonNode node, KmsKeySpec spec) {
    String secret = optionalText(node, "secret");
    String publicKey = optionalText(node, "publicKey");
    String rotationDate = optionalText(node, "rotationDate");
    KeyMaterial.State state;
    try {
      state = KeyMaterial.State.valueOf(text(node, "state"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown material state");
    }
    KeyMaterial.Imported imported = null;
    if (node.hasNonNull("imported")) {
      JsonNode i = object(node, "imported");
      String validTo = optionalText(i, "validTo");
      imported =
          new KeyMaterial.Imported(
              optionalText(i, "description"),
              optionalText(i, "expirationModel"),
              validTo == null ? null : instant(validTo));
    }
    return new KeyMaterial(
        text(node, "id"),
        spec,
        secret == null ? null : bytes(secret),
        publicKey == null ? null : bytes(publicKey),
        state,
        rotationDate == null ? null : instant(rotationDate),
        optionalText(node, "rotationType"),
        imported);
  }

  static ObjectNode encodeAlias(KmsAlias alias) {
    ObjectNode node = JSON.createObjectNode();
    node.put("format", FORMAT);
    node.put("accountId", alias.accountId());
    node.put("aliasName", alias.aliasName());
    node.put("targetKeyId", alias.targetKeyId());
    node.put("creationDate", alias.creationDate().toString());
    node.put("lastUpdatedDate", alias.lastUpdatedDate().toString());
    return node;
  }

  static KmsAlias decodeAlias(JsonNode node) {
    int format = integer(node, "format");
    if (format != 1 && format != FORMAT) {
      throw new IllegalArgumentException("unsupported format " + format);
    }
    return new KmsAlias(
        text(node, "accountId"),
        text(node, "aliasName"),
        text(node, "targetKeyId"),
        instant(text(node, "creationDate")),
        instant(text(node, "lastUpdatedDate")));
  }

  static ObjectNode encodeGrant(KmsGrant grant) {
    ObjectNode node = JSON.createObjectNode();
    node.put("format", FORMAT);
    node.put("grantId", grant.grantId());
    node.put("keyId", grant.keyId());
    node.put("keyAccountId", grant.keyAccountId());
    node.put("name", grant.name());
    node.put("creationDate", grant.creationDate().toString());
    node.put("granteePrincipal", grant.granteePrincipal());
    node.put("retiringPrincipal", grant.retiringPrincipal());
    node.put("issuingAccount", grant.issuingAccount());
    ArrayNode operations = node.putArray("operations");
    grant.operations().forEach(operations::add);
    putMap(node, "encryptionContextSubset", grant.encryptionContextSubset());
    putMap(node, "encryptionContextEquals", grant.encryptionContextEquals());
    return node;
  }

  static KmsGrant decodeGrant(JsonNode node) {
    if (integer(node, "format") != FORMAT) {
      throw new IllegalArgumentException("unsupported format " + node.get("format"));
    }
    List<String> operations = new ArrayList<>();
    for (JsonNode operation : array(node, "operations")) {
      if (!operation.isTextual()) {
        throw new IllegalArgumentException("an operation is not a string");
      }
      operations.add(operation.textValue());
    }
    return new KmsGrant(
        text(node, "grantId"),
        text(node, "keyId"),
        text(node, "keyAccountId"),
        optionalText(node, "name"),
        instant(text(node, "creationDate")),
        text(node, "granteePrincipal"),
        optionalText(node, "retiringPrincipal"),
        text(node, "issuingAccount"),
        operations,
        map(node, "encryptionContextSubset"),
        map(node, "encryptionContextEquals"));
  }

  private static void putMap(ObjectNode node, String field, Map<String, String> map) {
    if (map != null) {
      ObjectNode object = node.putObject(field);
      map.forEach(object::put);
    }
  }

  private static Map<String, String> map(JsonNode node, String field) {
    if (!node.hasNonNull(field)) {
      return null;
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : object(node, field).properties()) {
      if (!entry.getValue().isTextual()) {
        throw new IllegalArgumentException("field " + field + " has a value that is not a string");
      }
      map.put(entry.getKey(), entry.getValue().textValue());
    }
    return map;
  }

  private static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  private static byte[] bytes(String base64) {
    try {
      return Base64.getDecoder().decode(base64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not base64");
    }
  }

  private static JsonNode object(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isObject()) {
      throw new IllegalArgumentException("field " + field + " is missing or not an object");
    }
    return value;
  }

  private static JsonNode array(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isArray()) {
      throw new IllegalArgumentException("field " + field + " is missing or not an array");
    }
    return value;
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isTextual()) {
      throw new IllegalArgumentException("field " + field + " is missing or not a string");
    }
    return value.textValue();
  }

  private static String optionalText(JsonNode node, String field) {
    return node.hasNonNull(field) ? text(node, field) : null;
  }

  private static boolean bool(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isBoolean()) {
      throw new IllegalArgumentException("field " + field + " is missing or not a boolean");
    }
    return value.booleanValue();
  }

  static int integer(JsonNode node, String field) {
    JsonNode value = node.get(field);
    if (value == null || !value.isInt()) {
      throw new IllegalArgumentException("field " + field + " is missing or not an integer");
    }
    return value.intValue();
  }

  private static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not an instant: " + text);
    }
  }
}
