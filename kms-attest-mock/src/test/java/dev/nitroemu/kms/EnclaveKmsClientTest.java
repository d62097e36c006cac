package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeyPairSpec;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The whole attested flow against the KMS mock with unmodified SDK clients: a key policy that
 * allows Decrypt only for one PCR0, enclaves that match it or not, and the envelope round trip.
 */
@Timeout(120)
class EnclaveKmsClientTest {
  private static final String ZEROS = "0".repeat(96);
  private static final SecureRandom RANDOM = new SecureRandom();

  private static SoftwareNsm nsm;
  private static KmsMockServer server;
  private static KmsClient plain;
  private static String accountRoot;

  @BeforeAll
  static void startKms() throws Exception {
    nsm = SoftwareNsm.create();
    server = KmsMockServer.builder().trustAnchor(nsm.rootCa().certificate()).build().start();
    KmsCredentials credentials = server.credentials();
    accountRoot = "arn:aws:iam::" + server.accountId() + ":root";
    plain =
        EnclaveKmsClient.kmsClient(
            server.endpoint(),
            server.region(),
            credentials.accessKeyId(),
            credentials.secretAccessKey());
  }

  @AfterAll
  static void stopKms() {
    if (plain != null) {
      plain.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static String pcr0Of(SoftwareNsm module) {
    return HexFormat.of().formatHex(module.profile().bootPcrs().get(0));
  }

  /**
   * The account may administer the key and Encrypt; Decrypt, GenerateDataKey and
   * GenerateDataKeyPair need an attested PCR0 among {@code allowedPcr0} (compared ignoring case).
   */
  private static String pcr0Policy(String... allowedPcr0) {
    StringBuilder values = new StringBuilder();
    for (String value : allowedPcr0) {
      values.append(values.length() == 0 ? "" : ",").append('"').append(value).append('"');
    }
    return "{\"Version\":\"2012-10-17\",\"Statement\":["
        + "{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
        + accountRoot
        + "\"},"
        + "\"Action\":[\"kms:Create*\",\"kms:Describe*\",\"kms:Enable*\",\"kms:List*\",\"kms:Put*\","
        + "\"kms:Update*\",\"kms:Disable*\",\"kms:Get*\",\"kms:Delete*\",\"kms:ScheduleKeyDeletion\","
        + "\"kms:CancelKeyDeletion\",\"kms:Encrypt\"],\"Resource\":\"*\"},"
        + "{\"Sid\":\"Enclave\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
        + accountRoot
        + "\"},"
        + "\"Action\":[\"kms:Decrypt\",\"kms:GenerateDataKey\",\"kms:GenerateDataKeyPair\"],\"Resource\":\"*\","
        + "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR0\":["
        + values
        + "]}}}]}";
  }

  private static String createKey(String policy) {
    return plain
        .createKey(r -> r.policy(policy).description("enclave secret"))
        .keyMetadata()
        .keyId();
  }

  private static byte[] encrypt(String keyId, byte[] plaintext, Map<String, String> context) {
    return plain
        .encrypt(
            r ->
                r.keyId(keyId)
                    .plaintext(SdkBytes.fromByteArray(plaintext))
                    .encryptionContext(context))
        .ciphertextBlob()
        .asByteArray();
  }

  private static EnclaveKmsClient enclave(SoftwareNsm module) {
    return EnclaveKmsClient.builder().nsm(module).kmsClient(plain).build();
  }

  private static Consumer<KmsException> accessDenied(String... messageParts) {
    return e -> {
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
      assertThat(e.statusCode()).isEqualTo(400);
      assertThat(e.awsErrorDetails().errorMessage()).contains(messageParts);
    };
  }

  @Test
  void enclaveWhosePcr0MatchesDecryptsASecretEncryptedByAPlainClient() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm).toUpperCase(Locale.ROOT)));
    byte[] secret = "postgres://app:s3cr3t@db".getBytes(StandardCharsets.UTF_8);
    Map<String, String> context = Map.of("app", "payments");
    byte[] blob = encrypt(keyId, secret, context);

    try (EnclaveKmsClient enclave = enclave(nsm)) {
      assertThat(enclave.decrypt(blob, context)).isEqualTo(secret);
      assertThat(enclave.decrypt(blob, context, keyId)).isEqualTo(secret);
    }
  }

  @Test
  void plainDecryptWithoutRecipientIsDeniedByThePcrPolicy() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] blob = encrypt(keyId, new byte[] {1, 2, 3}, Map.of());

    assertThatThrownBy(() -> plain.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
        .isInstanceOfSatisfying(KmsException.class, accessDenied("kms:Decrypt"));
  }

  @Test
  void enclaveWithAnotherPcr0IsDenied() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] blob = encrypt(keyId, new byte[] {1, 2, 3}, Map.of());
    byte[] otherImage =
        EnclaveProfile.extendFromZero("another enclave image".getBytes(StandardCharsets.UTF_8));
    SoftwareNsm other =
        SoftwareNsm.builder()
            .rootCa(nsm.rootCa())
            .profile(EnclaveProfile.builder().pcr(0, otherImage).build())
            .build();

    try (EnclaveKmsClient enclave = enclave(other)) {
      assertThatThrownBy(() -> enclave.decrypt(blob))
          .isInstanceOfSatisfying(KmsException.class, accessDenied("kms:Decrypt"));
    }
  }

  @Test
  void debugEnclaveIsDeniedUnlessThePolicyAllowsAllZeroPcr0() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] secret = {42};
    byte[] blob = encrypt(keyId, secret, Map.of());
    SoftwareNsm debug =
        SoftwareNsm.builder()
            .rootCa(nsm.rootCa())
            .profile(EnclaveProfile.builder().debug(true).build())
            .build();
    assertThat(pcr0Of(debug)).isEqualTo(ZEROS);

    try (EnclaveKmsClient enclave = enclave(debug)) {
      assertThatThrownBy(() -> enclave.decrypt(blob))
          .isInstanceOfSatisfying(KmsException.class, accessDenied("kms:Decrypt"));

      plain.putKeyPolicy(
          r -> r.keyId(keyId).policyName("default").policy(pcr0Policy(pcr0Of(nsm), ZEROS)));

      assertThat(enclave.decrypt(blob)).isEqualTo(secret);
    }
  }

  @Test
  void documentFromAnUnknownRootIsRefused() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] blob = encrypt(keyId, new byte[] {1}, Map.of());
    SoftwareNsm impostor =
        SoftwareNsm.builder().profile(nsm.profile()).build(); // same PCRs, its own root

    try (EnclaveKmsClient enclave = enclave(impostor)) {
      assertThatThrownBy(() -> enclave.decrypt(blob))
          .isInstanceOfSatisfying(KmsException.class, accessDenied("UNTRUSTED_CHAIN"));
    }
  }

  @Test
  void dataKeyMadeInsideTheEnclaveDecryptsOnlyInsideTheEnclave() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));

    try (EnclaveKmsClient enclave = enclave(nsm)) {
      EnclaveKmsClient.DataKey dataKey = enclave.generateDataKey(keyId, DataKeySpec.AES_256);

      assertThat(dataKey.plaintext()).hasSize(32);
      assertThat(dataKey.keyId()).endsWith(":key/" + keyId);
      assertThat(enclave.decrypt(dataKey.ciphertextBlob())).isEqualTo(dataKey.plaintext());
      assertThatThrownBy(
              () ->
                  plain.decrypt(
                      r -> r.ciphertextBlob(SdkBytes.fromByteArray(dataKey.ciphertextBlob()))))
          .isInstanceOfSatisfying(KmsException.class, accessDenied("kms:Decrypt"));
    }
  }

  @Test
  void generateRandomWithRecipientReturnsFreshBytesOfTheRequestedLength() {
    try (EnclaveKmsClient enclave = enclave(nsm)) {
      byte[] first = enclave.generateRandom(1024);
      byte[] second = enclave.generateRandom(1024);

      assertThat(first).hasSize(1024);
      assertThat(second).hasSize(1024).isNotEqualTo(first);
    }
  }

  @Test
  void dataKeyPairPrivateKeyArrivesInsideTheEnvelopeAndMatchesThePublicKey() throws Exception {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));

    try (EnclaveKmsClient enclave = enclave(nsm)) {
      EnclaveKmsClient.DataKeyPair pair =
          enclave.generateDataKeyPair(keyId, DataKeyPairSpec.ECC_NIST_P256);

      KeyFactory ec = KeyFactory.getInstance("EC");
      PrivateKey privateKey = ec.generatePrivate(new PKCS8EncodedKeySpec(pair.privateKey()));
      PublicKey publicKey = ec.generatePublic(new X509EncodedKeySpec(pair.publicKey()));
      byte[] message = "signed in the enclave".getBytes(StandardCharsets.UTF_8);
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(privateKey);
      signer.update(message);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(publicKey);
      verifier.update(message);
      assertThat(verifier.verify(signature)).isTrue();
      assertThat(pair.privateKeyCiphertextBlob()).isNotEmpty();
    }
  }

  @Test
  void sharedSecretDerivedInsideTheEnclaveEqualsThePlainResult() throws Exception {
    String keyId =
        plain
            .createKey(r -> r.keySpec(KeySpec.ECC_NIST_P256).keyUsage(KeyUsageType.KEY_AGREEMENT))
            .keyMetadata()
            .keyId();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    byte[] peer = generator.generateKeyPair().getPublic().getEncoded();

    try (EnclaveKmsClient enclave = enclave(nsm)) {
      byte[] attested = enclave.deriveSharedSecret(keyId, peer);
      byte[] direct =
          plain
              .deriveSharedSecret(
                  r ->
                      r.keyId(keyId)
                          .keyAgreementAlgorithm("ECDH")
                          .publicKey(SdkBytes.fromByteArray(peer)))
              .sharedSecret()
              .asByteArray();

      assertThat(attested).hasSize(32).isEqualTo(direct);
    }
  }

  @Test
  void attestedDecryptIsAuditedWithTheEnclaveMeasurements() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] blob = encrypt(keyId, new byte[] {7}, Map.of());

    try (EnclaveKmsClient enclave = enclave(nsm)) {
      enclave.decrypt(blob);
    }

    List<AuditEvent> decrypts =
        server.auditLog().events().stream()
            .filter(
                e ->
                    e.eventName().equals("Decrypt")
                        && e.errorCode() == null
                        && e.resources().stream().anyMatch(arn -> arn.endsWith(keyId)))
            .toList();
    assertThat(decrypts).hasSize(1);
    JsonNode recipient = decrypts.get(0).additionalEventData().get("recipient");
    assertThat(recipient.get("attestationDocumentModuleId").textValue()).isEqualTo(nsm.moduleId());
    assertThat(recipient.get("attestationDocumentEnclaveImageDigest").textValue())
        .isEqualTo(Base64.getEncoder().encodeToString(nsm.profile().bootPcrs().get(0)));
  }

  @Test
  void clientBuiltFromTheEndpointReachesKmsOnItsOwn() {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] blob = encrypt(keyId, new byte[] {5, 6}, Map.of());
    KmsCredentials credentials = server.credentials();

    try (EnclaveKmsClient enclave =
        EnclaveKmsClient.builder()
            .nsm(nsm)
            .endpoint(server.endpoint())
            .region(server.region())
            .credentials(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(
                        credentials.accessKeyId(), credentials.secretAccessKey())))
            .build()) {
      assertThat(enclave.decrypt(blob)).containsExactly(5, 6);
    }
  }

  @Test
  void givenRecipientKeyIsTheOneAttestedAndOpensTheEnvelope() throws Exception {
    String keyId = createKey(pcr0Policy(pcr0Of(nsm)));
    byte[] blob = encrypt(keyId, new byte[] {7, 8, 9}, Map.of());
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    java.security.KeyPair own = rsa.generateKeyPair();

    try (EnclaveKmsClient enclave =
        EnclaveKmsClient.builder().nsm(nsm).kmsClient(plain).recipientKey(own).build()) {
      assertThat(enclave.recipientKey()).isEqualTo(own.getPublic());
      assertThat(enclave.decrypt(blob)).containsExactly(7, 8, 9);
    }
    // The envelope KMS returns for that key opens with the given private key alone.
    byte[] document = nsm.attestation(null, null, own.getPublic().getEncoded());
    byte[] envelope =
        plain
            .decrypt(
                r ->
                    r.ciphertextBlob(SdkBytes.fromByteArray(blob))
                        .recipient(
                            ri ->
                                ri.attestationDocument(SdkBytes.fromByteArray(document))
                                    .keyEncryptionAlgorithm("RSAES_OAEP_SHA_256")))
            .ciphertextForRecipient()
            .asByteArray();
    assertThat(dev.nitroemu.enclave.CmsEnvelope.open(envelope, own.getPrivate()))
        .containsExactly(7, 8, 9);
  }

  @Test
  void recipientKeyOtherThanRsa2048IsRefused() throws Exception {
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(3072);
    java.security.KeyPair big = rsa.generateKeyPair();
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    java.security.KeyPair curve = ec.generateKeyPair();

    assertThatThrownBy(() -> EnclaveKmsClient.builder().recipientKey(big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RSA-2048");
    assertThatThrownBy(() -> EnclaveKmsClient.builder().recipientKey(curve))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RSA-2048");
  }
}
