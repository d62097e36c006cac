package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.internal.RawHttp;
import dev.nitroemu.kms.internal.SdkSigner;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The two request forgeries of issue 9 against the running mock: a captured request replayed with
 * an unsigned, different {@code X-Amz-Target}, and a correctly signed request arriving under a
 * foreign {@code Host} (DNS rebinding). Each is refused, audited, and changes nothing.
 */
@Timeout(60)
class KmsAuthAttacksTest {
  private KmsMockServer server;
  private KmsClient kms;
  private String keyId;
  private final SdkSigner signer = SdkSigner.of("test", "test", "us-east-1", Clock.systemUTC());

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().allowedHost("host.docker.internal").build().start();
    kms = KmsTestClients.client(server);
    keyId = kms.createKey(r -> r.description("victim")).keyMetadata().keyId();
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
  }

  private RawHttp.Response send(Map<String, List<String>> headers, byte[] body) throws IOException {
    try (RawHttp http = new RawHttp(server.endpoint())) {
      return http.exchange("POST", "/", headers, body);
    }
  }

  private String keyState() {
    return kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyStateAsString();
  }

  @Test
  void aCapturedDescribeKeyReplayedAsScheduleKeyDeletionIsRefused() throws IOException {
    byte[] body = ("{\"KeyId\":\"" + keyId + "\"}").getBytes(StandardCharsets.UTF_8);
    // A client that signed only host, x-amz-date and the body hash; X-Amz-Target travelled
    // unsigned.
    Map<String, List<String>> captured = signer.signKms(server.endpoint(), null, body);
    captured.put("X-Amz-Target", List.of("TrentService.DescribeKey"));
    Map<String, List<String>> replayed = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    replayed.putAll(captured);
    replayed.put("X-Amz-Target", List.of("TrentService.ScheduleKeyDeletion"));

    RawHttp.Response response = send(replayed, body);

    assertThat(response.status()).isEqualTo(400);
    assertThat(response.json().get("__type").asText()).isEqualTo("InvalidSignatureException");
    assertThat(response.json().get("message").asText())
        .isEqualTo("'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    assertThat(keyState()).isEqualTo("Enabled");
    assertThat(server.auditLog().events())
        .filteredOn(e -> e.eventName().equals("ScheduleKeyDeletion"))
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.errorCode()).isEqualTo("InvalidSignatureException");
              assertThat(e.userIdentity().type()).isEqualTo("Unknown");
            });
    assertThat(send(captured, body).status()).as("the captured request itself").isEqualTo(400);
  }

  @Test
  void aSignedRequestUnderARebindingDomainIsRefusedBeforeItRuns() throws IOException {
    URI rebound = URI.create("http://rebind.attacker.example:" + server.port());
    byte[] body =
        ("{\"KeyId\":\"" + keyId + "\",\"PendingWindowInDays\":7}")
            .getBytes(StandardCharsets.UTF_8);

    RawHttp.Response response =
        send(signer.signKms(rebound, "TrentService.ScheduleKeyDeletion", body), body);

    assertThat(response.status()).isEqualTo(421);
    assertThat(response.json().get("__type").asText()).isEqualTo("InvalidHostHeaderException");
    assertThat(response.json().get("message").asText())
        .startsWith(
            "Host 'rebind.attacker.example:"
                + server.port()
                + "' is not a name of this KMS endpoint.");
    assertThat(response.header("x-amzn-RequestId")).isNotBlank();
    assertThat(keyState()).isEqualTo("Enabled");
    assertThat(server.auditLog().events())
        .filteredOn(e -> e.eventName().equals("ScheduleKeyDeletion"))
        .singleElement()
        .satisfies(e -> assertThat(e.errorCode()).isEqualTo("InvalidHostHeaderException"));
  }

  @Test
  void theKmsNamesLoopbackSpellingsAndConfiguredNamesAreServed() throws IOException {
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    int port = server.port();
    for (String authority :
        List.of(
            "127.0.0.1:" + port,
            "localhost:" + port,
            "[::1]:" + port,
            "kms.us-east-1.amazonaws.com",
            "kms-fips.us-east-1.amazonaws.com:443",
            "host.docker.internal:" + port)) {
      URI endpoint = URI.create("http://" + authority);
      RawHttp.Response response =
          send(signer.signKms(endpoint, "TrentService.ListKeys", body), body);
      assertThat(response.status()).as(authority).isEqualTo(200);
    }
  }
}
