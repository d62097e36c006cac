package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.SoftwareNsm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateRandomResponse;
import software.amazon.awssdk.services.kms.model.KeyEncryptionMechanism;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.RecipientInfo;

@Timeout(60)
class KmsMockServerTest {
  @TempDir Path temp;

  @Test
  void portEndpointAndAuditLogRequireStart() {
    KmsMockServer server = KmsMockServer.builder().build();

    assertThatThrownBy(server::port)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
    assertThatThrownBy(server::endpoint)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
    assertThatThrownBy(server::auditLog)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("call start() first");
    server.close();
  }

  @Test
  void startsOnAFreeLoopbackPortAndReportsIt() throws IOException {
    try (KmsMockServer first = KmsMockServer.builder().build().start();
        KmsMockServer second = KmsMockServer.builder().build().start()) {
      assertThat(first.port()).isPositive().isNotEqualTo(second.port());
      assertThat(first.endpoint()).hasToString("http://127.0.0.1:" + first.port());
      assertThat(first.region()).isEqualTo("us-east-1");
      assertThat(first.accountId()).isEqualTo("000000000000");
      assertThat(first.credentials()).isEqualTo(KmsCredentials.defaults());
      assertThat(first)
          .hasToString(
              "KmsMockServer[http://127.0.0.1:"
                  + first.port()
                  + ", region=us-east-1, account=000000000000]");
    }
  }

  @Test
  void listensOnTheRequestedPort() throws IOException {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try (KmsMockServer server = KmsMockServer.builder().port(port).build().start()) {
      assertThat(server.port()).isEqualTo(port);
    }
  }

  @Test
  void failsToStartOnABusyPortAndCannotBeStartedAgain() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      KmsMockServer server = KmsMockServer.builder().port(busy.getLocalPort()).build();

