package dev.nitroemu.junit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockFault;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.EmulatorControls;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;

@Timeout(60)
class EmulatorControlsTest {

  private final EnclaveEnvironment env =
      EnclaveEnvironment.builder().kmsKeys("kms/enclave-secret.json").start();
  private final EmulatorControls controls = env.controls();

  @AfterEach
  void close() {
    env.close();
  }

  private long documentTime() {
    return env.verifier().verify(env.nsm().attestation(null, null, null)).document().timestamp();
  }

  @Test
  void advancingTheClockMovesDocumentsVerificationAndKmsTogether() {
    long before = documentTime();

    controls.advanceClock(Duration.ofHours(6));

    byte[] document = env.nsm().attestation(null, null, null);
    assertThat(documentTime()).isGreaterThanOrEqualTo(before + Duration.ofHours(6).toMillis());
    assertThat(env.verifier().verify(document).verifiedAt())
        .isAfter(Instant.ofEpochMilli(before).plus(Duration.ofHours(6)));
    // The KMS mock checks SigV4 dates against the moved clock, and the injected client signs with
    // it.
    assertThat(env.kmsClient().generateRandom(r -> r.numberOfBytes(16)).plaintext().asByteArray())
        .hasSize(16);
    assertThat(env.enclaveKmsClient().generateRandom(16)).hasSize(16);
  }

  @Test
  void setClockPinsTheTimeDocumentsCarry() {
    Instant target = Instant.parse("2031-03-04T05:06:07Z");

    controls.setClock(target);

    assertThat(Instant.ofEpochMilli(documentTime())).isBetween(target, target.plusSeconds(60));
    assertThat(controls.clock().instant()).isBetween(target, target.plusSeconds(60));
  }

  @Test
  void injectedFaultRefusesConnectionsUntilCleared() throws Exception {
    VsockAddress parent = VsockAddress.of(VsockAddress.CID_PARENT, 9000);
    try (VsockListener listener = env.transport().listen(parent)) {
      controls.injectFault(parent, VsockFault.refuse());

      assertThatThrownBy(() -> env.transport().connect(parent))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("injected fault");

      controls.clearFaults();
      try (VsockConnection connection = env.transport().connect(parent)) {
        assertThat(connection.remoteAddress()).isEqualTo(parent);
      }
    }
  }

  @Test
  void kmsAuditEventsShowTheAttestedDecrypt() {
    SdkBytes blob =
        env.kmsClient()
            .encrypt(
                r ->
                    r.keyId(env.info().kmsKeyId("enclave-secret"))
                        .plaintext(SdkBytes.fromUtf8String("secret")))
            .ciphertextBlob();
    controls.clearKmsAuditEvents();

    assertThat(env.enclaveKmsClient().decrypt(blob.asByteArray()))
        .asString(UTF_8)
        .isEqualTo("secret");

    assertThat(controls.kmsAuditEvents())
        .singleElement()
        .satisfies(
            event -> {
              assertThat(event.eventName()).isEqualTo("Decrypt");
              assertThat(event.errorCode()).isNull();
              assertThat(event.additionalEventData().toString())
                  .contains(env.nsm().describeNsm().moduleId());
              assertThat(event.toJson()).doesNotContain("secret\"");
            });
  }

  @Test
  void auditEventsRecordDenials() {
    SdkBytes blob =
        env.kmsClient()
            .encrypt(
                r ->
                    r.keyId(env.info().kmsKeyId("enclave-secret"))
                        .plaintext(SdkBytes.fromUtf8String("secret")))
            .ciphertextBlob();

    assertThatThrownBy(() -> env.kmsClient().decrypt(r -> r.ciphertextBlob(blob)))
        .satisfies(EnclaveEnvironmentTest::isAccessDenied);

    assertThat(controls.kmsAuditEvents())
        .extracting(AuditEvent::eventName, AuditEvent::errorCode)
        .endsWith(tuple("Decrypt", "AccessDeniedException"));
  }

  @Test
  void bootedEnclaveSharesTheRootButNotTheModule() {
    SoftwareNsm other =
        controls.bootEnclave(
            controls.profile().toBuilder().instanceId("i-0123456789abcdef0").build());

    assertThat(env.verifier().verify(other.attestation(null, null, null)).root())
        .isEqualTo(env.info().rootCertificate());
    assertThat(other.moduleId()).isNotEqualTo(env.nsm().describeNsm().moduleId());
    assertThat(other.describePcr(4).data()).isNotEqualTo(env.nsm().describePcr(4).data());
  }
}
