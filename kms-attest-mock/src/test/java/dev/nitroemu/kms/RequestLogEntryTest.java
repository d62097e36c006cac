package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * The request log: one line per call with time, operation, key, principal, decision, latency; no
 * secrets.
 */
@Timeout(60)
class RequestLogEntryTest {
  private static final String SECRET = "plaintext-that-must-never-be-logged";

  @Test
  void everyCallIsOneLineWithItsDecisionAndNoSecret() throws Exception {
    List<RequestLogEntry> entries = new CopyOnWriteArrayList<>();
    try (KmsMockServer server =
            KmsMockServer.builder().requestListener(entries::add).build().start();
        KmsClient client = KmsTestClients.client(server);
        KmsClient wrongSecret = KmsTestClients.noRetry(server, "test", "not-the-secret")) {
      String keyId = client.createKey(r -> r.description("logged")).keyMetadata().keyId();
      byte[] blob =
          client
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String(SECRET)))
              .ciphertextBlob()
              .asByteArray();
      client.putKeyPolicy(
          r ->
              r.keyId(keyId)
                  .policyName("default")
                  .policy(
                      "{\"Version\":\"2012-10-17\","
                          + "\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
                          + "\"Action\":\"kms:Encrypt\",\"Resource\":\"*\"}]}")
                  .bypassPolicyLockoutSafetyCheck(true));
      assertThatThrownBy(() -> client.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
          .isInstanceOf(KmsException.class);
      assertThatThrownBy(() -> wrongSecret.listKeys()).isInstanceOf(KmsException.class);
      assertThatThrownBy(() -> client.describeKey(r -> r.keyId("alias/line\nbreak")))
          .isInstanceOf(KmsException.class);

      assertThat(entries)
          .extracting(RequestLogEntry::operation)
          .containsExactly(
              "CreateKey", "Encrypt", "PutKeyPolicy", "Decrypt", "ListKeys", "DescribeKey");
      assertThat(entries.get(1).key()).isEqualTo(keyId);
      assertThat(entries.get(1).decision()).isEqualTo("allowed");
      assertThat(entries.get(3).decision()).isEqualTo("denied");
      assertThat(entries.get(3).denied()).isTrue();
      assertThat(entries.get(3).principal()).isEqualTo("arn:aws:iam::000000000000:root");
      assertThat(entries.get(4).decision()).matches("rejected [A-Za-z]+");
      assertThat(entries.get(4).principal()).isEqualTo("-");
      assertThat(entries.get(5).key()).isEqualTo("alias/line?break");
      assertThat(entries)
          .allSatisfy(
              entry ->
                  assertThat(entry.latency())
                      .isNotNull()
                      .isGreaterThanOrEqualTo(java.time.Duration.ZERO));

      String all = String.join("\n", entries.stream().map(RequestLogEntry::toLine).toList());
      assertThat(all.lines()).hasSize(entries.size());
      assertThat(all)
          .doesNotContain(SECRET)
          .doesNotContain(Base64.getEncoder().encodeToString(blob))
          .doesNotContain("not-the-secret");
      assertThat(entries.get(3).toLine())
          .matches(
              "\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z Decrypt key="
                  + keyId
                  + " principal=arn:aws:iam::000000000000:root denied \\d+ ms"
                  + ": no Allow statement matched: statement #1 does not match the action");
    }
  }

  @Test
  void aPolicyTheLintWarnsAboutShowsItsWarningsOnItsLine() throws Exception {
    List<RequestLogEntry> entries = new CopyOnWriteArrayList<>();
    try (KmsMockServer server =
            KmsMockServer.builder().requestListener(entries::add).build().start();
        KmsClient client = KmsTestClients.client(server)) {
      String keyId = client.createKey(r -> r.description("linted")).keyMetadata().keyId();
      client.putKeyPolicy(
          r ->
              r.keyId(keyId)
                  .policyName("default")
                  .bypassPolicyLockoutSafetyCheck(true)
                  .policy(
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"admin\",\"Effect\":\"Allow\","
                          + "\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"},"
                          + "{\"Sid\":\"enclave\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
                          + "\"Action\":\"kms:Decrypt\",\"Resource\":\"*\",\"Condition\":{\"StringEqualsIgnoreCase\":{}}}]}"));

      RequestLogEntry put = entries.get(entries.size() - 1);
      assertThat(put.operation()).isEqualTo("PutKeyPolicy");
      assertThat(put.warnings()).isNotEmpty();
      assertThat(put.toLine()).contains(" warnings: ").doesNotContain("\n");
      assertThat(entries.get(0).warnings()).isEmpty();
    }
  }

  @Test
  void aDenialReasonCannotBreakTheLine() {
    AuditEvent event =
        AuditEvent.fromJson(
            "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\","
                + "\"arn\":\"arn:aws:iam::000000000000:root\"},\"eventTime\":\"2026-12-06T12:00:00Z\",\"eventName\":\"Decrypt\","
                + "\"errorCode\":\"AccessDeniedException\",\"errorMessage\":\"User: ... is not authorized\","
                + "\"requestParameters\":null,\"responseElements\":null,\"additionalEventData\":{\"denial\":"
                + "{\"decision\":\"ExplicitDeny\",\"statements\":[{\"sid\":\"forged\\n2026-12-06T12:00:01Z Decrypt allowed\","
                + "\"number\":1}]}},\"eventID\":\"6f2b1f3e-2c1a-4e8b-9a8e-0f6c7d9b1a2c\",\"readOnly\":true,\"resources\":[]}");

    RequestLogEntry entry = RequestLogEntry.of(event);

    assertThat(entry.toLine())
        .doesNotContain("\n")
        .endsWith(
            " denied: explicit Deny in statement 'forged?2026-12-06T12:00:01Z Decrypt allowed'");
  }

  @Test
  void anAuditEventReadBackHasNoLatency() throws Exception {
    try (KmsMockServer server = KmsMockServer.builder().build().start();
        KmsClient client = KmsTestClients.client(server)) {
      client.listKeys();
      AuditEvent event = AuditEvent.fromJson(server.auditLog().events().get(0).toJson());

      RequestLogEntry entry = RequestLogEntry.of(event);

      assertThat(entry.latency()).isNull();
      assertThat(entry.toLine())
          .endsWith("ListKeys key=- principal=arn:aws:iam::000000000000:root allowed");
    }
  }
}