      assertThatThrownBy(server::start)
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cannot bind");
      assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void closeIsIdempotentAndAClosedServerCannotRestart() throws IOException {
    KmsMockServer server = KmsMockServer.builder().build().start();
    assertThatThrownBy(server::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("start() already called");
    int port = server.port();

    server.close();
    server.close();

    assertThatThrownBy(server::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("close() already called");
    assertThatThrownBy(server::port)
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("server is closed");
    assertThat(server).hasToString("KmsMockServer[closed, region=us-east-1, account=000000000000]");
    try (ServerSocket reuse = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertThat(reuse.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void servesAnUnmodifiedSdkClientEndToEnd() throws IOException {
    try (KmsMockServer server = KmsMockServer.builder().build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      String keyId = kms.createKey(r -> r.description("round trip")).keyMetadata().keyId();
      byte[] secret = "attack at dawn".getBytes(StandardCharsets.UTF_8);
      EncryptResponse encrypted =
          kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(secret)));
      DecryptResponse decrypted = kms.decrypt(r -> r.ciphertextBlob(encrypted.ciphertextBlob()));

      assertThat(decrypted.plaintext().asByteArray()).isEqualTo(secret);
      assertThat(decrypted.keyId()).isEqualTo("arn:aws:kms:us-east-1:000000000000:key/" + keyId);
      assertThat(kms.listKeys().keys()).hasSize(1);
      assertThat(server.auditLog().events())
          .extracting(AuditEvent::eventName)
          .containsExactly("CreateKey", "Encrypt", "Decrypt", "ListKeys");
    }
  }

  @Test
  void theSdkRequestIdIsTheAuditedRequestId() throws IOException {
    try (KmsMockServer server = KmsMockServer.builder().build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      String requestId = kms.listKeys().responseMetadata().requestId();

      assertThat(server.auditLog().events())
          .singleElement()
          .satisfies(e -> assertThat(e.requestId()).isEqualTo(requestId));
    }
  }

  @Test
  void keyArnsNameTheConfiguredRegionAndAccount() throws IOException {
    KmsCredentials alice =
        new KmsCredentials("AKIAALICE", "alice-secret", "arn:aws:iam::123456789012:user/alice");
    try (KmsMockServer server =
            KmsMockServer.builder()
                .region("eu-west-1")
                .accountId("123456789012")
                .credentials(alice)
                .build()
                .start();
        KmsClient kms = KmsTestClients.client(server)) {
      KeyMetadata metadata = kms.createKey(r -> r.description("regional")).keyMetadata();

      assertThat(server.credentials()).isEqualTo(alice);
      assertThat(metadata.arn())
          .isEqualTo("arn:aws:kms:eu-west-1:123456789012:key/" + metadata.keyId());
      assertThat(metadata.awsAccountId()).isEqualTo("123456789012");
    }
  }

  @Test
  void eachCredentialActsAsItsOwnPrincipal() throws IOException {
    KmsCredentials admin =
        new KmsCredentials("AKIAADMIN", "admin-secret", "arn:aws:iam::000000000000:role/admin");
    KmsCredentials app =
        new KmsCredentials(
            "AKIAAPP",
            "app-secret",
            "arn:aws:sts::000000000000:assumed-role/app/i-0123456789abcdef0");
    try (KmsMockServer server = KmsMockServer.builder().credentials(admin, app).build().start();
        KmsClient asAdmin = KmsTestClients.noRetry(server, "AKIAADMIN", "admin-secret");
        KmsClient asApp = KmsTestClients.noRetry(server, "AKIAAPP", "app-secret");
        KmsClient asTest = KmsTestClients.noRetry(server, "test", "test")) {
      asAdmin.listKeys();
      asApp.listKeys();

      assertThat(server.allCredentials()).containsExactly(admin, app);
      assertThat(server.auditLog().events())
          .extracting(e -> e.userIdentity().arn())
          .containsExactly(admin.principalArn(), app.principalArn());
      assertThatThrownBy(asTest::listKeys)
          .isInstanceOfSatisfying(
              KmsException.class,
              e ->
                  assertThat(e.awsErrorDetails().errorCode())
                      .isEqualTo("UnrecognizedClientException"));
    }
  }

  @Test
  void sessionCredentialsRequireTheirToken() throws IOException {
    KmsCredentials temporary = KmsCredentials.defaults().withSessionToken("token-1");
    try (KmsMockServer server = KmsMockServer.builder().credentials(temporary).build().start();
        KmsClient right = KmsTestClients.session(server, "test", "test", "token-1");
        KmsClient wrong = KmsTestClients.session(server, "test", "test", "token-2");
        KmsClient none = KmsTestClients.noRetry(server, "test", "test")) {
      assertThat(right.listKeys().keys()).isEmpty();
      for (KmsClient client : List.of(wrong, none)) {
        assertThatThrownBy(client::listKeys)
            .isInstanceOfSatisfying(
                KmsException.class,
                e -> {
                  assertThat(e.awsErrorDetails().errorCode())
                      .isEqualTo("UnrecognizedClientException");
                  assertThat(e.awsErrorDetails().errorMessage())
                      .isEqualTo("The security token included in the request is invalid.");
                });
      }
    }
  }

  @Test
  void keysSurviveARestartOnTheSameStateDirectory() throws IOException {
    Path state = temp.resolve("kms-state");
    byte[] ciphertext;
    String keyId;
    try (KmsMockServer server = KmsMockServer.builder().stateDirectory(state).build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      keyId = kms.createKey(r -> r.description("durable")).keyMetadata().keyId();
      kms.createAlias(r -> r.aliasName("alias/durable").targetKeyId(keyId));
      ciphertext =
          kms.encrypt(r -> r.keyId("alias/durable").plaintext(SdkBytes.fromUtf8String("kept")))
              .ciphertextBlob()
              .asByteArray();
    }
    try (KmsMockServer server = KmsMockServer.builder().stateDirectory(state).build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      assertThat(kms.describeKey(r -> r.keyId("alias/durable")).keyMetadata().keyId())
          .isEqualTo(keyId);
      assertThat(
              kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(ciphertext)))
                  .plaintext()
                  .asUtf8String())
          .isEqualTo("kept");
    }
    try (KmsMockServer memory = KmsMockServer.builder().build().start();
        KmsClient kms = KmsTestClients.client(memory)) {
      assertThat(kms.listKeys().keys()).isEmpty();
    }
  }

  @Test
  void appendsOneJsonLinePerCallToTheAuditFile() throws IOException {
    Path file = temp.resolve("audit/kms.jsonl");
    try (KmsMockServer server = KmsMockServer.builder().auditFile(file).build().start();
        KmsClient kms = KmsTestClients.client(server);
        KmsClient stranger = KmsTestClients.noRetry(server, "AKIASTRANGER", "x")) {
      kms.listKeys();
      kms.generateRandom(r -> r.numberOfBytes(16));
      assertThatThrownBy(stranger::listKeys).isInstanceOf(KmsException.class);

      assertThat(server.auditLog().size()).isEqualTo(3);
    }
    List<String> lines = Files.readAllLines(file);
    ObjectMapper json = new ObjectMapper();
    assertThat(lines).hasSize(3);
    List<JsonNode> events = lines.stream().map(line -> read(json, line)).toList();
    assertThat(events)
        .extracting(e -> e.get("eventName").asText())
        .containsExactly("ListKeys", "GenerateRandom", "ListKeys");
    assertThat(events.get(2).get("errorCode").asText()).isEqualTo("UnrecognizedClientException");
    assertThat(lines.get(1)).doesNotContain("Plaintext");
  }

  @Test
  void refusesEveryRecipientWhenNoTrustAnchorIsConfigured() throws Exception {
    SoftwareNsm nsm = SoftwareNsm.create();
    RecipientInfo recipient = recipient(nsm);
    try (KmsMockServer server = KmsMockServer.builder().build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      assertThatThrownBy(() -> kms.generateRandom(r -> r.numberOfBytes(32).recipient(recipient)))
          .isInstanceOfSatisfying(
              KmsException.class,
              e -> {
                assertThat(e.statusCode()).isEqualTo(400);
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                // The body says "Message" (capital M) as real KMS does; the SDK still finds the
                // text.
                assertThat(e.awsErrorDetails().errorMessage())
                    .contains("no attestation trust anchor is configured on this KMS endpoint");
              });
    }
  }

  @Test
  void verifiesRecipientsAgainstTheConfiguredTrustAnchor() throws Exception {
    SoftwareNsm nsm = SoftwareNsm.create();
    SoftwareNsm stranger = SoftwareNsm.create();
    RecipientInfo trusted = recipient(nsm);
    RecipientInfo untrusted = recipient(stranger);
    try (KmsMockServer server =
            KmsMockServer.builder().trustAnchor(nsm.rootCa().certificate()).build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      GenerateRandomResponse random =
          kms.generateRandom(r -> r.numberOfBytes(32).recipient(trusted));

      assertThat(random.plaintext()).isNull();
      assertThat(random.ciphertextForRecipient().asByteArray()).startsWith(0x30, 0x80);
      assertThat(server.auditLog().events())
          .singleElement()
          .satisfies(
              e ->
                  assertThat(
                          e.additionalEventData()
                              .get("recipient")
                              .get("attestationDocumentModuleId")
                              .asText())
                      .isEqualTo(nsm.moduleId()));
      assertThatThrownBy(() -> kms.generateRandom(r -> r.numberOfBytes(32).recipient(untrusted)))
          .isInstanceOfSatisfying(
              KmsException.class,
              e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException"));
    }
  }

  @Test
  void refusesAttestationDocumentsOlderThanTheConfiguredMaximumAge() throws Exception {
    Clock earlier = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-3));
    SoftwareNsm nsm =
        SoftwareNsm.builder().rootCa(EmulatorRootCa.generate(earlier)).clock(earlier).build();
    try (KmsMockServer strict =
            KmsMockServer.builder()
                .trustAnchor(nsm.rootCa().certificate())
                .maxAttestationAge(Duration.ofMinutes(2))
                .build()
                .start();
        KmsMockServer lenient =
            KmsMockServer.builder().trustAnchor(nsm.rootCa().certificate()).build().start();
        KmsClient strictClient = KmsTestClients.client(strict);
        KmsClient lenientClient = KmsTestClients.client(lenient)) {
      RecipientInfo recipient = recipient(nsm);

      assertThat(
              lenientClient
                  .generateRandom(r -> r.numberOfBytes(8).recipient(recipient))
                  .ciphertextForRecipient())
          .isNotNull();
      assertThatThrownBy(
              () -> strictClient.generateRandom(r -> r.numberOfBytes(8).recipient(recipient)))
          .isInstanceOfSatisfying(
              KmsException.class,
              e -> {
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                assertThat(e.awsErrorDetails().errorMessage())
                    .contains("older than the maximum age of 120 s");
              });
    }
  }

