package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The emulator's documents pass the same verifier that accepts real AWS documents. */
class SoftwareNsmVerificationTest {
  private final MutableTestClock clock =
      new MutableTestClock(Instant.parse("2026-11-26T12:00:00Z"));

  @ParameterizedTest
  @EnumSource(PayloadEncoding.class)
  void documentsVerifyAgainstTheEmulatorRootInBothEncodings(PayloadEncoding encoding) {
    try (SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).payloadEncoding(encoding).build()) {
      byte[] nonce = {1, 2, 3};
      byte[] document =
          nsm.attestation("user".getBytes(StandardCharsets.UTF_8), nonce, new byte[] {7});

      VerifiedAttestation verified =
          AttestationVerifier.builder()
              .trustAnchor(nsm.rootCa().certificate())
              .clock(clock)
              .build()
              .verify(document, VerificationOptions.defaults().expectNonce(nonce));

      assertThat(verified.encoding()).isEqualTo(encoding);
      assertThat(verified.document().moduleId()).isEqualTo(nsm.moduleId());
      assertThat(verified.document().pcr(0)).isEqualTo(nsm.describePcr(0).data());
      assertThat(verified.document().pcrs()).hasSize(16);
      assertThat(verified.chain()).hasSize(5);
      assertThat(verified.root()).isEqualTo(nsm.rootCa().certificate());
    }
  }

  @Test
  void lockedUserPcrAppearsInTheVerifiedDocument() {
    try (SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).build()) {
      byte[] value = nsm.extendPcr(16, "config-v1".getBytes(StandardCharsets.UTF_8));
      nsm.lockPcr(16);

      AttestationDocument doc = verifier(nsm).verify(nsm.attestation(null, null, null)).document();

      assertThat(doc.pcrs())
          .containsOnlyKeys(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
      assertThat(doc.pcr(16))
          .isEqualTo(value)
          .isEqualTo(EnclaveProfile.extendFromZero("config-v1".getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void documentsKeepVerifyingAsTheClockMovesForMonths() {
    try (SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).build()) {
      AttestationVerifier verifier = verifier(nsm);
      byte[] first = nsm.attestation(null, null, null);
      verifier.verify(first);
      for (Duration step :
          new Duration[] {
            Duration.ofHours(3), Duration.ofDays(7), Duration.ofDays(30), Duration.ofDays(90)
          }) {
        clock.advance(step);
        byte[] later = nsm.attestation(null, null, null);
        assertThat(verifier.verify(later).document().instant()).isEqualTo(clock.instant());
      }
      // The first document's leaf expired long ago; it still verifies at its own time.
      assertThatThrownBy(() -> verifier.verify(first))
          .isInstanceOf(AttestationException.class)
          .extracting(e -> ((AttestationException) e).reason())
          .isEqualTo(AttestationException.Reason.CERTIFICATE_EXPIRED);
      assertThat(verifier.verify(first, VerificationOptions.defaults().atDocumentTime()))
          .isNotNull();
    }
  }

  @Test
  void pinnedRootSavedAndLoadedSignsDocumentsTheSavedCertificateVerifies(@TempDir Path dir)
      throws Exception {
    EmulatorRootCa.generate(clock).save(dir);
    EmulatorRootCa loaded = EmulatorRootCa.load(dir);
    try (SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).rootCa(loaded).build()) {
      AttestationVerifier verifier =
          AttestationVerifier.builder()
              .trustAnchor(EmulatorRootCa.load(dir).certificate())
              .clock(clock)
              .build();
      assertThat(verifier.verify(nsm.attestation(null, null, null)).root().getEncoded())
          .isEqualTo(loaded.certificateDer());
    }
  }

  @Test
  void documentOfAnotherEmulatorRootIsUntrusted() {
    try (SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).build();
        SoftwareNsm other = SoftwareNsm.builder().clock(clock).build()) {
      assertThatThrownBy(() -> verifier(nsm).verify(other.attestation(null, null, null)))
          .isInstanceOf(AttestationException.class)
          .extracting(e -> ((AttestationException) e).reason())
          .isEqualTo(AttestationException.Reason.UNTRUSTED_CHAIN);
      assertThatThrownBy(
              () ->
                  AttestationVerifier.builder()
                      .trustAwsRoot()
                      .clock(clock)
                      .build()
                      .verify(nsm.attestation(null, null, null)))
          .isInstanceOf(AttestationException.class)
          .extracting(e -> ((AttestationException) e).reason())
          .isEqualTo(AttestationException.Reason.UNTRUSTED_CHAIN);
    }
  }

  @Test
  void rawProcessEntryProducesAVerifiableDocument() {
    try (SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).build()) {
      byte[] request =
          NsmCodec.encodeRequest(new NsmRequest.Attestation(null, new byte[] {9}, null));
      NsmResponse response = NsmCodec.decodeResponse(nsm.process(request));

      assertThat(response).isInstanceOf(NsmResponse.Attestation.class);
      byte[] document = ((NsmResponse.Attestation) response).document();
      assertThat(
              verifier(nsm)
                  .verify(document, VerificationOptions.defaults().expectNonce(new byte[] {9}))
                  .document()
                  .nonce())
          .containsExactly(9);
    }
  }

  private AttestationVerifier verifier(SoftwareNsm nsm) {
    return AttestationVerifier.builder()
        .trustAnchor(nsm.rootCa().certificate())
        .clock(clock)
        .build();
  }
}
