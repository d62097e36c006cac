package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial, for keys created with
 * {@code Origin=EXTERNAL} (state {@code PendingImport} until their material is imported).
 *
 * <p>An import token is valid for 24 hours with the wrapping public key of the same answer; a key
 * keeps its last {@value KmsKey#MAX_IMPORT_PARAMETERS} answers. Imported material may expire
 * ({@code ValidTo}); expired or deleted material makes the key {@code PendingImport} until the same
 * material is imported again. Symmetric keys can take new material ({@code
 * ImportType=NEW_KEY_MATERIAL}, state {@code PENDING_ROTATION}) that RotateKeyOnDemand makes
 * current. Unwrapping: {@link ImportedKeyMaterial}.
 *
 * <p>Recorded AWS texts: {@code <key ARN> origin is AWS_KMS which is not valid for this operation.}
 * (UnsupportedOperationException) and {@code A validTo date must be set if the ExpirationModel is
 * KEY_MATERIAL_EXPIRES} (ValidationException). Inferred:
 *
 * <ul>
 *   <li>ValidationException {@code A validTo date must not be set if the ExpirationModel is
 *       KEY_MATERIAL_DOES_NOT_EXPIRE}, {@code ValidTo must be in the future.}, {@code ValidTo must
 *       be at most 365 days after the request date.}, {@code The RSAES_PKCS1_V1_5 wrapping
 *       algorithm is no longer supported.}, {@code ImportType, KeyMaterialDescription and
 *       KeyMaterialId apply only to symmetric encryption keys.}, {@code You cannot specify a key
 *       material ID with ImportType NEW_KEY_MATERIAL.};
 *   <li>UnsupportedOperationException {@code SM2 wrapping is supported only in China Regions.};
 *   <li>InvalidImportTokenException {@code The import token is invalid or is associated with a
 *       different KMS key.} and ExpiredImportTokenException {@code The import token expired at
 *       <ISO-8601 time>.};
 *   <li>IncorrectKeyMaterialException {@code The key material is not the key material previously
 *       imported into <key ARN>.}, {@code The key material is already associated with <key ARN>.};
 *   <li>KMSInvalidStateException {@code <key ARN> already has key material pending rotation.};
 *   <li>UnsupportedOperationException {@code New key material is imported into the primary key of a
 *       multi-Region key; import it into <key ARN> with ImportType EXISTING_KEY_MATERIAL.};
 *   <li>NotFoundException {@code Key material <id> does not exist in <key ARN>.}.
 * </ul>
 */
final class ImportOperations {
  static final Duration TOKEN_LIFETIME = Duration.ofHours(24);
  static final Duration MAX_VALID_TO = Duration.ofDays(365);
  private static final Duration EXPIRED_TOKEN_KEPT = Duration.ofDays(7);
  private static final List<String> EXPIRATION_MODELS =
      List.of("KEY_MATERIAL_EXPIRES", "KEY_MATERIAL_DOES_NOT_EXPIRE");
  private static final List<String> IMPORT_TYPES =
      List.of("NEW_KEY_MATERIAL", "EXISTING_KEY_MATERIAL");
  private static final Pattern DESCRIPTION = Pattern.compile("^[a-zA-Z0-9:/_\\s.-]+$");
  private static final Pattern MATERIAL_ID = Pattern.compile("^[a-f0-9]+$");

  private final OperationSupport support;

  ImportOperations(OperationSupport support) {
    this.support = support;
  }

  KmsResult getParametersForImport(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String algorithm =
        required(fields, "WrappingAlgorithm", ImportedKeyMaterial.WRAPPING_ALGORITHMS);
    String keySpec = required(fields, "WrappingKeySpec", ImportedKeyMaterial.WRAPPING_KEY_SPECS);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(
        call,
        key,
        "kms:GetParametersForImport",
        Map.of(),
        null,
        Map.of(
            "kms:WrappingAlgorithm", List.of(algorithm), "kms:WrappingKeySpec", List.of(keySpec)));
    requireExternal(key);
    OperationSupport.requireNotPendingDeletion(key);
    if (algorithm.equals("RSAES_PKCS1_V1_5")) {
      throw KmsError.validation("The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported.");
    }
    if (algorithm.equals("SM2PKE") || keySpec.equals("SM2")) {
      throw new KmsError(
          "UnsupportedOperationException", "SM2 wrapping is supported only in China Regions.");
    }
    Instant now = support.now(call);
    KeyPair wrapping = ImportedKeyMaterial.wrappingKeyPair(keySpec, support.settings().random());
    byte[] tokenId = new byte[16];
    support.settings().random().nextBytes(tokenId);
    ImportParameters parameters =
        new ImportParameters(
            HexFormat.of().formatHex(tokenId),
            algorithm,
            keySpec,
            wrapping.getPrivate().getEncoded(),
            now.plus(TOKEN_LIFETIME));
    KmsKey changed =
        update(
            key,
            now,
            current -> {
              List<ImportParameters> kept = new ArrayList<>();
              for (ImportParameters old : current.importParameters()) {
                if (old.validTo().plus(EXPIRED_TOKEN_KEPT).isAfter(now)) {
                  kept.add(old);
                }
              }
              kept.add(parameters);
              return current.withImportParameters(kept);
            });
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", changed.arn());
    OperationSupport.putBlob(response, "ImportToken", token(changed.keyId(), tokenId));
    OperationSupport.putBlob(response, "PublicKey", wrapping.getPublic().getEncoded());
    response.set("ParametersValidTo", OperationSupport.timestamp(parameters.validTo()));
    return OperationSupport.result(response, List.of(changed.arn()), null);
  }

  KmsResult importKeyMaterial(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    byte[] token = fields.requiredBlob("ImportToken", 1, CiphertextBlob.MAX_LENGTH);
    byte[] encrypted = fields.requiredBlob("EncryptedKeyMaterial", 1, CiphertextBlob.MAX_LENGTH);
    Instant validTo = fields.timestamp("ValidTo");
    String model = fields.enumValue("ExpirationModel", EXPIRATION_MODELS);
    String importType = fields.enumValue("ImportType", IMPORT_TYPES);
    String description = fields.string("KeyMaterialDescription", 0, 256);
    String materialId = fields.string("KeyMaterialId", 64, 64);
    checkPatterns(description, materialId);
    Instant now = support.now(call);
    String expirationModel = model == null ? "KEY_MATERIAL_EXPIRES" : model;
    checkExpiration(expirationModel, validTo, now);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    Map<String, List<String>> conditions = new LinkedHashMap<>();
    conditions.put("kms:ExpirationModel", List.of(expirationModel));
    if (validTo != null) {
      conditions.put("kms:ValidTo", List.of(String.valueOf(validTo.getEpochSecond())));
    }
    support.authorize(call, key, "kms:ImportKeyMaterial", Map.of(), null, conditions);
    requireExternal(key);
    OperationSupport.requireNotPendingDeletion(key);
    if (key.spec().asymmetric()
        && (importType != null || description != null || materialId != null)) {
      throw KmsError.validation(
          "ImportType, KeyMaterialDescription and KeyMaterialId apply only to symmetric"
              + " encryption keys.");
    }
    ImportParameters parameters = parameters(key, token, now);
    ImportedKeyMaterial.Material material =
        ImportedKeyMaterial.material(key.spec(), ImportedKeyMaterial.unwrap(parameters, encrypted));
    KeyMaterial.Imported details = new KeyMaterial.Imported(description, expirationModel, validTo);
    String id = KeyMaterial.importedId(key.keyId(), material.secret());
    // Read before the update: the change runs under this region's lock and must not reach other
    // regions.
    boolean replica =
        key.multiRegion() != null && !MultiRegionKeys.isPrimary(key, support.regions(), now);
    KmsKey changed =
        update(
            key,
            now,
            current -> imported(current, material, id, details, importType, materialId, replica));
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", changed.arn());
    if (!changed.spec().asymmetric()) {
      response.put("KeyMaterialId", id);
    }
    return OperationSupport.result(response, List.of(changed.arn()), null);
  }

  /** The key after importing material: first, again, or new (pending rotation). */
  private static KmsKey imported(
      KmsKey key,
      ImportedKeyMaterial.Material material,
      String id,
      KeyMaterial.Imported details,
      String importType,
      String requestedId,
      boolean replica) {
    List<KeyMaterial> materials = new ArrayList<>(key.materials());
    if (key.spec().asymmetric()) {
      if (materials.isEmpty()) {
        materials.add(
            new KeyMaterial(
                id,
                key.spec(),
                material.secret(),
                material.publicKey(),
                KeyMaterial.State.CURRENT,
                null,
                null,
                details));
      } else {
        KeyMaterial existing = materials.get(0);
        if (!Arrays.equals(existing.publicKeyDer(), material.publicKey())) {
          throw notPrevious(key);
        }
        materials.set(0, existing.withImport(material.secret(), material.publicKey(), details));
      }
      return key.withMaterials(materials, KeyMaintenance.stateFor(key, materials));
    }
    String type =
        importType != null
            ? importType
            : materials.isEmpty() ? "NEW_KEY_MATERIAL" : "EXISTING_KEY_MATERIAL";
    if (requestedId != null && type.equals("NEW_KEY_MATERIAL")) {
      throw KmsError.validation(
          "You cannot specify a key material ID with ImportType NEW_KEY_MATERIAL.");
    }
    if (requestedId != null && !requestedId.equals(id)) {
      throw notPrevious(key);
    }
    KeyMaterial existing = key.material(id);
    if (type.equals("EXISTING_KEY_MATERIAL")) {
      if (existing == null) {
        throw notPrevious(key);
      }
      KeyMaterial.Imported kept =
          details.description() != null
              ? details
              : new KeyMaterial.Imported(
                  existing.imported() == null ? null : existing.imported().description(),
                  details.expirationModel(),
                  details.validTo());
      materials.set(
          materials.indexOf(existing), existing.withImport(material.secret(), null, kept));
    } else if (materials.isEmpty()) {
      materials.add(
          new KeyMaterial(
              id,
              key.spec(),
              material.secret(),
              null,
              KeyMaterial.State.CURRENT,
              null,
              null,
              details));
    } else {
      if (existing != null) {
        throw new KmsError(
            "IncorrectKeyMaterialException",
            "The key material is already associated with " + key.arn() + ".");
      }
      if (materials.stream().anyMatch(m -> m.state() == KeyMaterial.State.PENDING_ROTATION)) {
        throw new KmsError(
            "KMSInvalidStateException", key.arn() + " already has key material pending rotation.");
      }
      if (replica) {
        throw new KmsError(
            "UnsupportedOperationException",
            "New key material is imported into the primary key of"
                + " a multi-Region key; import it into "
                + key.arn()
                + " with ImportType EXISTING_KEY_MATERIAL.");
      }
      materials.add(
          new KeyMaterial(
              id,
              key.spec(),
              material.secret(),
              null,
              KeyMaterial.State.PENDING_ROTATION,
              null,
              null,
              details));
    }
    return key.withMaterials(materials, KeyMaintenance.stateFor(key, materials));
  }

  KmsResult deleteImportedKeyMaterial(KmsCall call) {
    RequestFields fields = new RequestFields(call.request());
    String keyId = OperationSupport.keyIdMember(fields, "KeyId");
    String materialId = fields.string("KeyMaterialId", 64, 64);
    checkPatterns(null, materialId);
    KmsKey key = support.resolve(call, keyId, KeyIdentifiers.Forms.KEY_ONLY);
    support.authorize(call, key, "kms:DeleteImportedKeyMaterial", Map.of(), null);
    requireExternal(key);
    KeyMaterial target = materialId != null ? key.material(materialId) : key.currentMaterial();
    if (materialId != null && target == null) {
      throw KmsError.notFound(
          "Key material " + materialId + " does not exist in " + key.arn() + ".");
    }
    KmsKey changed =
        target == null
            ? key
            : update(
                key,
                support.now(call),
                current -> {
                  List<KeyMaterial> materials = new ArrayList<>();
                  for (KeyMaterial material : current.materials()) {
                    if (!material.id().equals(target.id())) {
                      materials.add(material);
                    } else if (material.state() != KeyMaterial.State.PENDING_ROTATION) {
                      materials.add(material.available() ? material.withoutSecret() : material);
                    }
                  }
                  return current.withMaterials(
                      materials, KeyMaintenance.stateFor(current, materials));
                });
    ObjectNode response = OperationSupport.JSON.objectNode();
    response.put("KeyId", changed.arn());
    response.put("KeyMaterialId", target == null ? "" : target.id());
    return OperationSupport.result(response, List.of(changed.arn()), null);
  }

  /**
   * The import token: {@code 0x01}, the key id's length and ASCII bytes, then the 16-byte token id.
   */
  private static byte[] token(String keyId, byte[] tokenId) {
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(2 + id.length + tokenId.length)
        .put((byte) 1)
        .put((byte) id.length)
        .put(id)
        .put(tokenId)
        .array();
  }

  /** The import parameters a token names, if it is one of this key's and has not expired. */
  private static ImportParameters parameters(KmsKey key, byte[] token, Instant now) {
    KmsError invalid =
        new KmsError(
            "InvalidImportTokenException",
            "The import token is invalid or is associated with a different KMS key.");
    if (token.length < 2 || token[0] != 1 || token.length != 2 + (token[1] & 0xff) + 16) {
      throw invalid;
    }
    String keyId = new String(token, 2, token[1] & 0xff, StandardCharsets.US_ASCII);
    String tokenId = HexFormat.of().formatHex(token, token.length - 16, token.length);
    if (!keyId.equals(key.keyId())) {
      throw invalid;
    }
    for (ImportParameters parameters : key.importParameters()) {
      if (parameters.tokenId().equals(tokenId)) {
        if (!now.isBefore(parameters.validTo())) {
          throw new KmsError(
              "ExpiredImportTokenException",
              "The import token expired at " + parameters.validTo() + ".");
        }
        return parameters;
      }
    }
    throw invalid;
  }

  private static void checkExpiration(String model, Instant validTo, Instant now) {
    if (model.equals("KEY_MATERIAL_EXPIRES") && validTo == null) {
      throw KmsError.validation(
          "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
    }
    if (model.equals("KEY_MATERIAL_DOES_NOT_EXPIRE") && validTo != null) {
      throw KmsError.validation(
          "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE");
    }
    if (validTo != null && !validTo.isAfter(now)) {
      throw KmsError.validation("ValidTo must be in the future.");
    }
    if (validTo != null && validTo.isAfter(now.plus(MAX_VALID_TO))) {
      throw KmsError.validation("ValidTo must be at most 365 days after the request date.");
    }
  }

  private static void checkPatterns(String description, String materialId) {
    if (description != null
        && !description.isEmpty()
        && !DESCRIPTION.matcher(description).matches()) {
      throw RequestFields.validation(
          "'" + description + "'",
          "KeyMaterialDescription",
          "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_\\s.-]+$");
    }
    if (materialId != null && !MATERIAL_ID.matcher(materialId).matches()) {
      throw RequestFields.validation(
          "'" + materialId + "'",
          "KeyMaterialId",
          "Member must satisfy regular expression pattern: ^[a-f0-9]+$");
    }
  }

  private static String required(RequestFields fields, String member, List<String> values) {
    String value = fields.enumValue(member, values);
    if (value == null) {
      throw RequestFields.notNull(member);
    }
    return value;
  }

  private static void requireExternal(KmsKey key) {
    if (!key.origin().equals(KmsKey.EXTERNAL)) {
      throw new KmsError(
          "UnsupportedOperationException",
          key.arn() + " origin is " + key.origin() + " which is not valid for this operation.");
    }
  }

  private static KmsError notPrevious(KmsKey key) {
    return new KmsError(
        "IncorrectKeyMaterialException",
        "The key material is not the key material previously imported into " + key.arn() + ".");
  }

  private KmsKey update(KmsKey key, Instant now, java.util.function.UnaryOperator<KmsKey> change) {
    KmsKey changed = support.store().update(key.keyId(), now, change);
    if (changed == null) {
      throw KmsError.notFound("Key '" + key.arn() + "' does not exist");
    }
    return changed;
  }
}
