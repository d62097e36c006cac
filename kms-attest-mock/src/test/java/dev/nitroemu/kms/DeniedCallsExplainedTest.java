package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * A denied call, over HTTP with unmodified SDK clients: the client gets AWS's AccessDeniedException
 * text, while the audit event and the request log line say which statement and condition decided
 * and what the attestation document presented, without the secret.
 */
@Timeout(120)
class DeniedCallsExplainedTest {
  private static final String SECRET = "plaintext-that-must-never-be-logged";

  private final List<RequestLogEntry> lines = new CopyOnWriteArrayList<>();

  @Test
  void aDecryptWithAWrongPcr0NamesTheStatementTheConditionAndWhatTheDocumentPresented()
      throws Exception {
    SoftwareNsm expected = SoftwareNsm.create();
    byte[] otherImage =
        EnclaveProfile.extendFromZero("another image".getBytes(StandardCharsets.UTF_8));
    SoftwareNsm presented =
        SoftwareNsm.builder()
            .rootCa(expected.rootCa())
            .profile(EnclaveProfile.builder().pcr(0, otherImage).build())
            .build();
    String expectedPcr0 = pcr(expected, 0);
    String presentedPcr0 = pcr(presented, 0);
    try (KmsMockServer server =
            KmsMockServer.builder()
                .trustAnchor(expected.rootCa().certificate())
                .requestListener(lines::add)
                .build()
                .start();
        KmsClient parent = KmsTestClients.client(server);
        EnclaveKmsClient enclave =
            EnclaveKmsClient.builder().nsm(presented).kmsClient(parent).build()) {
      String root = "arn:aws:iam::" + server.accountId() + ":root";
      String keyId =
          parent
              .createKey(
                  r ->
                      r.policy(
                          policy(
                              root,
                              "\"Sid\":\"Enclave\",",
                              "Allow",
                              "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR0\":\""
                                  + expectedPcr0
                                  + "\"}}")))
              .keyMetadata()
              .keyId();
      String arn = parent.describeKey(r -> r.keyId(keyId)).keyMetadata().arn();
      byte[] blob =
          parent
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String(SECRET)))
              .ciphertextBlob()
              .asByteArray();

      assertThatThrownBy(() -> enclave.decrypt(blob))
          .isInstanceOfSatisfying(
              KmsException.class,
              e -> {
                assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
                assertThat(e.awsErrorDetails().errorMessage())
                    .isEqualTo(
                        "User: "
                            + root
                            + " is not authorized to perform: "
                            + "kms:Decrypt on resource: "
                            + arn
                            + " because no resource-based policy allows the kms:Decrypt action");
              });

      AuditEvent event = last(server, "Decrypt");
      assertThat(event.errorMessage())
          .isEqualTo(
              "User: "
                  + root
                  + " is not authorized to perform: kms:Decrypt on "
                  + "resource: "
                  + arn
                  + " because no resource-based policy allows the kms:Decrypt action");
      JsonNode denial = event.additionalEventData().path("denial");
      assertThat(denial.path("decision").asText()).isEqualTo("ImplicitDeny");
      JsonNode statement = denial.path("statements").get(1);
      assertThat(statement.path("sid").asText()).isEqualTo("Enclave");
      JsonNode condition = statement.path("conditions").get(0);
      assertThat(condition.path("key").asText()).isEqualTo("kms:RecipientAttestation:PCR0");
      assertThat(condition.path("operator").asText()).isEqualTo("StringEqualsIgnoreCase");
      assertThat(condition.path("expected").get(0).asText()).isEqualTo(expectedPcr0);
      assertThat(condition.path("presented").get(0).asText()).isEqualTo(presentedPcr0);
      JsonNode attestation = denial.path("attestation");
      assertThat(attestation.path("moduleId").asText()).isEqualTo(presented.moduleId());
      assertThat(attestation.path("pcr0").asText()).isEqualTo(presentedPcr0);
      assertThat(attestation.path("pcr1").asText()).isEqualTo(pcr(presented, 1));
      assertThat(attestation.path("pcr2").asText()).isEqualTo(pcr(presented, 2));
      assertThat(attestation.path("pcr8").asText()).isEqualTo(pcr(presented, 8));
      assertThat(attestation.path("ageSeconds").asLong()).isBetween(0L, 60L);

