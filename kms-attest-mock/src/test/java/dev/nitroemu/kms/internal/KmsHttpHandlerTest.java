package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.AuditLog;
import dev.nitroemu.kms.KmsCredentials;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HTTP side of the KMS mock, with stub operations: framing, headers, error shapes, bounds. */
@Timeout(30)
class KmsHttpHandlerTest {
  private static final Instant NOW = Instant.parse("2026-03-14T09:26:53Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final String UUID_FORM =
      "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

  private final AuditLog audit = AuditLog.inMemory();
  private KmsNettyServer server;
  private URI endpoint;
  private final SdkSigner signer = SdkSigner.of("test", "test", "us-east-1", CLOCK);

  @BeforeEach
  void start() throws IOException {
    SigV4Verifier verifier =
        new SigV4Verifier("us-east-1", "kms", List.of(KmsCredentials.defaults()), CLOCK);
    KmsProtocol protocol =
        new KmsProtocol(verifier, KmsHttpHandlerTest::stubOperation, audit, "us-east-1", CLOCK);
    server =
        KmsNettyServer.start(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), protocol, null, 2, CLOCK);
    endpoint = URI.create("http://127.0.0.1:" + server.localAddress().getPort());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static KmsResult stubOperation(KmsCall call) {
    ObjectNode response = KmsJson.mapper().createObjectNode();
    switch (call.operation()) {
      case "Echo" -> {
        response.set("Request", call.request());
        response.put("Caller", call.caller().principalArn());
        return new KmsResult(response, List.of(), null);
      }
      case "Empty" -> {
        return new KmsResult(response, List.of(), null);
      }
      case "Fail" -> throw new IllegalStateException("cannot read /var/secret/key.pem");
      case "Denied" ->
          throw new KmsError(
              "AccessDeniedException", "User: x is not authorized to perform: kms:Y");
      case "BadCiphertext" -> throw new KmsError("InvalidCiphertextException", "internal detail");
      case "Missing" -> throw KmsError.notFound("Key 'k' does not exist");
      default -> throw new KmsError("UnknownOperationException", "no " + call.operation());
    }
  }

  private RawHttp.Response call(String operation, String body) throws IOException {
    try (RawHttp http = new RawHttp(endpoint)) {
      return exchange(http, operation, body);
    }
  }

  private RawHttp.Response exchange(RawHttp http, String operation, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return http.exchange(
        "POST", "/", signer.signKms(endpoint, "TrentService." + operation, bytes), bytes);
  }

  @Test
  void answersWithRequestIdContentTypeAndDateOnEverySuccessAndError() throws IOException {
    for (RawHttp.Response response :
        List.of(call("Echo", "{}"), call("Missing", "{}"), call("Fail", "{}"), unsigned("{}"))) {
      assertThat(response.header("x-amzn-RequestId")).matches(UUID_FORM);
      assertThat(response.header("Content-Type")).isEqualTo("application/x-amz-json-1.1");
      assertThat(response.header("Date")).isEqualTo("Sat, 14 Mar 2026 09:26:53 GMT");
      assertThat(response.header("Content-Length"))
          .isEqualTo(Integer.toString(response.body().length));
    }
    assertThat(audit.events()).extracting(AuditEvent::requestId).doesNotHaveDuplicates().hasSize(4);
  }

  @Test
  void passesTheParsedBodyAndVerifiedCallerToTheOperation() throws IOException {
    RawHttp.Response response = call("Echo", "{\"KeyId\":\"alias/a\",\"NumberOfBytes\":7}");

    assertThat(response.status()).isEqualTo(200);
    JsonNode json = response.json();
    assertThat(json.get("Request").get("KeyId").asText()).isEqualTo("alias/a");
    assertThat(json.get("Request").get("NumberOfBytes").asInt()).isEqualTo(7);
    assertThat(json.get("Caller").asText()).isEqualTo("arn:aws:iam::000000000000:root");
    assertThat(audit.events())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.eventName()).isEqualTo("Echo");
              assertThat(e.errorCode()).isNull();
              assertThat(e.requestId()).isEqualTo(response.header("x-amzn-RequestId"));
            });
  }

  @Test
  void treatsAnEmptyBodyAsAnEmptyObject() throws IOException {
    RawHttp.Response response = call("Echo", "");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.json().get("Request").isObject()).isTrue();
    assertThat(response.json().get("Request").isEmpty()).isTrue();
  }

  @Test
  void answersAnOperationWithoutOutputWithAnEmptyBody() throws IOException {
    RawHttp.Response response = call("Empty", "{}");

    assertThat(response.status()).isEqualTo(200);
    assertThat(response.body()).isEmpty();
    assertThat(response.header("Content-Type")).isEqualTo("application/x-amz-json-1.1");
  }

  @Test
  void turnsAnUnexpectedFaultIntoA500WithAGenericMessageAndKeepsServing() throws IOException {
    RawHttp.Response response = call("Fail", "{}");

    assertThat(response.status()).isEqualTo(500);
    assertThat(response.json().get("__type").asText()).isEqualTo("KMSInternalException");
    assertThat(response.json().get("message").asText()).isEqualTo(KmsProtocol.INTERNAL_MESSAGE);
    assertThat(response.text()).doesNotContain("secret");
    assertThat(audit.events())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.errorCode()).isEqualTo("KMSInternalException");
              assertThat(e.errorMessage()).doesNotContain("secret");
            });
    assertThat(call("Echo", "{}").status()).isEqualTo(200);
  }

  @Test
  void shapesErrorBodiesAsRealKmsDoes() throws IOException {
    JsonNode denied = call("Denied", "{}").json();
    JsonNode badCiphertext = call("BadCiphertext", "{}").json();
    JsonNode missing = call("Missing", "{}").json();

    assertThat(denied.get("__type").asText()).isEqualTo("AccessDeniedException");
    assertThat(denied.get("Message").asText())
        .isEqualTo("User: x is not authorized to perform: kms:Y");
    assertThat(denied.has("message")).isFalse();
    assertThat(badCiphertext.get("__type").asText()).isEqualTo("InvalidCiphertextException");
    assertThat(badCiphertext.size()).isEqualTo(1);
    assertThat(missing.get("message").asText()).isEqualTo("Key 'k' does not exist");
    assertThat(call("Missing", "{}").status()).isEqualTo(400);
  }

  @Test
  void keepsAConnectionOpenAcrossRequests() throws IOException {
    try (RawHttp http = new RawHttp(endpoint)) {
      for (int i = 0; i < 5; i++) {
        RawHttp.Response response = exchange(http, "Echo", "{\"N\":" + i + "}");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.json().get("Request").get("N").asInt()).isEqualTo(i);
      }
      assertThat(exchange(http, "Missing", "{}").status()).isEqualTo(400);
      assertThat(exchange(http, "Echo", "{}").status()).isEqualTo(200);
    }
  }

  @Test
  void answersPipelinedRequestsInOrder() throws IOException {
    try (RawHttp http = new RawHttp(endpoint)) {
      ByteArrayOutputStream pipelined = new ByteArrayOutputStream();
      for (int i = 0; i < 12; i++) {
        byte[] body = ("{\"N\":" + i + "}").getBytes(StandardCharsets.UTF_8);
        pipelined.writeBytes(
            RawHttp.request(
                "POST", "/", signer.signKms(endpoint, "TrentService.Echo", body), body));
      }
      http.send(pipelined.toByteArray());
      for (int i = 0; i < 12; i++) {
        assertThat(http.read().json().get("Request").get("N").asInt()).isEqualTo(i);
      }
    }
  }

  @Test
  void acceptsABodyOfExactlyOneMebibyte() throws IOException {
    String body = "{\"Pad\":\"" + "x".repeat(KmsNettyServer.MAX_BODY_BYTES - 10) + "\"}";
    assertThat(body.length()).isEqualTo(KmsNettyServer.MAX_BODY_BYTES);

    assertThat(call("Empty", body).status()).isEqualTo(200);
  }

  @Test
  void refusesALargerBodyWithATypedErrorAndServesTheNextRequestOnTheConnection()
      throws IOException {
    byte[] body = new byte[KmsNettyServer.MAX_BODY_BYTES + 1];
    java.util.Arrays.fill(body, (byte) ' ');
    try (RawHttp http = new RawHttp(endpoint)) {
      RawHttp.Response refused =
          http.exchange("POST", "/", signer.signKms(endpoint, "TrentService.Echo", body), body);

      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().get("__type").asText()).isEqualTo("ValidationException");
      assertThat(refused.json().get("message").asText())
          .isEqualTo("Request body exceeds the limit of 1048576 bytes.");
      assertThat(refused.header("x-amzn-RequestId")).matches(UUID_FORM);
      assertThat(exchange(http, "Echo", "{}").status()).isEqualTo(200);
    }
    assertThat(audit.events())
        .first()
        .satisfies(
            e -> {
              assertThat(e.eventName()).isEqualTo("Echo");
              assertThat(e.errorCode()).isEqualTo("ValidationException");
            });
  }

  @Test
  void refusesAnOversizedChunkedBodyAndClosesTheConnection() throws IOException {
    try (RawHttp http = new RawHttp(endpoint)) {
      Map<String, List<String>> headers =
          signer.signKms(endpoint, "TrentService.Echo", new byte[0]);
      headers.remove("Content-Length");
      headers.put("Transfer-Encoding", List.of("chunked"));
      StringBuilder head = new StringBuilder("POST / HTTP/1.1\r\n");
      headers.forEach(
          (name, values) ->
              values.forEach(v -> head.append(name).append(": ").append(v).append("\r\n")));
      http.send(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
      byte[] chunk =
          ("10000\r\n" + " ".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < 16; i++) {
        http.send(chunk);
      }
      http.send("1\r\n \r\n".getBytes(StandardCharsets.US_ASCII));
      RawHttp.Response refused = http.read();

      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().get("__type").asText()).isEqualTo("ValidationException");
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(call("Echo", "{}").status()).isEqualTo(200);
  }

  @Test
  void refusesAMalformedHttpRequestAndKeepsServingOthers() throws IOException {
    try (RawHttp http = new RawHttp(endpoint)) {
      http.send(
          "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      RawHttp.Response refused = http.read();

      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().get("__type").asText()).isEqualTo("ValidationException");
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(call("Echo", "{}").status()).isEqualTo(200);
  }

  @Test
  void refusesHeadersOverEightKibibytes() throws IOException {
    Map<String, List<String>> headers = signer.signKms(endpoint, "TrentService.Echo", new byte[0]);
    headers.put("X-Padding", List.of("p".repeat(9000)));
    try (RawHttp http = new RawHttp(endpoint)) {
      RawHttp.Response refused = http.exchange("POST", "/", headers, new byte[0]);

      assertThat(refused.status()).isEqualTo(400);
      assertThat(refused.json().get("__type").asText()).isEqualTo("ValidationException");
    }
    assertThat(call("Echo", "{}").status()).isEqualTo(200);
  }

  @Test
  void refusesRequestsWithoutAuthenticationBeforeLookingAtThem() throws IOException {
    RawHttp.Response response = unsigned("not json");

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText())
        .isEqualTo("MissingAuthenticationTokenException");
    assertThat(audit.events())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.errorCode()).isEqualTo("MissingAuthenticationTokenException");
              assertThat(e.eventName()).isEqualTo("Echo");
              assertThat(e.userIdentity().type()).isEqualTo("Unknown");
            });
  }

  @Test
  void refusesOtherMethodsPathsAndTargetsAsUnknownOperations() throws IOException {
    Map<String, RawHttp.Response> responses = new TreeMap<>();
    try (RawHttp http = new RawHttp(endpoint)) {
      byte[] none = new byte[0];
      responses.put(
          "GET",
          http.exchange(
              "GET",
              "/",
              signer.sign(
                  software.amazon.awssdk.http.SdkHttpRequest.builder()
                      .method(software.amazon.awssdk.http.SdkHttpMethod.GET)
                      .uri(endpoint.resolve("/"))
                      .putHeader("X-Amz-Target", "TrentService.Echo")
                      .build(),
                  none),
              none));
      responses.put(
          "path",
          http.exchange(
              "POST",
              "/keys",
              signer.sign(
                  software.amazon.awssdk.http.SdkHttpRequest.builder()
                      .method(software.amazon.awssdk.http.SdkHttpMethod.POST)
                      .uri(endpoint.resolve("/keys"))
                      .putHeader("X-Amz-Target", "TrentService.Echo")
                      .build(),
                  none),
              none));
      responses.put(
          "missing", http.exchange("POST", "/", signer.signKms(endpoint, null, none), none));
      responses.put(
          "prefix",
          http.exchange(
              "POST", "/", signer.signKms(endpoint, "DynamoDB_20120810.Echo", none), none));
      responses.put("unknown", exchange(http, "NoSuchOperation", "{}"));
    }
    assertThat(responses.values())
        .allSatisfy(
            r -> {
              assertThat(r.status()).isEqualTo(400);
              assertThat(r.json().get("__type").asText()).isEqualTo("UnknownOperationException");
            });
    assertThat(responses.get("prefix").json().get("message").asText())
        .isEqualTo(
            "Unknown operation target 'DynamoDB_20120810.Echo'; expected TrentService.<Operation>.");
  }

  @Test
  void refusesBodiesThatAreNotOneJsonObject() throws IOException {
    for (String body :
        List.of(
            "{",
            "{\"a\":1} {}",
            "[1,2]",
            "\"text\"",
            "42",
            "{\"a\":1,\"a\":2}",
            "nul",
            "[".repeat(40) + "]".repeat(40),
            "{\"A\":" + "{\"B\":".repeat(40) + "1" + "}".repeat(41))) {
      RawHttp.Response response = call("Echo", body);
      assertThat(response.status()).as(body).isEqualTo(400);
      assertThat(response.json().get("__type").asText())
          .as(body)
          .isEqualTo("SerializationException");
    }
    assertThat(call("Echo", "{\"Plaintext\": \"c2VjcmV0\", oops}").json().get("message").asText())
        .isEqualTo("The request body is not valid JSON (line 1, column 27).")
        .doesNotContain("oops");
  }

  @Test
  void auditsExactlyOneEventPerRequestWhateverItsFate() throws IOException {
    call("Echo", "{}");
    call("Fail", "{}");
    call("Echo", "[]");
    call("Missing", "{}");
    unsigned("{}");
    call("NoSuchOperation", "{}");

    assertThat(audit.events())
        .extracting(AuditEvent::errorCode)
        .containsExactly(
            null,
            "KMSInternalException",
            "SerializationException",
            "NotFoundException",
            "MissingAuthenticationTokenException",
            "UnknownOperationException");
  }

  @Test
  void closeIsIdempotentAndReleasesThePort() throws IOException {
    int port = server.localAddress().getPort();
    server.close();
    server.close();

    try (java.net.ServerSocket reuse = new java.net.ServerSocket()) {
      reuse.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      assertThat(reuse.getLocalPort()).isEqualTo(port);
    }
  }

  private RawHttp.Response unsigned(String body) throws IOException {
    Map<String, List<String>> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    headers.put("Host", List.of(endpoint.getAuthority()));
    headers.put("X-Amz-Target", List.of("TrentService.Echo"));
    try (RawHttp http = new RawHttp(endpoint)) {
      return http.exchange("POST", "/", headers, body.getBytes(StandardCharsets.UTF_8));
    }
  }
}
