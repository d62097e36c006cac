package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * {@code @NitroEnclaveTest} with {@code @Testcontainers}: the environment serves the
 * {@code @Container} enclave, its key policies' {@code ${PCR0}} is the image's, and {@link
 * EnclaveRuntimeInfo} reports the container's CID and measurements.
 */
@RequiresDocker
@NitroEnclaveTest(
    kmsKeys = "kms/probe-secret.json") // before @Testcontainers: its environment must exist first
@Testcontainers
class NitroEnclaveTestWithContainerTest {

  @Container
  static final EnclaveContainer ENCLAVE =
      new EnclaveContainer(ProbeImages.probe())
          .waitingFor(EnclaveWaits.listeningOnVsockPort(ProbeImages.PORT));

  @Test
  void theRuntimeInfoReportsTheContainersCidAndImageMeasurements(EnclaveRuntimeInfo info) {
    assertThat(info.enclaveCid()).hasValue(ENCLAVE.enclaveCid());
    assertThat(ENCLAVE.measurements().source()).isEqualTo(ImageMeasurements.Source.IMAGE);
    assertThat(info.pcr(0)).isEqualTo(ENCLAVE.measurements().pcr0());
    assertThat(info.pcr(1)).isEqualTo(ENCLAVE.measurements().pcr1());
    assertThat(info.pcr(2)).isEqualTo(ENCLAVE.measurements().pcr2());
    assertThat(ENCLAVE.describe())
        .containsPattern("\"EnclaveCID\"\\s*:\\s*" + ENCLAVE.enclaveCid() + "\\b");
  }

  @Test
  void theDeclaredKeyIsPinnedToTheImagesPcr0AndTheEnclaveDecryptsWithIt(
      KmsClient kms, EnclaveRuntimeInfo info) throws Exception {
    String keyId = info.kmsKeyId("probe-secret");
    assertThat(kms.getKeyPolicy(r -> r.keyId(keyId).policyName("default")).policy())
        .contains(ENCLAVE.measurements().hex(0));
    byte[] blob =
        kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("for the container")))
            .ciphertextBlob()
            .asByteArray();
    assertThat(Probe.text(ENCLAVE, "DECRYPT", blob)).isEqualTo("for the container");
  }

  @Test
  void anAttestationFromInsideVerifiesWithTheInjectedVerifier(
      AttestationVerifier verifier, EnclaveRuntimeInfo info) throws Exception {
    byte[] nonce = "junit-nonce".getBytes(StandardCharsets.UTF_8);
    VerifiedAttestation verified = verifier.verify(Probe.call(ENCLAVE, "ATTEST", nonce));
    assertThat(verified.document().nonce()).isEqualTo(nonce);
    assertThat(verified.document().pcr(0)).isEqualTo(info.pcr(0));
  }

  @Test
  void aRunningContainerCannotBeServedByAnotherEnvironment() {
    assertThatThrownBy(ENCLAVE::plan)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("declare @NitroEnclaveTest before @Testcontainers");
  }
}