      RequestLogEntry line =
          lines.stream()
              .filter(entry -> entry.operation().equals("Decrypt"))
              .reduce((a, b) -> b)
              .orElseThrow();
      assertThat(line.denied()).isTrue();
      assertThat(line.reason())
          .startsWith(
              "no Allow statement matched: statement 'Enclave': "
                  + "kms:RecipientAttestation:PCR0 StringEqualsIgnoreCase expected "
                  + expectedPcr0
                  + " got "
                  + presentedPcr0
                  + "; attestation document: module "
                  + presented.moduleId()
                  + ", PCR0 "
                  + presentedPcr0.substring(0, 16)
                  + "..., PCR1 ");
      assertThat(line.toLine())
          .contains(" Decrypt key=" + keyId + " ")
          .contains(" denied ")
          .contains(" ms: no Allow statement matched: ")
          .doesNotContain("\n");
      assertThat(RequestLogEntry.of(AuditEvent.fromJson(event.toJson())).toLine())
          .endsWith(" denied: " + line.reason());
      String logged =
          String.join("\n", server.auditLog().events().stream().map(AuditEvent::toJson).toList())
              + "\n"
              + String.join("\n", lines.stream().map(RequestLogEntry::toLine).toList());
      assertThat(logged)
          .doesNotContain(SECRET)
          .doesNotContain(Base64.getEncoder().encodeToString(blob));
    }
  }

  @Test
  void anExplicitDenyNamesItsStatementAndTheClientStillGetsAwsText() throws Exception {
    try (KmsMockServer server =
            KmsMockServer.builder().requestListener(lines::add).build().start();
        KmsClient client = KmsTestClients.client(server)) {
      String root = "arn:aws:iam::" + server.accountId() + ":root";
      String keyId =
          client
              .createKey(
                  r ->
                      r.policy(
                          policy(root, "\"Sid\":\"NoDecryptHere\",", "Deny", "\"Resource\":\"*\"")))
              .keyMetadata()
              .keyId();
      String arn = client.describeKey(r -> r.keyId(keyId)).keyMetadata().arn();
      byte[] blob =
          client
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String(SECRET)))
              .ciphertextBlob()
              .asByteArray();

      assertThatThrownBy(() -> client.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
          .isInstanceOfSatisfying(
              KmsException.class,
              e ->
                  assertThat(e.awsErrorDetails().errorMessage())
                      .isEqualTo(
                          "User: "
                              + root
                              + " is not authorized to perform: kms:Decrypt on resource: "
                              + arn
                              + " with an explicit deny in a resource-based policy"));

      JsonNode denial = last(server, "Decrypt").additionalEventData().path("denial");
      assertThat(denial.path("decision").asText()).isEqualTo("ExplicitDeny");
      assertThat(denial.path("statements").get(0).path("sid").asText()).isEqualTo("NoDecryptHere");
      assertThat(lines.get(lines.size() - 1).toLine())
          .matches(
              ".* Decrypt key="
                  + keyId
                  + " principal="
                  + root
                  + " denied \\d+ ms: explicit Deny in statement "
                  + "'NoDecryptHere'");
    }
  }

  /**
   * The root may administer and Encrypt (statement 1); statement 2 is {@code effect} for Decrypt.
   */
  private static String policy(String root, String sid, String effect, String extra) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":["
        + "{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
        + root
        + "\"},"
        + "\"Action\":[\"kms:Create*\",\"kms:Describe*\",\"kms:Put*\",\"kms:Get*\",\"kms:Encrypt\"],\"Resource\":\"*\"},"
        + "{"
        + sid
        + "\"Effect\":\""
        + effect
        + "\",\"Principal\":{\"AWS\":\""
        + root
        + "\"},"
        + "\"Action\":\"kms:Decrypt\","
        + (extra.startsWith("\"Resource\"") ? extra : "\"Resource\":\"*\"," + extra)
        + "}]}";
  }

  private static AuditEvent last(KmsMockServer server, String operation) {
    return server.auditLog().events().stream()
        .filter(e -> e.eventName().equals(operation))
        .reduce((a, b) -> b)
        .orElseThrow();
  }

  private static String pcr(SoftwareNsm nsm, int index) {
    return HexFormat.of().formatHex(nsm.describePcr(index).data());
  }
}