  @Test
  void drawsRandomBytesFromTheConfiguredSource() throws IOException {
    CountingRandom random = new CountingRandom();
    try (KmsMockServer server = KmsMockServer.builder().random(random).build().start();
        KmsClient kms = KmsTestClients.client(server)) {
      kms.generateRandom(r -> r.numberOfBytes(32));

      assertThat(random.bytesDrawn.get()).isGreaterThanOrEqualTo(32);
    }
  }

  /** A SecureRandom that counts the bytes handed out. */
  private static final class CountingRandom extends SecureRandom {
    private static final long serialVersionUID = 1L;
    private final transient java.util.concurrent.atomic.AtomicLong bytesDrawn =
        new java.util.concurrent.atomic.AtomicLong();

    @Override
    public void nextBytes(byte[] bytes) {
      bytesDrawn.addAndGet(bytes.length);
      super.nextBytes(bytes);
    }
  }

  @Test
  void builderRefusesInvalidSettings() {
    KmsMockServer.Builder builder = KmsMockServer.builder();

    assertThatThrownBy(() -> builder.port(65536)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.region("US_EAST"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.accountId("12345"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.maxAttestationAge(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(builder::credentials).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> builder.credentials(KmsCredentials.defaults(), KmsCredentials.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("duplicate access key id test");
  }

  private static RecipientInfo recipient(SoftwareNsm nsm) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    byte[] document = nsm.attestation(null, null, pair.getPublic().getEncoded());
    return RecipientInfo.builder()
        .attestationDocument(SdkBytes.fromByteArray(document))
        .keyEncryptionAlgorithm(KeyEncryptionMechanism.RSAES_OAEP_SHA_256)
        .build();
  }

  private static JsonNode read(ObjectMapper json, String line) {
    try {
      return json.readTree(line);
    } catch (IOException e) {
      throw new AssertionError("audit line is not JSON: " + line, e);
    }
  }
}
