package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.kms.internal.RawHttp;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * {@code GET /_nitro-emu/health}: unsigned, unaudited, and beside KMS on the same port and
 * connection.
 */
@Timeout(60)
class HealthEndpointTest {
  private static final Map<String, List<String>> HOST = Map.of("Host", List.of("127.0.0.1"));

  @Test
  void healthListsKmsAndTheGivenServicesWithoutSignatureOrAuditEvent() throws Exception {
    try (KmsMockServer server =
            KmsMockServer.builder()
                .region("eu-west-1")
                .healthServices(
                    () ->
                        Map.of(
                            "nsm", Map.of("address", "vsock://3:9797", "tcp", "127.0.0.1:40001")))
                .build()
                .start();
        RawHttp http = new RawHttp(server.endpoint())) {
      RawHttp.Response health = http.exchange("GET", KmsMockServer.HEALTH_PATH, HOST, new byte[0]);

      assertThat(health.status()).isEqualTo(200);
      assertThat(health.header("Content-Type")).isEqualTo("application/json");
      JsonNode report = health.json();
      assertThat(report.path("status").asText()).isEqualTo("running");
      assertThat(report.path("services").path("kms").path("status").asText()).isEqualTo("running");
      assertThat(report.path("services").path("kms").path("address").asText())
          .isEqualTo(server.endpoint().toString());
      assertThat(report.path("services").path("kms").path("region").asText())
          .isEqualTo("eu-west-1");
      assertThat(report.path("services").path("nsm").path("address").asText())
          .isEqualTo("vsock://3:9797");
      assertThat(report.path("services").path("nsm").path("status").asText()).isEqualTo("running");
      assertThat(health.text()).doesNotContain("test\"").doesNotContain("secret");
      assertThat(server.auditLog().recordedCount()).isZero();

      // Same connection, kept alive: a query string is fine, another GET path is still KMS's (and
      // audited).
      assertThat(
              http.exchange("GET", KmsMockServer.HEALTH_PATH + "?verbose=1", HOST, new byte[0])
                  .status())
          .isEqualTo(200);
      RawHttp.Response other = http.exchange("GET", "/_nitro-emu/other", HOST, new byte[0]);
      assertThat(other.status()).isEqualTo(400);
      assertThat(server.auditLog().recordedCount()).isEqualTo(1);
    }
  }

  @Test
  void kmsCallsWorkUnchangedBesideTheHealthEndpoint() throws Exception {
    try (KmsMockServer server = KmsMockServer.builder().build().start();
        KmsClient client = KmsTestClients.client(server);
        RawHttp http = new RawHttp(server.endpoint())) {
      String keyId = client.createKey(r -> r.description("beside health")).keyMetadata().keyId();
      assertThat(http.exchange("GET", KmsMockServer.HEALTH_PATH, HOST, new byte[0]).status())
          .isEqualTo(200);
      assertThat(client.describeKey(r -> r.keyId(keyId)).keyMetadata().description())
          .isEqualTo("beside health");
      assertThat(server.auditLog().events())
          .extracting(AuditEvent::eventName)
          .containsExactly("CreateKey", "DescribeKey");
    }
  }
}
