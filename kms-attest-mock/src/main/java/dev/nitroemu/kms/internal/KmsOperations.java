package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs one authenticated KMS call: validates the request, resolves and authorizes the key (key
 * policy, with attestation conditions when a Recipient is verified), performs the operation and
 * builds the awsJson response. Errors are thrown as {@link KmsError} with KMS's type names and
 * texts.
 *
 * <p>Thread-safe; the operations are split by area into {@link KeyManagementOperations}, {@link
 * AliasOperations}, {@link CryptoOperations}, {@link DataKeyOperations}, {@link
 * RotationOperations}, {@link ImportOperations}, {@link GrantOperations}, {@link
 * MultiRegionOperations}, {@link KeyMetadataOperations}, {@link TagOperations}, {@link
 * SigningOperations} and {@link MacOperations}. One instance serves one region; {@link #forRegions}
 * routes each call to the region its SigV4 scope names.
 */
public final class KmsOperations {
  /**
   * The operations this class implements, as named in {@code X-Amz-Target: TrentService.<name>}.
   */
  public static final List<String> OPERATIONS =
      List.of(
          "CreateKey",
          "DescribeKey",
          "ListKeys",
          "CreateAlias",
          "DeleteAlias",
          "ListAliases",
          "EnableKey",
          "DisableKey",
          "ScheduleKeyDeletion",
          "CancelKeyDeletion",
          "PutKeyPolicy",
          "GetKeyPolicy",
          "Encrypt",
          "Decrypt",
          "ReEncrypt",
          "GenerateDataKey",
          "GenerateDataKeyWithoutPlaintext",
          "GenerateDataKeyPair",
          "GenerateRandom",
          "DeriveSharedSecret",
          "EnableKeyRotation",
          "DisableKeyRotation",
          "GetKeyRotationStatus",
          "RotateKeyOnDemand",
          "ListKeyRotations",
          "GetParametersForImport",
          "ImportKeyMaterial",
          "DeleteImportedKeyMaterial",
          "CreateGrant",
          "ListGrants",
          "ListRetirableGrants",
          "RetireGrant",
          "RevokeGrant",
          "ReplicateKey",
          "UpdatePrimaryRegion",
          "Sign",
          "Verify",
          "GetPublicKey",
          "GenerateMac",
          "VerifyMac",
          "TagResource",
          "UntagResource",
          "ListResourceTags",
          "UpdateAlias",
          "UpdateKeyDescription",
          "ListKeyPolicies",
          "GenerateDataKeyPairWithoutPlaintext");

  private final KeyManagementOperations keyManagement;
  private final AliasOperations aliases;
  private final CryptoOperations crypto;
  private final DataKeyOperations dataKeys;
  private final RotationOperations rotation;
  private final ImportOperations imports;
  private final GrantOperations grants;
  private final MultiRegionOperations multiRegion;
  private final KeyMetadataOperations metadata;
  private final TagOperations tags;
  private final SigningOperations signing;
  private final MacOperations macs;

  /**
   * A single-region KMS.
   *
   * @param settings region, account, clock and randomness
   * @param keys where keys and aliases live
   * @param recipients verifies the {@code Recipient} of attested calls
   */
  public KmsOperations(KmsSettings settings, KeyStore keys, RecipientVerifier recipients) {
    this(KmsRegions.single(settings, keys), settings.region(), recipients);
  }

  /**
   * The KMS of {@code region}, one of {@code regions} (whose keys multi-Region operations reach).
   */
  public KmsOperations(KmsRegions regions, String region, RecipientVerifier recipients) {
    OperationSupport support = new OperationSupport(regions, region, recipients);
    this.keyManagement = new KeyManagementOperations(support);
    this.aliases = new AliasOperations(support);
    this.crypto = new CryptoOperations(support);
    this.dataKeys = new DataKeyOperations(support);
    this.rotation = new RotationOperations(support);
    this.imports = new ImportOperations(support);
    this.grants = new GrantOperations(support);
    this.multiRegion = new MultiRegionOperations(support);
    this.metadata = new KeyMetadataOperations(support);
    this.tags = new TagOperations(support);
    this.signing = new SigningOperations(support);
    this.macs = new MacOperations(support);
  }

  /**
   * One handler for every region of {@code regions}: a call goes to the region of its caller's
   * SigV4 scope ({@link CallerIdentity#region()}), the home region when the caller names none.
   */
  public static KmsProtocol.OperationHandler forRegions(
      KmsRegions regions, RecipientVerifier recipients) {
    Map<String, KmsOperations> byRegion = new HashMap<>();
    for (String region : regions.names()) {
      byRegion.put(region, new KmsOperations(regions, region, recipients));
    }
    KmsOperations home = byRegion.get(regions.home());
    return call -> {
      String region = call.caller() == null ? null : call.caller().region();
      return byRegion.getOrDefault(region == null ? regions.home() : region, home).handle(call);
    };
  }

  /**
   * Performs a call.
   *
   * @return the response body and what the audit log records
   * @throws KmsError the KMS error to send; {@code UnknownOperationException} for operations not in
   *     {@link #OPERATIONS}, {@code KMSInternalException} when the state directory cannot be
   *     written
   */
  public KmsResult handle(KmsCall call) {
    Objects.requireNonNull(call, "call");
    if (call.request() == null) {
      call =
          new KmsCall(
              call.operation(),
              JsonNodeFactory.instance.objectNode(),
              call.caller(),
              call.requestId(),
              call.time(),
              call.userAgent(),
              call.sourceAddress());
    }
    try {
      JsonNode tokens = call.request().get("GrantTokens");
      if (tokens != null && !tokens.isNull()) {
        Grants.checkTokens(
            new RequestFields(call.request())
                .stringList("GrantTokens", OperationSupport.MAX_GRANT_TOKENS));
      }
      return dispatch(call);
    } catch (UncheckedIOException e) {
      throw KmsError.internal("The KMS mock could not write its state directory.");
    }
  }

  private KmsResult dispatch(KmsCall call) {
    String operation = call.operation() == null ? "" : call.operation();
    switch (operation) {
      case "CreateKey":
        return keyManagement.createKey(call);
      case "DescribeKey":
        return keyManagement.describeKey(call);
      case "ListKeys":
        return keyManagement.listKeys(call);
      case "EnableKey":
        return keyManagement.enableKey(call);
      case "DisableKey":
        return keyManagement.disableKey(call);
      case "ScheduleKeyDeletion":
        return keyManagement.scheduleKeyDeletion(call);
      case "CancelKeyDeletion":
        return keyManagement.cancelKeyDeletion(call);
      case "PutKeyPolicy":
        return keyManagement.putKeyPolicy(call);
      case "GetKeyPolicy":
        return keyManagement.getKeyPolicy(call);
      case "CreateAlias":
        return aliases.createAlias(call);
      case "DeleteAlias":
        return aliases.deleteAlias(call);
      case "ListAliases":
        return aliases.listAliases(call);
      case "Encrypt":
        return crypto.encrypt(call);
      case "Decrypt":
        return crypto.decrypt(call);
      case "ReEncrypt":
        return crypto.reEncrypt(call);
      case "GenerateDataKey":
        return dataKeys.generateDataKey(call);
      case "GenerateDataKeyWithoutPlaintext":
        return dataKeys.generateDataKeyWithoutPlaintext(call);
      case "GenerateDataKeyPair":
        return dataKeys.generateDataKeyPair(call);
      case "GenerateRandom":
        return dataKeys.generateRandom(call);
      case "DeriveSharedSecret":
        return dataKeys.deriveSharedSecret(call);
      case "EnableKeyRotation":
        return rotation.enableKeyRotation(call);
      case "DisableKeyRotation":
        return rotation.disableKeyRotation(call);
      case "GetKeyRotationStatus":
        return rotation.getKeyRotationStatus(call);
      case "RotateKeyOnDemand":
        return rotation.rotateKeyOnDemand(call);
      case "ListKeyRotations":
        return rotation.listKeyRotations(call);
      case "GetParametersForImport":
        return imports.getParametersForImport(call);
      case "ImportKeyMaterial":
        return imports.importKeyMaterial(call);
      case "DeleteImportedKeyMaterial":
        return imports.deleteImportedKeyMaterial(call);
      case "CreateGrant":
        return grants.createGrant(call);
      case "ListGrants":
        return grants.listGrants(call);
      case "ListRetirableGrants":
        return grants.listRetirableGrants(call);
      case "RetireGrant":
        return grants.retireGrant(call);
      case "RevokeGrant":
        return grants.revokeGrant(call);
      case "ReplicateKey":
        return multiRegion.replicateKey(call);
      case "UpdatePrimaryRegion":
        return multiRegion.updatePrimaryRegion(call);
      case "GenerateDataKeyPairWithoutPlaintext":
        return dataKeys.generateDataKeyPairWithoutPlaintext(call);
      case "UpdateKeyDescription":
        return metadata.updateKeyDescription(call);
      case "ListKeyPolicies":
        return metadata.listKeyPolicies(call);
      case "UpdateAlias":
        return aliases.updateAlias(call);
      case "TagResource":
        return tags.tagResource(call);
      case "UntagResource":
        return tags.untagResource(call);
      case "ListResourceTags":
        return tags.listResourceTags(call);
      case "Sign":
        return signing.sign(call);
      case "Verify":
        return signing.verify(call);
      case "GetPublicKey":
        return signing.getPublicKey(call);
      case "GenerateMac":
        return macs.generateMac(call);
      case "VerifyMac":
        return macs.verifyMac(call);
      default:
        throw new KmsError(
            "UnknownOperationException",
            "Operation " + operation + " is not supported by the nitro-emu KMS mock.");
    }
  }
}
