package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.junit.NitroEnclaveExtension;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.testcontainers.DockerClientFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The builder form: {@code NitroEnclaveExtension.builder().enclave(container)} starts and stops the
 * container itself.
 */
@RequiresDocker
class NitroEnclaveExtensionBuilderWithContainerTest {

  // Static fields are read when JUnit registers the extension, before @RequiresDocker is evaluated.
  private static final boolean DOCKER = DockerClientFactory.instance().isDockerAvailable();

  static final EnclaveContainer ENCLAVE =
      DOCKER
          ? new EnclaveContainer(ProbeImages.probe())
              .withEnclaveCid(77)
              .waitingFor(EnclaveWaits.listeningOnVsockPort(ProbeImages.PORT))
          : null;

  @RegisterExtension
  static final NitroEnclaveExtension NITRO =
      DOCKER
          ? NitroEnclaveExtension.builder()
              .kmsKeys("kms/probe-secret.json")
              .enclave(ENCLAVE)
              .build()
          : NitroEnclaveExtension.builder().build();

  @Test
  void theExtensionStartsTheContainerWithItsEnvironmentAndTheKeyOfItsImage(
      KmsClient kms, EnclaveRuntimeInfo info) throws Exception {
    assertThat(ENCLAVE.isRunning()).isTrue();
    assertThat(info.enclaveCid()).hasValue(77);
    assertThat(ENCLAVE.enclaveCid()).isEqualTo(77);
    assertThat(info.pcr(0)).isEqualTo(ENCLAVE.measurements().pcr0());
    byte[] blob =
        kms.encrypt(
                r ->
                    r.keyId(info.kmsKeyId("probe-secret"))
                        .plaintext(SdkBytes.fromUtf8String("built")))
            .ciphertextBlob()
            .asByteArray();
    assertThat(Probe.text(ENCLAVE, "DECRYPT", blob)).isEqualTo("built");
  }
}
