package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * {@code @NitroEnclaveTest(eif = ...)}: the enclave boots with the EIF's own measurements, PCR8
 * included.
 */
@NitroEnclaveTest(
    eif = "../test-vectors/eif/v4-x86_64-2ramdisks-signed.eif",
    kmsKeys = "kms/enclave-secret.json")
class EifBootTest {
  private static final Path IMAGE = Path.of("../test-vectors/eif/v4-x86_64-2ramdisks-signed.eif");

  @Test
  void documentsCarryTheImagesPcrsAndTheKeyPolicyNamesItsPcr0(
      Nsm nsm,
      AttestationVerifier verifier,
      EnclaveRuntimeInfo info,
      KmsClient kms,
      EnclaveKmsClient enclave)
      throws IOException {
    EifFile eif = EifFile.read(IMAGE);
    var document = verifier.verify(nsm.attestation(null, null, null)).document();
    assertThat(document.pcr(0)).isEqualTo(eif.pcr0()).isEqualTo(info.pcr(0));
    assertThat(document.pcr(2)).isEqualTo(eif.pcr2());
    assertThat(document.pcr(8)).isEqualTo(eif.pcr8().orElseThrow());

    SdkBytes blob =
        kms.encrypt(
                r ->
                    r.keyId(info.kmsKeyId("enclave-secret"))
                        .plaintext(SdkBytes.fromUtf8String("s")))
            .ciphertextBlob();
    assertThat(enclave.decrypt(blob.asByteArray())).isEqualTo("s".getBytes());
  }
}
