package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * CreateKey and PutKeyPolicy report key policy lint warnings in the audit event and the server log,
 * and the policy still means what IAM says it means.
 */
@Timeout(60)
class PolicyLintAuditTest {
  private static final String EMPTY_GATE =
      "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"enclave-only\","
          + " \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::000000000000:root\"}, \"Action\": \"kms:*\","
          + " \"Resource\": \"*\", \"Condition\": {\"StringEqualsIgnoreCase\": {}}}]}";
  private static final String CLEAN =
      "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"admin\","
          + " \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::000000000000:root\"}, \"Action\":"
          + " [\"kms:Encrypt\", \"kms:PutKeyPolicy\"], \"Resource\": \"*\"}, {\"Sid\": \"enclave\", \"Effect\":"
          + " \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::000000000000:root\"}, \"Action\": \"kms:Decrypt\","
          + " \"Resource\": \"*\", \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \""
          + "0".repeat(96)
          + "\"}}}]}";
  private static final Logger SERVER_LOG =
      Logger.getLogger("dev.nitroemu.kms.internal.KeyManagementOperations");

  private final List<LogRecord> logged = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logged.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private KmsMockServer server;
  private KmsClient kms;

  @BeforeEach
  void start() throws IOException {
    SERVER_LOG.addHandler(capture);
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
    SERVER_LOG.removeHandler(capture);
  }

  private JsonNode warningsOf(String operation) {
    List<AuditEvent> events =
        server.auditLog().events().stream().filter(e -> e.eventName().equals(operation)).toList();
    AuditEvent last = events.get(events.size() - 1);
    return last.additionalEventData() == null ? null : last.additionalEventData().get("warnings");
  }

  @Test
  void createKeyAndPutKeyPolicyAuditAndLogTheWarningsAndKeepIamSemantics() {
    String keyId = kms.createKey(r -> r.policy(EMPTY_GATE)).keyMetadata().keyId();

    JsonNode created = warningsOf("CreateKey");
    assertThat(created).hasSize(1);
    assertThat(created.get(0).get("rule").asText()).isEqualTo(KeyPolicyLint.EMPTY_CONDITION);
    assertThat(created.get(0).get("statement").asText()).isEqualTo("statement 'enclave-only'");
    assertThat(created.get(0).get("message").asText())
        .contains("StringEqualsIgnoreCase has no condition keys");
    assertThat(logged)
        .filteredOn(r -> r.getLevel() == Level.WARNING)
        .singleElement()
        .satisfies(
            r ->
                assertThat(r.getMessage())
                    .startsWith(
                        "CreateKey arn:aws:kms:us-east-1:000000000000:key/"
                            + keyId
                            + ": key policy statement 'enclave-only': the condition operator StringEqualsIgnoreCase"));

    // IAM semantics: the empty block constrains nothing, so Decrypt without attestation is allowed.
    byte[] blob =
        kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("x")))
            .ciphertextBlob()
            .asByteArray();
    assertThat(
            kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob)))
                .plaintext()
                .asUtf8String())
        .isEqualTo("x");

    kms.putKeyPolicy(
        r ->
            r.keyId(keyId)
                .policyName("default")
                .policy(EMPTY_GATE.replace("{}", "{} , \"Bool\": {}")));
    assertThat(warningsOf("PutKeyPolicy")).hasSize(2);

    kms.putKeyPolicy(r -> r.keyId(keyId).policyName("default").policy(CLEAN));
    assertThat(warningsOf("PutKeyPolicy")).isNull();
    assertThat(warningsOf("Decrypt")).isNull();
  }

  @Test
  void theDefaultPolicyOfACreateKeyWithoutPolicyIsNotLinted() {
    kms.createKey(r -> r.description("default policy"));

    assertThat(warningsOf("CreateKey")).isNull();
    assertThat(logged).noneMatch(r -> r.getLevel() == Level.WARNING);
  }
}
