package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.kms.internal.RawHttp;
import dev.nitroemu.kms.internal.SdkSigner;
import dev.nitroemu.nsm.SoftwareNsm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkGlobalTime;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeyEncryptionMechanism;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Bad requests against the running mock, sent by the unmodified AWS SDK where it can send them and
 * as raw HTTP where it cannot: each gets a typed 4xx that the SDK understands, changes nothing, and
 * the server keeps serving.
 */
@Timeout(60)
class KmsProtocolErrorsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KmsMockServer server;
  private KmsClient kms;
  private String keyId;

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
    keyId = kms.createKey(r -> r.description("bystander")).keyMetadata().keyId();
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
    // The SDK keeps the clock offset it learns from a skewed server in a JVM-wide global that every
    // later client starts from; the skew tests below must not leak it into other tests.
    SdkGlobalTime.setGlobalTimeOffset(0);
  }

  /** The server still serves and nothing changed: one key, and it still encrypts. */
  private void assertStillServingUnchanged() {
    assertThat(kms.listKeys().keys())
        .singleElement()
        .satisfies(k -> assertThat(k.keyId()).isEqualTo(keyId));
    assertThat(
            kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("x")))
                .ciphertextBlob())
        .isNotNull();
  }

  private static Consumer<Throwable> kmsError(int status, String type, String message) {
    return thrown -> {
      assertThat(thrown).isInstanceOf(KmsException.class);
      KmsException e = (KmsException) thrown;
      assertThat(e.statusCode()).isEqualTo(status);
      assertThat(e.awsErrorDetails().errorCode()).isEqualTo(type);
      if (message != null) {
        assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(message);
      }
      assertThat(e.requestId()).isNotBlank();
    };
  }

  @Test
  void aWrongSecretIsAnInvalidSignatureAndChangesNothing() {
    try (KmsClient forger = KmsTestClients.noRetry(server, "test", "not-the-secret")) {
      assertThatThrownBy(() -> forger.createKey(r -> r.description("forged")))
          .satisfies(
              kmsError(
                  400,
                  "InvalidSignatureException",
                  "The request signature we calculated does not match the signature you"
                      + " provided. Check your AWS Secret Access Key and signing method. Consult the service documentation"
                      + " for details."));
      assertThatThrownBy(
              () -> forger.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(7)))
          .satisfies(kmsError(400, "InvalidSignatureException", null));
    }
    assertStillServingUnchanged();
    assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyStateAsString())
        .isEqualTo("Enabled");
    assertThat(server.auditLog().events())
        .filteredOn(e -> "InvalidSignatureException".equals(e.errorCode()))
        .extracting(AuditEvent::eventName)
        .containsExactly("CreateKey", "ScheduleKeyDeletion");
  }

  @Test
  void anUnknownAccessKeyIsAnUnrecognizedClient() {
    try (KmsClient stranger = KmsTestClients.noRetry(server, "AKIAIOSFODNN7EXAMPLE", "test")) {
      assertThatThrownBy(() -> stranger.createKey(r -> r.description("x")))
          .satisfies(
              kmsError(
                  400,
                  "UnrecognizedClientException",
                  "The security token included in the request is invalid."));
    }
    assertStillServingUnchanged();
  }

  @Test
  void aClientTenMinutesBehindTheServerGetsSignatureExpired() throws IOException {
    try (KmsMockServer ahead =
            KmsMockServer.builder()
                .clock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)))
                .build()
                .start();
        KmsClient client = KmsTestClients.noRetry(ahead, "test", "test")) {
      assertThatThrownBy(client::listKeys)
          .satisfies(kmsError(400, "InvalidSignatureException", null))
          .hasMessageMatching(
              "Signature expired: \\d{8}T\\d{6}Z is now earlier than \\d{8}T\\d{6}Z"
                  + " \\(\\d{8}T\\d{6}Z - 5 min\\.\\).*");
    }
  }

  @Test
  void aClientTenMinutesAheadOfTheServerGetsSignatureNotYetCurrent() throws IOException {
    try (KmsMockServer behind =
            KmsMockServer.builder()
                .clock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10)))
                .build()
                .start();
        KmsClient client = KmsTestClients.noRetry(behind, "test", "test")) {
      assertThatThrownBy(client::listKeys)
          .satisfies(kmsError(400, "InvalidSignatureException", null))
          .hasMessageMatching(
              "Signature not yet current: \\d{8}T\\d{6}Z is still later than \\d{8}T\\d{6}Z"
                  + " \\(\\d{8}T\\d{6}Z \\+ 5 min\\.\\).*");
    }
  }

  @Test
  void theSdkCorrectsItsClockFromTheDateHeaderAndRetries() throws IOException {
    try (KmsMockServer ahead =
            KmsMockServer.builder()
                .clock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10)))
                .build()
                .start();
        KmsClient client = KmsTestClients.client(ahead)) {
      assertThat(client.listKeys().keys()).isEmpty();
      assertThat(ahead.auditLog().events())
          .extracting(AuditEvent::errorCode)
          .containsExactly("InvalidSignatureException", null);
    }
  }

  @Test
  void aRequestWithoutAuthenticationIsRefused() throws IOException {
    HttpURLConnection connection =
        (HttpURLConnection) server.endpoint().resolve("/").toURL().openConnection();
    connection.setRequestMethod("POST");
    connection.setDoOutput(true);
    connection.setRequestProperty("Content-Type", "application/x-amz-json-1.1");
    connection.setRequestProperty("X-Amz-Target", "TrentService.ScheduleKeyDeletion");
    try (OutputStream out = connection.getOutputStream()) {
      out.write(("{\"KeyId\":\"" + keyId + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    assertThat(connection.getResponseCode()).isEqualTo(400);
    assertThat(connection.getHeaderField("x-amzn-RequestId")).isNotBlank();
    assertThat(connection.getHeaderField("Content-Type")).isEqualTo("application/x-amz-json-1.1");
    JsonNode body;
    try (InputStream in = connection.getErrorStream()) {
      body = JSON.readTree(in);
    }
    assertThat(body.get("__type").asText()).isEqualTo("MissingAuthenticationTokenException");
    assertThat(body.get("message").asText()).isEqualTo("Request is missing Authentication Token");
    assertStillServingUnchanged();
  }

  @Test
  void aGarbageAuthorizationHeaderIsAnIncompleteSignature() throws IOException {
    Map<String, List<String>> headers = signed("TrentService.ListKeys", "{}");
    headers.put("Authorization", List.of("AWS4-HMAC-SHA256 Credential=;;; Signature"));

    RawHttp.Response response = raw(headers, "{}");

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText()).isEqualTo("IncompleteSignatureException");
    assertStillServingUnchanged();
  }

  @Test
  void malformedJsonIsASerializationError() throws IOException {
    String body = "{\"KeyId\": \"" + keyId + "\", \"PendingWindowInDays\": 7";
    RawHttp.Response response = raw(signed("TrentService.ScheduleKeyDeletion", body), body);

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText()).isEqualTo("SerializationException");
    assertStillServingUnchanged();
  }

  @Test
  void aJsonValueThatIsNotAnObjectIsASerializationError() throws IOException {
    String body = "[\"" + keyId + "\"]";
    RawHttp.Response response = raw(signed("TrentService.DisableKey", body), body);

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText()).isEqualTo("SerializationException");
    assertStillServingUnchanged();
  }

  @Test
  void aMemberOfTheWrongTypeIsATyped400() throws IOException {
    String body = "{\"NumberOfBytes\": \"many\"}";
    RawHttp.Response response = raw(signed("TrentService.GenerateRandom", body), body);

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText()).isNotBlank();
    assertStillServingUnchanged();
  }

  @Test
  void anUnknownTargetIsAnUnknownOperation() throws IOException {
    RawHttp.Response response = raw(signed("TrentService.DeleteEverything", "{}"), "{}");

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText()).isEqualTo("UnknownOperationException");
    assertStillServingUnchanged();
  }

  @Test
  void aBodyOverOneMebibyteIsRefusedWithATypedErrorTheSdkReads() {
    byte[] huge = new byte[800_000];

    assertThatThrownBy(
            () -> kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(huge))))
        .satisfies(
            kmsError(
                400, "ValidationException", "Request body exceeds the limit of 1048576 bytes."));
    assertStillServingUnchanged();
  }

  @Test
  void aMalformedAttestationDocumentIsATypedValidationError() throws IOException {
    SoftwareNsm nsm = SoftwareNsm.create();
    try (KmsMockServer attested =
            KmsMockServer.builder().trustAnchor(nsm.rootCa().certificate()).build().start();
        KmsClient client = KmsTestClients.client(attested)) {
      assertThatThrownBy(
              () ->
                  client.generateRandom(
                      r ->
                          r.numberOfBytes(16)
                              .recipient(
                                  p ->
                                      p.keyEncryptionAlgorithm(
                                              KeyEncryptionMechanism.RSAES_OAEP_SHA_256)
                                          .attestationDocument(
                                              SdkBytes.fromUtf8String(
                                                  "not a COSE_Sign1 document")))))
          .satisfies(kmsError(400, "ValidationException", null));
      assertThat(client.generateRandom(r -> r.numberOfBytes(16)).plaintext().asByteArray())
          .hasSize(16);
    }
  }

  @Test
  void invalidCiphertextCarriesNoMessage() {
    byte[] blob =
        kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("secret")))
            .ciphertextBlob()
            .asByteArray();
    blob[blob.length - 1] ^= 1;

    assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
        .satisfies(kmsError(400, "InvalidCiphertextException", null))
        .satisfies(e -> assertThat(((KmsException) e).awsErrorDetails().errorMessage()).isNull());
  }

  @Test
  void anUnexpectedBodyOnAGetIsStillAnsweredInJson() throws IOException {
    try (RawHttp http = new RawHttp(server.endpoint())) {
      RawHttp.Response response =
          http.exchange(
              "GET", "/", Map.of("Host", List.of(server.endpoint().getAuthority())), new byte[0]);

      assertThat(response.status()).isEqualTo(400);
      assertThat(response.json().get("__type").asText())
          .isEqualTo("MissingAuthenticationTokenException");
    }
    assertStillServingUnchanged();
  }

  private Map<String, List<String>> signed(String target, String body) {
    return SdkSigner.of("test", "test", server.region(), Clock.systemUTC())
        .signKms(server.endpoint(), target, body.getBytes(StandardCharsets.UTF_8));
  }

  private RawHttp.Response raw(Map<String, List<String>> headers, String body) throws IOException {
    try (RawHttp http = new RawHttp(server.endpoint())) {
      return http.exchange("POST", "/", headers, body.getBytes(StandardCharsets.UTF_8));
    }
  }
}
