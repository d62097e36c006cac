package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.StubKmsEndpoint;
import dev.nitroemu.kms.internal.AttestedRecipient;
import dev.nitroemu.kms.internal.RecipientVerifier;
import dev.nitroemu.nsm.SoftwareNsm;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeyPairSpec;
import software.amazon.awssdk.services.kms.model.DataKeySpec;

/**
 * What EnclaveKmsClient puts on the wire and how it treats answers, seen through a recording
 * endpoint.
 */
@Timeout(60)
class EnclaveKmsClientProtocolTest {
  private static final String KEY_ARN =
      "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final SoftwareNsm NSM = SoftwareNsm.create();
  private static final RecipientVerifier VERIFIER =
      new RecipientVerifier(
          AttestationVerifier.forRoot(NSM.rootCa().certificate()),
          Duration.ofMinutes(5),
          Clock.systemUTC());

  private StubKmsEndpoint endpoint;
  private EnclaveKmsClient client;
  private final List<AttestedRecipient> attested = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    endpoint = new StubKmsEndpoint();
    client =
        EnclaveKmsClient.builder()
            .nsm(NSM)
            .endpoint(endpoint.endpoint())
            .region("eu-west-1")
            .credentials(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))
            .build();
  }

  @AfterEach
  void stop() {
    client.close();
    endpoint.close();
  }

  /**
   * Verifies the request's Recipient like KMS and answers with {@code member} values, sealing
   * {@code secret}.
   */
  private void answerSealing(byte[] secret, String extraMembers) {
    endpoint.respond(
        request -> {
          AttestedRecipient recipient = VERIFIER.verify(request.body().get("Recipient"));
          attested.add(recipient);
          String envelope =
              Base64.getEncoder()
                  .encodeToString(CmsEnvelope.seal(secret, recipient.publicKey(), RANDOM));
          return "{\"KeyId\":\""
              + KEY_ARN
              + "\",\"CiphertextForRecipient\":\""
              + envelope
              + "\""
              + extraMembers
              + "}";
        });
  }

  @Test
  void decryptSendsAnAttestedRecipientForTheClientKeyAndOpensTheEnvelope() {
    byte[] secret = "database password".getBytes(StandardCharsets.UTF_8);
    answerSealing(secret, "");

    byte[] plaintext = client.decrypt(new byte[] {1, 2, 3}, Map.of("purpose", "test"));

    assertThat(plaintext).isEqualTo(secret);
    StubKmsEndpoint.Request request = endpoint.requests().get(0);
    assertThat(request.operation()).isEqualTo("Decrypt");
    assertThat(request.body().get("CiphertextBlob").textValue()).isEqualTo("AQID");
    assertThat(request.body().get("EncryptionContext").get("purpose").textValue())
        .isEqualTo("test");
    assertThat(request.body().get("Recipient").get("KeyEncryptionAlgorithm").textValue())
        .isEqualTo("RSAES_OAEP_SHA_256");
    AttestedRecipient recipient = attested.get(0);
    assertThat(recipient.publicKey()).isEqualTo(client.recipientKey());
    assertThat(recipient.document().nonce()).isNull();
    assertThat(recipient.document().userData()).isNull();
    assertThat(recipient.document().publicKey()).isEqualTo(client.recipientKey().getEncoded());
  }

  @Test
  void everyCallCarriesAFreshDocumentForTheSameKey() {
    answerSealing(new byte[] {9}, "");

    client.decrypt(new byte[] {1});
    client.decrypt(new byte[] {1});

    List<StubKmsEndpoint.Request> requests = endpoint.requests();
    assertThat(requests).hasSize(2);
    assertThat(requests.get(0).body().get("Recipient").get("AttestationDocument").textValue())
        .isNotEqualTo(
            requests.get(1).body().get("Recipient").get("AttestationDocument").textValue());
    assertThat(attested.get(0).publicKey()).isEqualTo(attested.get(1).publicKey());
  }

  @Test
  void generateDataKeyReturnsTheUnwrappedKeyAndTheBlob() {
    byte[] dataKey = new byte[32];
    RANDOM.nextBytes(dataKey);
    answerSealing(dataKey, ",\"CiphertextBlob\":\"AQIDBA==\"");

    EnclaveKmsClient.DataKey key = client.generateDataKey("alias/app", DataKeySpec.AES_256);

    assertThat(key.plaintext()).isEqualTo(dataKey);
    assertThat(key.ciphertextBlob()).containsExactly(1, 2, 3, 4);
    assertThat(key.keyId()).isEqualTo(KEY_ARN);
    assertThat(key.toString())
        .contains("32 bytes")
        .doesNotContain(Base64.getEncoder().encodeToString(dataKey));
    JsonNode body = endpoint.requests().get(0).body();
    assertThat(endpoint.requests().get(0).operation()).isEqualTo("GenerateDataKey");
    assertThat(body.get("KeyId").textValue()).isEqualTo("alias/app");
    assertThat(body.get("KeySpec").textValue()).isEqualTo("AES_256");
    assertThat(body.has("Recipient")).isTrue();
  }

  @Test
  void generateRandomAsksForTheLengthWithRecipient() {
    byte[] random = new byte[48];
    RANDOM.nextBytes(random);
    answerSealing(random, "");

    assertThat(client.generateRandom(48)).isEqualTo(random);
    assertThat(endpoint.requests().get(0).operation()).isEqualTo("GenerateRandom");
    assertThat(endpoint.requests().get(0).body().get("NumberOfBytes").intValue()).isEqualTo(48);
  }

  @Test
  void dataKeyPairAndSharedSecretAlsoTravelInsideTheEnvelope() {
    byte[] privateKey = new byte[] {0x30, 0x01, 0x00};
    answerSealing(
        privateKey,
        ",\"PrivateKeyCiphertextBlob\":\"BQY=\",\"PublicKey\":\"Bwg=\",\"KeyPairSpec\":\"ECC_NIST_P256\"");

    EnclaveKmsClient.DataKeyPair pair =
        client.generateDataKeyPair(KEY_ARN, DataKeyPairSpec.ECC_NIST_P256);
    byte[] shared = client.deriveSharedSecret(KEY_ARN, new byte[] {0x30, 0x00});

    assertThat(pair.privateKey()).isEqualTo(privateKey);
    assertThat(pair.privateKeyCiphertextBlob()).containsExactly(5, 6);
    assertThat(pair.publicKey()).containsExactly(7, 8);
    assertThat(pair.keyPairSpec()).isEqualTo("ECC_NIST_P256");
    assertThat(shared).isEqualTo(privateKey);
    assertThat(endpoint.requests())
        .extracting(StubKmsEndpoint.Request::operation)
        .containsExactly("GenerateDataKeyPair", "DeriveSharedSecret");
    assertThat(endpoint.requests().get(1).body().get("KeyAgreementAlgorithm").textValue())
        .isEqualTo("ECDH");
    assertThat(attested).hasSize(2);
  }

  @Test
  void plaintextOutsideTheEnvelopeIsNeverAccepted() {
    endpoint.respond(request -> "{\"KeyId\":\"" + KEY_ARN + "\",\"Plaintext\":\"c2VjcmV0\"}");

    assertThatThrownBy(() -> client.decrypt(new byte[] {1}))
        .isInstanceOf(SdkClientException.class)
        .hasMessageContaining("no CiphertextForRecipient");
  }

  @Test
  void envelopeForAnotherKeyIsRefused() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    RSAPublicKey other = (RSAPublicKey) generator.generateKeyPair().getPublic();
    String envelope =
        Base64.getEncoder().encodeToString(CmsEnvelope.seal(new byte[] {1}, other, RANDOM));
    endpoint.respond(
        request ->
            "{\"KeyId\":\"" + KEY_ARN + "\",\"CiphertextForRecipient\":\"" + envelope + "\"}");

    assertThatThrownBy(() -> client.decrypt(new byte[] {1}))
        .isInstanceOf(SdkClientException.class)
        .hasMessageContaining("cannot be opened");
  }

  @Test
  void requestsAreSignedForTheConfiguredRegionAndCredentials() {
    answerSealing(new byte[] {1}, "");

    client.generateRandom(1);

    assertThat(endpoint.requests().get(0).authorization())
        .startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        .contains("/eu-west-1/kms/aws4_request");
  }

  @Test
  void recipientKeyIsRsa2048WithExponent65537AndDiffersPerClient() {
    RSAPublicKey key = client.recipientKey();
    try (EnclaveKmsClient second =
        EnclaveKmsClient.builder().nsm(NSM).kmsClient(client.kmsClient()).build()) {
      assertThat(key.getModulus().bitLength()).isEqualTo(2048);
      assertThat(key.getPublicExponent()).isEqualTo(BigInteger.valueOf(65537));
      assertThat(second.recipientKey()).isNotEqualTo(key);
    }
  }

  @Test
  void closeLeavesAGivenKmsClientOpenAndRefusesFurtherCalls() {
    answerSealing(new byte[] {1}, "");
    AtomicBoolean givenClientClosed = new AtomicBoolean();
    KmsClient shared = client.kmsClient();
    KmsClient tracking =
        (KmsClient)
            Proxy.newProxyInstance(
                KmsClient.class.getClassLoader(),
                new Class<?>[] {KmsClient.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("close")) {
                    givenClientClosed.set(true);
                    return null;
                  }
                  try {
                    return method.invoke(shared, args);
                  } catch (InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    EnclaveKmsClient borrowing = EnclaveKmsClient.builder().nsm(NSM).kmsClient(tracking).build();
    assertThat(borrowing.generateRandom(1)).containsExactly(1);

    borrowing.close();
    client.close();
    client.close();

    assertThat(givenClientClosed).isFalse();
    assertThatThrownBy(() -> borrowing.generateRandom(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> client.decrypt(new byte[] {1}))
        .isInstanceOf(IllegalStateException.class);
    assertThat(endpoint.requests()).hasSize(1);
  }

  @Test
  void builderNeedsAnNsmAndAWayToReachKms() {
    assertThatThrownBy(() -> EnclaveKmsClient.builder().endpoint(endpoint.endpoint()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("nsm");
    assertThatThrownBy(
            () -> EnclaveKmsClient.builder().nsm(NSM).endpoint(endpoint.endpoint()).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("region");
  }
}
