package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EifException;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.EifWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Booting the software NSM from an EIF: its documents carry the image's PCRs and verify. */
class EnclaveProfileFromEifTest {
  private static final Path EIF =
      Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"), "eif");

  @TempDir Path temp;

  @Test
  void aSignedAwsBuiltImageBootsWithItsPcr0To2And8() throws Exception {
    EifFile eif = EifFile.read(EIF.resolve("v4-x86_64-2ramdisks-signed.eif"));
    try (SoftwareNsm nsm =
        SoftwareNsm.builder()
            .profile(EnclaveProfile.fromEif(EIF.resolve("v4-x86_64-2ramdisks-signed.eif")))
            .build()) {
      AttestationDocument document =
          AttestationVerifier.forRoot(nsm.rootCa().certificate())
              .verify(nsm.attestation(null, new byte[] {1}, null))
              .document();
      assertThat(document.pcr(0)).isEqualTo(eif.pcr0());
      assertThat(document.pcr(1)).isEqualTo(eif.pcr1());
      assertThat(document.pcr(2)).isEqualTo(eif.pcr2());
      assertThat(document.pcr(8)).isEqualTo(eif.pcr8().orElseThrow());
    }
  }

  @Test
  void buildDescribeBootAttestRoundTrip() throws Exception {
    Files.write(temp.resolve("kernel"), new byte[] {1, 2, 3});
    Files.write(temp.resolve("boot"), new byte[] {4});
    Files.write(temp.resolve("app"), new byte[] {5, 6});
    Path image = temp.resolve("app.eif");
    EifFile built =
        EifWriter.builder()
            .kernel(temp.resolve("kernel"))
            .cmdline("console=ttyS0")
            .ramdisk(temp.resolve("boot"))
            .ramdisk(temp.resolve("app"))
            .buildTime("2025-01-01T00:00:00+00:00")
            .build()
            .write(image);

    EnclaveProfile profile = EnclaveProfile.fromEif(image);
    try (SoftwareNsm nsm = SoftwareNsm.builder().profile(profile).build()) {
      AttestationDocument document =
          AttestationVerifier.forRoot(nsm.rootCa().certificate())
              .verify(nsm.attestation(null, null, null))
              .document();
      assertThat(document.pcr(0)).isEqualTo(built.pcr0());
      assertThat(document.pcr(2)).isEqualTo(built.pcr2());
      assertThat(document.pcr(8)).isEqualTo(new byte[48]);
    }
    try (SoftwareNsm debug =
        SoftwareNsm.builder().profile(profile.toBuilder().debug(true).build()).build()) {
      assertThat(debug.describePcr(0).data()).isEqualTo(new byte[48]);
    }
  }

  @Test
  void aCorruptedImageIsRefused() {
    assertThatThrownBy(
            () -> EnclaveProfile.fromEif(EIF.resolve("v7-x86_64-2ramdisks-corrupted.eif")))
        .isInstanceOf(EifException.class)
        .hasMessageStartingWith("bad CRC");
  }
}
