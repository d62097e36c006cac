package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuditEventsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Base64.Encoder B64 = Base64.getEncoder();
  private static final String REGION = "eu-west-1";
  private static final String ACCOUNT = "111122223333";
  private static final String KEY_ARN =
      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  private static final String SESSION =
      "arn:aws:sts::111122223333:assumed-role/enclave-parent/i-0123456789abcdef0";
  private static final Instant NOW = Instant.parse("2026-03-01T12:34:56.789Z");
  private static final SecureRandom RANDOM = new SecureRandom();

  private static SoftwareNsm nsm;
  private static KeyPair enclaveKeys;
  private static byte[] attestationDocument;
  private static AttestedRecipient recipient;

  @BeforeAll
  static void attest() throws Exception {
    nsm = SoftwareNsm.create();
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    enclaveKeys = rsa.generateKeyPair();
    attestationDocument = nsm.attestation(null, null, enclaveKeys.getPublic().getEncoded());
    AttestationDocument document =
        AttestationVerifier.forRoot(nsm.rootCa().certificate())
            .verify(attestationDocument)
            .document();
    recipient = new AttestedRecipient(document, (RSAPublicKey) enclaveKeys.getPublic());
  }

  private static KmsCall call(String operation, ObjectNode request, String principal) {
    return new KmsCall(
        operation,
        request,
        new CallerIdentity("AKIAEXAMPLEKEY", principal, ACCOUNT),
        UUID.randomUUID().toString(),
        NOW,
        "aws-sdk-java/2.57.8 ua/2.1 os/Linux",
        "192.0.2.10");
  }

  private static ObjectNode object() {
    return JSON.createObjectNode();
  }

  private static byte[] encrypt(byte[] plaintext) throws Exception {
    KeyGenerator aes = KeyGenerator.getInstance("AES");
    aes.init(256);
    SecretKey key = aes.generateKey();
    byte[] iv = new byte[12];
    RANDOM.nextBytes(iv);
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
    return gcm.doFinal(plaintext);
  }

  /** Every rendering of a secret that could end up in a log line. */
  private static List<String> renderings(byte[] secret) {
    List<String> forms = new ArrayList<>();
    forms.add(B64.encodeToString(secret));
    forms.add(Base64.getUrlEncoder().withoutPadding().encodeToString(secret));
    forms.add(HexFormat.of().formatHex(secret));
    // A run of the base64 from the middle, so a partial copy is caught too.
    String base64 = B64.encodeToString(secret);
    forms.add(base64.substring(base64.length() / 4, base64.length() / 4 + 16));
    return forms;
  }

  private static void assertContainsNone(String serialized, byte[]... secrets) {
    for (byte[] secret : secrets) {
      for (String form : renderings(secret)) {
        assertThat(serialized).doesNotContain(form);
      }
    }
  }

  @Test
  void attestedDecryptEventCarriesNoPlaintextCiphertextOrAttestationDocument() throws Exception {
    byte[] plaintext =
        "database password: correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    byte[] ciphertextBlob = encrypt(plaintext);
    byte[] forRecipient = CmsEnvelope.seal(plaintext, recipient.publicKey(), RANDOM);
    ObjectNode request =
        object()
            .put("CiphertextBlob", B64.encodeToString(ciphertextBlob))
            .put("KeyId", KEY_ARN)
            .put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT");
    request.putObject("EncryptionContext").put("purpose", "audit-test");
    request
        .putObject("Recipient")
        .put("KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256")
        .put("AttestationDocument", B64.encodeToString(attestationDocument));
    ObjectNode response =
        object()
            .put("KeyId", KEY_ARN)
            .put("EncryptionAlgorithm", "SYMMETRIC_DEFAULT")
            .put("CiphertextForRecipient", B64.encodeToString(forRecipient));

    AuditEvent event =
        AuditEvents.succeeded(
            call("Decrypt", request, SESSION),
            new KmsResult(response, List.of(KEY_ARN), recipient.summary()),
            REGION);
    String line = event.toJson();

    assertThat(line)
        .doesNotContain("correct horse")
        .doesNotContain("Plaintext")
        .doesNotContain("iphertext")
        .doesNotContain("AttestationDocument")
        .doesNotContain("attestationDocument\"");
    assertContainsNone(
        line,
        plaintext,
        ciphertextBlob,
        forRecipient,
        attestationDocument,
        enclaveKeys.getPublic().getEncoded());
    assertThat(event.requestParameters().get("keyId").asText()).isEqualTo(KEY_ARN);
    assertThat(event.requestParameters().at("/encryptionContext/purpose").asText())
        .isEqualTo("audit-test");
    assertThat(event.requestParameters().get("encryptionAlgorithm").asText())
        .isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(event.responseElements().isNull()).isTrue();
  }

  @Test
  void generateDataKeyEventCarriesNeitherCopyOfTheDataKey() throws Exception {
    byte[] dataKey = new byte[32];
    RANDOM.nextBytes(dataKey);
    byte[] wrapped = encrypt(dataKey);
    ObjectNode request = object().put("KeyId", "alias/app").put("KeySpec", "AES_256");
    request.putObject("EncryptionContext").put("tenant", "a");
    ObjectNode response =
        object()
            .put("KeyId", KEY_ARN)
            .put("CiphertextBlob", B64.encodeToString(wrapped))
            .put("Plaintext", B64.encodeToString(dataKey))
            .put("KeyMaterialId", "ab".repeat(32));

    AuditEvent event =
        AuditEvents.succeeded(
            call("GenerateDataKey", request, SESSION),
            new KmsResult(response, List.of(KEY_ARN), null),
            REGION);
    String line = event.toJson();

    assertContainsNone(line, dataKey, wrapped);
    assertThat(event.requestParameters().get("keyId").asText()).isEqualTo("alias/app");
    assertThat(event.requestParameters().get("keySpec").asText()).isEqualTo("AES_256");
    assertThat(event.additionalEventData()).isNull();
    assertThat(line).doesNotContain("additionalEventData");
  }

  @Test
  void keyPairAndSharedSecretEventsCarryNoPrivateMaterial() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(256);
    KeyPair pair = ec.generateKeyPair();
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    ObjectNode pairResponse =
        object()
            .put("KeyId", KEY_ARN)
            .put("KeyPairSpec", "ECC_NIST_P256")
            .put("PrivateKeyPlaintext", B64.encodeToString(pair.getPrivate().getEncoded()))
            .put(
                "PrivateKeyCiphertextBlob",
                B64.encodeToString(encrypt(pair.getPrivate().getEncoded())))
            .put("PublicKey", B64.encodeToString(pair.getPublic().getEncoded()));
    ObjectNode deriveRequest =
        object()
            .put("KeyId", KEY_ARN)
            .put("KeyAgreementAlgorithm", "ECDH")
            .put("PublicKey", B64.encodeToString(pair.getPublic().getEncoded()));

    String pairLine =
        AuditEvents.succeeded(
                call(
                    "GenerateDataKeyPair",
                    object().put("KeyId", KEY_ARN).put("KeyPairSpec", "ECC_NIST_P256"),
                    SESSION),
                new KmsResult(pairResponse, List.of(KEY_ARN), null),
                REGION)
            .toJson();
    AuditEvent derive =
        AuditEvents.succeeded(
            call("DeriveSharedSecret", deriveRequest, SESSION),
            new KmsResult(
                object().put("KeyId", KEY_ARN).put("SharedSecret", B64.encodeToString(secret)),
                List.of(KEY_ARN),
                null),
            REGION);

    assertContainsNone(pairLine, pair.getPrivate().getEncoded(), secret);
    assertContainsNone(derive.toJson(), secret);
    assertThat(derive.requestParameters().get("publicKey").asText())
        .isEqualTo(B64.encodeToString(pair.getPublic().getEncoded()));
    assertThat(derive.requestParameters().get("keyAgreementAlgorithm").asText()).isEqualTo("ECDH");
  }

  @Test
  void recipientAddsTheEnclaveMeasurementsInBase64() throws Exception {
    ObjectNode request = object().put("NumberOfBytes", 32);
    request
        .putObject("Recipient")
        .put("KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256")
        .put("AttestationDocument", B64.encodeToString(attestationDocument));

    AuditEvent event =
        AuditEvents.succeeded(
            call("GenerateRandom", request, SESSION),
            new KmsResult(object(), List.of(), recipient.summary()),
            REGION);

    JsonNode recorded = event.additionalEventData().get("recipient");
    AttestationDocument document = recipient.document();
    assertThat(recorded.get("attestationDocumentModuleId").asText()).isEqualTo(document.moduleId());
    assertThat(recorded.get("attestationDocumentEnclaveImageDigest").asText())
        .isEqualTo(B64.encodeToString(document.pcr(0)));
    for (int index : new int[] {1, 2, 3, 4, 8}) {
      assertThat(recorded.get("attestationDocumentEnclavePCR" + index).asText())
          .isEqualTo(B64.encodeToString(document.pcr(index)));
    }
    List<String> names = new ArrayList<>();
    recorded.fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .containsExactly(
            "attestationDocumentModuleId",
            "attestationDocumentEnclaveImageDigest",
            "attestationDocumentEnclavePCR1",
            "attestationDocumentEnclavePCR2",
            "attestationDocumentEnclavePCR3",
            "attestationDocumentEnclavePCR4",
            "attestationDocumentEnclavePCR8");
    assertThat(event.requestParameters().get("numberOfBytes").asInt()).isEqualTo(32);
    assertThat(event.resources()).isEmpty();
  }

  @Test
  void eventHasTheCloudTrailShapeAndOrder() throws Exception {
    KmsCall decrypt = call("Decrypt", object().put("KeyId", KEY_ARN), SESSION);
    JsonNode event =
        JSON.readTree(
            AuditEvents.succeeded(
                    decrypt,
                    new KmsResult(object().put("KeyId", KEY_ARN), List.of(KEY_ARN), null),
                    REGION)
                .toJson());

    List<String> fields = new ArrayList<>();
    event.fieldNames().forEachRemaining(fields::add);
    assertThat(fields)
        .containsExactly(
            "eventVersion",
            "userIdentity",
            "eventTime",
            "eventSource",
            "eventName",
            "awsRegion",
            "sourceIPAddress",
            "userAgent",
            "requestParameters",
            "responseElements",
            "requestID",
            "eventID",
            "readOnly",
            "resources",
            "eventType",
            "managementEvent",
            "recipientAccountId",
            "eventCategory");
    assertThat(event.get("eventVersion").asText()).isEqualTo("1.08");
    assertThat(event.get("eventTime").asText()).isEqualTo("2026-03-01T12:34:56Z");
    assertThat(event.get("eventSource").asText()).isEqualTo("kms.amazonaws.com");
    assertThat(event.get("eventName").asText()).isEqualTo("Decrypt");
    assertThat(event.get("awsRegion").asText()).isEqualTo(REGION);
    assertThat(event.get("sourceIPAddress").asText()).isEqualTo("192.0.2.10");
    assertThat(event.get("requestID").asText()).isEqualTo(decrypt.requestId());
    assertThat(UUID.fromString(event.get("eventID").asText())).isNotNull();
    assertThat(event.get("readOnly").asBoolean()).isTrue();
    assertThat(event.get("resources")).hasSize(1);
    assertThat(event.at("/resources/0/accountId").asText()).isEqualTo(ACCOUNT);
    assertThat(event.at("/resources/0/type").asText()).isEqualTo("AWS::KMS::Key");
    assertThat(event.at("/resources/0/ARN").asText()).isEqualTo(KEY_ARN);
    assertThat(event.get("eventType").asText()).isEqualTo("AwsApiCall");
    assertThat(event.get("managementEvent").asBoolean()).isTrue();
    assertThat(event.get("recipientAccountId").asText()).isEqualTo(ACCOUNT);
    assertThat(event.get("eventCategory").asText()).isEqualTo("Management");
  }

  @Test
  void userIdentityReflectsThePrincipalKind() throws Exception {
    JsonNode session =
        JSON.readTree(
                AuditEvents.succeeded(
                        call("ListKeys", object(), SESSION),
                        new KmsResult(object(), List.of(), null),
                        REGION)
                    .toJson())
            .get("userIdentity");
    JsonNode root =
        JSON.readTree(
                AuditEvents.succeeded(
                        call("ListKeys", object(), "arn:aws:iam::111122223333:root"),
                        new KmsResult(object(), List.of(), null),
                        REGION)
                    .toJson())
            .get("userIdentity");
    JsonNode user =
        JSON.readTree(
                AuditEvents.succeeded(
                        call("ListKeys", object(), "arn:aws:iam::111122223333:user/Alice"),
                        new KmsResult(object(), List.of(), null),
                        REGION)
                    .toJson())
            .get("userIdentity");

    assertThat(session.get("type").asText()).isEqualTo("AssumedRole");
    assertThat(session.get("arn").asText()).isEqualTo(SESSION);
    assertThat(session.get("accessKeyId").asText()).isEqualTo("AKIAEXAMPLEKEY");
    assertThat(session.at("/sessionContext/sessionIssuer/arn").asText())
        .isEqualTo("arn:aws:iam::111122223333:role/enclave-parent");
    assertThat(session.at("/sessionContext/sessionIssuer/userName").asText())
        .isEqualTo("enclave-parent");
    assertThat(root.get("type").asText()).isEqualTo("Root");
    assertThat(root.get("principalId").asText()).isEqualTo(ACCOUNT);
    assertThat(user.get("type").asText()).isEqualTo("IAMUser");
    assertThat(user.get("accountId").asText()).isEqualTo(ACCOUNT);
  }

  @Test
  void createKeyRecordsPolicyAndKeyMetadataAsCloudTrailDoes() {
    String policy = KeyPolicy.defaultPolicyJson(ACCOUNT);
    ObjectNode request =
        object()
            .put("Policy", policy)
            .put("Description", "")
            .put("KeyUsage", "ENCRYPT_DECRYPT")
            .put("KeySpec", "SYMMETRIC_DEFAULT")
            .put("BypassPolicyLockoutSafetyCheck", false);
    request.putArray("Tags").addObject().put("TagKey", "team").put("TagValue", "enclaves");
    ObjectNode metadata =
        object()
            .put("AWSAccountId", ACCOUNT)
            .put("KeyId", "1234abcd-12ab-34cd-56ef-1234567890ab")
            .put("Arn", KEY_ARN)
            .put("CreationDate", 1.660171107E9)
            .put("Enabled", true)
            .put("KeyState", "Enabled");
    metadata.putArray("EncryptionAlgorithms").add("SYMMETRIC_DEFAULT");
    ObjectNode response = object();
    response.set("KeyMetadata", metadata);

    AuditEvent event =
        AuditEvents.succeeded(
            call("CreateKey", request, "arn:aws:iam::111122223333:user/Alice"),
            new KmsResult(response, List.of(KEY_ARN), null),
            REGION);

    assertThat(event.readOnly()).isFalse();
    assertThat(event.requestParameters().get("policy").asText()).isEqualTo(policy);
    assertThat(event.requestParameters().get("bypassPolicyLockoutSafetyCheck").asBoolean())
        .isFalse();
    assertThat(event.requestParameters().at("/tags/0/tagKey").asText()).isEqualTo("team");
    JsonNode keyMetadata = event.responseElements().get("keyMetadata");
    assertThat(keyMetadata.get("AWSAccountId").asText()).isEqualTo(ACCOUNT);
    assertThat(keyMetadata.get("keyId").asText()).isEqualTo("1234abcd-12ab-34cd-56ef-1234567890ab");
    assertThat(keyMetadata.get("arn").asText()).isEqualTo(KEY_ARN);
    assertThat(keyMetadata.get("creationDate").asText()).isEqualTo("Aug 10, 2022, 10:38:27 PM");
    assertThat(keyMetadata.get("encryptionAlgorithms").get(0).asText())
        .isEqualTo("SYMMETRIC_DEFAULT");
  }

  @Test
  void writeOperationsWithoutOutputAndReadOperationsHaveNullResponseElements() {
    AuditEvent enable =
        AuditEvents.succeeded(
            call("EnableKey", object().put("KeyId", KEY_ARN), SESSION),
            new KmsResult(object(), List.of(KEY_ARN), null),
            REGION);
    AuditEvent getPolicy =
        AuditEvents.succeeded(
            call("GetKeyPolicy", object().put("KeyId", KEY_ARN), SESSION),
            new KmsResult(
                object().put("Policy", "{}").put("PolicyName", "default"), List.of(KEY_ARN), null),
            REGION);

    assertThat(enable.readOnly()).isFalse();
    assertThat(enable.responseElements().isNull()).isTrue();
    assertThat(getPolicy.readOnly()).isTrue();
    assertThat(getPolicy.responseElements().isNull()).isTrue();
    assertThat(
            AuditEvents.succeeded(
                    call("ListKeys", object(), SESSION),
                    new KmsResult(object(), List.of(), null),
                    REGION)
                .requestParameters()
                .isNull())
        .isTrue();
  }

  @Test
  void readOnlyFollowsCloudTrail() {
    for (String operation :
        List.of(
            "Decrypt",
            "Encrypt",
            "GenerateDataKey",
            "GenerateRandom",
            "DescribeKey",
            "ListAliases",
            "GetKeyPolicy",
            "DeriveSharedSecret",
            "ReEncrypt")) {
      assertThat(AuditEvents.readOnly(operation)).as(operation).isTrue();
    }
    for (String operation :
        List.of(
            "CreateKey",
            "PutKeyPolicy",
            "CreateAlias",
            "DeleteAlias",
            "EnableKey",
            "DisableKey",
            "ScheduleKeyDeletion",
            "CancelKeyDeletion")) {
      assertThat(AuditEvents.readOnly(operation)).as(operation).isFalse();
    }
  }

  @Test
  void failedCallRecordsTheErrorAndTheKeyNamedInTheRequest() {
    AuthorizationRequest denied =
        new AuthorizationRequest("kms:Decrypt", SESSION, ACCOUNT, KEY_ARN, Map.of());
    KmsError error = PolicyEvaluator.accessDenied(denied, PolicyEvaluator.Decision.IMPLICIT_DENY);
    ObjectNode request = object().put("KeyId", KEY_ARN).put("CiphertextBlob", "AQICAHh");

    AuditEvent event = AuditEvents.failed(call("Decrypt", request, SESSION), error, REGION);

    assertThat(event.errorCode()).isEqualTo("AccessDeniedException");
    assertThat(event.errorMessage()).isEqualTo(error.getMessage());
    assertThat(event.resources()).containsExactly(KEY_ARN);
    assertThat(event.userIdentity().arn()).isEqualTo(SESSION);
    assertThat(event.requestParameters().has("ciphertextBlob")).isFalse();
    assertThat(event.toJson())
        .contains("\"errorCode\":\"AccessDeniedException\"")
        .doesNotContain("AQICAHh");
  }

  @Test
  void failedCallWithoutMessageOmitsErrorMessage() {
    AuditEvent event =
        AuditEvents.failed(
            call("Decrypt", object(), SESSION),
            new KmsError("InvalidCiphertextException", null),
            REGION);

    assertThat(event.errorCode()).isEqualTo("InvalidCiphertextException");
    assertThat(event.toJson()).doesNotContain("errorMessage");
    assertThat(event.resources()).isEmpty();
    assertThat(event.recipientAccountId()).isEqualTo(ACCOUNT);
  }

  @Test
  void rejectedCallHasAnUnknownIdentity() throws Exception {
    KmsError error =
        new KmsError(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.");

    AuditEvent event =
        AuditEvents.rejected("Decrypt", "req-1", NOW, "curl/8", "198.51.100.7", error, REGION);
    JsonNode json = JSON.readTree(event.toJson());

    assertThat(json.at("/userIdentity/type").asText()).isEqualTo("Unknown");
    assertThat(json.get("userIdentity").has("arn")).isFalse();
    assertThat(event.userIdentity().arn()).isNull();
    assertThat(event.errorCode()).isEqualTo("UnrecognizedClientException");
    assertThat(event.requestId()).isEqualTo("req-1");
    assertThat(event.sourceIpAddress()).isEqualTo("198.51.100.7");
    assertThat(AuditEvents.rejected(null, "req-2", NOW, null, null, error, REGION).eventName())
        .isEqualTo("Unknown");
  }

  @Test
  void unknownAndOversizedRequestMembersAreBounded() {
    ObjectNode request =
        object().put("KeyId", "k".repeat(100_000)).put("SomethingNew", "secret-ish");
    ObjectNode context = request.putObject("EncryptionContext");
    for (int i = 0; i < 1000; i++) {
      context.put("Key" + i, "v");
    }

    AuditEvent event =
        AuditEvents.failed(
            call("Encrypt", request, SESSION), KmsError.validation("too long"), REGION);

    assertThat(event.requestParameters().has("somethingNew")).isFalse();
    assertThat(event.requestParameters().get("keyId").asText())
        .hasSizeLessThan(4200)
        .endsWith("...(truncated)");
    assertThat(event.requestParameters().get("encryptionContext")).hasSize(256);
    assertThat(event.requestParameters().get("encryptionContext").has("Key0")).isTrue();
    assertThat(event.toJson().length()).isLessThan(20_000);
  }

  @Test
  void eventRoundTripsThroughJson() {
    ObjectNode request = object().put("KeyId", KEY_ARN).put("NumberOfBytes", 64);
    AuditEvent event =
        AuditEvents.succeeded(
            call("GenerateDataKey", request, SESSION),
            new KmsResult(object().put("KeyId", KEY_ARN), List.of(KEY_ARN), recipient.summary()),
            REGION);

    AuditEvent reread = AuditEvent.fromJson(event.toJson());

    assertThat(reread).isEqualTo(event);
    assertThat(reread.eventId()).isEqualTo(event.eventId());
    assertThat(reread.eventTime()).isEqualTo(Instant.parse("2026-03-01T12:34:56Z"));
    assertThat(reread.userAgent()).isEqualTo("aws-sdk-java/2.57.8 ua/2.1 os/Linux");
    Iterator<String> names = reread.additionalEventData().get("recipient").fieldNames();
    assertThat(names.next()).isEqualTo("attestationDocumentModuleId");
  }

  @Test
  void eventsHaveDistinctIds() {
    KmsCall call = call("DescribeKey", object().put("KeyId", KEY_ARN), SESSION);
    KmsResult result = new KmsResult(object(), List.of(KEY_ARN), null);
    assertThat(AuditEvents.succeeded(call, result, REGION).eventId())
        .isNotEqualTo(AuditEvents.succeeded(call, result, REGION).eventId());
  }
}
