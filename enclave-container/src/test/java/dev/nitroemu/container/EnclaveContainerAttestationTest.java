package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.model.EncryptRequest;

/**
 * The NSM and KMS from inside a real container: attestation verified in the parent, Recipient
 * decrypts, PCR0 pinning.
 */
@RequiresDocker
class EnclaveContainerAttestationTest {

  private static final String POLICY =
      """
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${ACCOUNT_ID}:root"},
         "Action": ["kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"], "Resource": "*"},
        {"Sid": "DecryptInTheEnclave", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${ACCOUNT_ID}:root"},
         "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "PINNED"}}}]}
      """;

  private static EnclaveContainer enclave;

  @BeforeAll
  static void start() {
    enclave =
        new EnclaveContainer(ProbeImages.probe())
            .withEnvironment(
                EnclaveEnvironment.builder().kmsKey("secret", POLICY.replace("PINNED", "${PCR0}")))
            .waitingFor(EnclaveWaits.consoleLine(".*probe enclave listening on vsock port 5000.*"));
    enclave.start();
  }

  @AfterAll
  static void stop() {
    if (enclave != null) {
      enclave.stop();
    }
  }

  @Test
  void anAttestationWithANonceFromInsideVerifiesInTheParentAgainstTheEmulatorRoot()
      throws Exception {
    byte[] nonce = "nonce-from-the-parent-4711".getBytes(StandardCharsets.UTF_8);
    byte[] document = Probe.call(enclave, "ATTEST", nonce);
    VerifiedAttestation verified = enclave.environment().verifier().verify(document);
    AttestationDocument attested = verified.document();
    assertThat(attested.nonce()).isEqualTo(nonce);
    assertThat(verified.root()).isEqualTo(enclave.environment().info().rootCertificate());
    assertThat(attested.pcr(0)).isEqualTo(enclave.measurements().pcr0());
    assertThat(attested.pcr(1)).isEqualTo(enclave.measurements().pcr1());
    assertThat(attested.pcr(2)).isEqualTo(enclave.measurements().pcr2());
    assertThat(enclave.measurements().source()).isEqualTo(ImageMeasurements.Source.IMAGE);
  }

  @Test
  void anEifReplacesTheImageMeasurementsWithNitroClisPcrsIncludingPcr8() throws Exception {
    Path eifFile =
        Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"), "eif")
            .resolve("v4-x86_64-2ramdisks-signed.eif");
    EifFile eif = EifFile.read(eifFile);
    EnclaveContainer fromEif =
        new EnclaveContainer(ProbeImages.probe())
            .withEif(eifFile)
            .withEnvironment(EnclaveEnvironment.builder())
            .waitingFor(EnclaveWaits.listeningOnVsockPort(ProbeImages.PORT));
    try {
      fromEif.start();
      byte[] nonce = "eif-nonce".getBytes(StandardCharsets.UTF_8);
      VerifiedAttestation verified =
          fromEif.environment().verifier().verify(Probe.call(fromEif, "ATTEST", nonce));
      AttestationDocument attested = verified.document();
      assertThat(attested.nonce()).isEqualTo(nonce);
      assertThat(attested.pcr(0)).isEqualTo(eif.pcr0()).isNotEqualTo(enclave.measurements().pcr0());
      assertThat(attested.pcr(1)).isEqualTo(eif.pcr1());
      assertThat(attested.pcr(2)).isEqualTo(eif.pcr2());
      assertThat(attested.pcr(8)).isEqualTo(eif.pcr8().orElseThrow());
      assertThat(fromEif.measurements().pcr0()).isEqualTo(eif.pcr0());
      assertThat(fromEif.describe())
          .contains("\"MemoryMiB\": " + eif.defaultMemoryMib())
          .contains("\"NumberOfCPUs\": " + eif.defaultCpus());
    } finally {
      fromEif.stop();
    }
  }

  @Test
  void aKmsRecipientDecryptThroughTheVsockProxyReturnsTheSecret() throws Exception {
    EnclaveEnvironment environment = enclave.environment();
    byte[] ciphertext =
        environment
            .kmsClient()
            .encrypt(
                EncryptRequest.builder()
                    .keyId(environment.info().kmsKeyId("secret"))
                    .plaintext(SdkBytes.fromUtf8String("the enclave's secret"))
                    .build())
            .ciphertextBlob()
            .asByteArray();
    assertThat(Probe.text(enclave, "DECRYPT", ciphertext)).isEqualTo("the enclave's secret");
  }

  @Test
  void aRebuiltImageWithOneChangedFileIsDeniedByAPolicyPinnedToTheOriginalPcr0() throws Exception {
    String pinned = enclave.measurements().hex(0);
    EnclaveContainer changed =
        new EnclaveContainer(ProbeImages.probeWith("/etc/probe.conf", "variant=b\n"))
            .withEnvironment(
                EnclaveEnvironment.builder().kmsKey("secret", POLICY.replace("PINNED", pinned)))
            .waitingFor(EnclaveWaits.listeningOnVsockPort(ProbeImages.PORT));
    try {
      changed.start();
      assertThat(changed.measurements().hex(0)).isNotEqualTo(pinned);
      EnclaveEnvironment environment = changed.environment();
      byte[] ciphertext =
          environment
              .kmsClient()
              .encrypt(
                  EncryptRequest.builder()
                      .keyId(environment.info().kmsKeyId("secret"))
                      .plaintext(SdkBytes.fromUtf8String("not for this image"))
                      .build())
              .ciphertextBlob()
              .asByteArray();
      assertThat(Probe.text(changed, "DECRYPT", ciphertext))
          .startsWith("ERROR")
          .contains("not authorized to perform: kms:Decrypt")
          .doesNotContain("not for this image");
    } finally {
      changed.stop();
    }
  }
}
