package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.CryptoProviders;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.VerifiedAttestation;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same attestation documents signed and verified under every provider choice: ACCP (AWS-LC, on
 * this module's runtime class path), {@code jca} (BouncyCastle's ES384) and {@code jdk} (the JDK's
 * SunEC). Skipped where ACCP does not load (not Linux x86_64), with the reason.
 */
class CryptoProvidersAttestationTest {
  private static final Instant LAUNCH = Instant.parse("2026-03-01T12:00:00Z");
  private static final byte[] NONCE = "nonce".getBytes(StandardCharsets.US_ASCII);

  private static CryptoProviders accp;

  @BeforeAll
  static void accpLoads() {
    accp = CryptoProviders.accpIfAvailable().orElse(null);
    assumeTrue(
        accp != null,
        () -> "ACCP does not load here: " + CryptoProviders.accpUnavailableReason().orElse(""));
  }

  @Test
  void autoChoosesAccpAndTheSettingForcesEither() {
    assertThat(CryptoProviders.from(settings(Map.of())).isAccp()).isTrue();
    assertThat(CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "jca"))).isAccp())
        .isFalse();
    assertThat(CryptoProviders.from(settings(Map.of(CryptoProviders.PROPERTY, "ACCP"))).isAccp())
        .isTrue();
    assertThat(accp.description()).startsWith("AmazonCorrettoCryptoProvider ");
    assertThat(SoftwareNsm.builder().crypto(accp).build().crypto().isAccp()).isTrue();
  }

  @Test
  void documentsSignedByEitherProviderVerifyUnderEither() {
    for (CryptoProviders signing : all()) {
      SoftwareNsm nsm =
          SoftwareNsm.builder().clock(new MutableTestClock(LAUNCH)).crypto(signing).build();
      byte[] document = nsm.attestation(null, NONCE, null);
      for (CryptoProviders verifying : all()) {
        AttestationVerifier verifier =
            AttestationVerifier.builder()
                .trustAnchor(nsm.rootCa().certificate())
                .clock(new MutableTestClock(LAUNCH))
                .crypto(verifying)
                .build();
        VerifiedAttestation verified = verifier.verify(document);
        assertThat(verified.document().nonce()).as(signing + " -> " + verifying).isEqualTo(NONCE);
      }
    }
  }

  @Test
  void onlyTheSignatureDiffersAndItIsRawRsThatSunEcAccepts() throws Exception {
    byte[] byJca = seededNsm(CryptoProviders.jca()).attestation(null, NONCE, null);
    SoftwareNsm accpNsm = seededNsm(accp);
    byte[] byAccp = accpNsm.attestation(null, NONCE, null);
    CoseSign1 jcaCose = CoseSign1.decode(byJca);
    CoseSign1 accpCose = CoseSign1.decode(byAccp);

    assertThat(accpCose.payload()).isEqualTo(jcaCose.payload());
    assertThat(accpCose.protectedHeader()).isEqualTo(jcaCose.protectedHeader());
    assertThat(byAccp).hasSameSizeAs(byJca);
    assertThat(accpCose.signature()).hasSize(96).isNotEqualTo(jcaCose.signature());
    Signature sunEc = Signature.getInstance("SHA384withECDSAinP1363Format", "SunEC");
    sunEc.initVerify(
        AttestationVerifier.builder()
            .trustAnchor(accpNsm.rootCa().certificate())
            .clock(new MutableTestClock(LAUNCH))
            .crypto(CryptoProviders.jca())
            .build()
            .verify(byAccp)
            .leaf()
            .getPublicKey());
    sunEc.update(accpCose.sigStructure());
    assertThat(sunEc.verify(accpCose.signature())).isTrue();
  }

  @Test
  void aTamperedDocumentFailsUnderAccpAsUnderJca() {
    SoftwareNsm nsm =
        SoftwareNsm.builder().clock(new MutableTestClock(LAUNCH)).crypto(accp).build();
    byte[] document = nsm.attestation(null, NONCE, null);
    document[document.length - 1] ^= 1;
    for (CryptoProviders verifying : all()) {
      AttestationVerifier verifier =
          AttestationVerifier.builder()
              .trustAnchor(nsm.rootCa().certificate())
              .clock(new MutableTestClock(LAUNCH))
              .crypto(verifying)
              .build();
      assertThatThrownBy(() -> verifier.verify(document))
          .isInstanceOf(AttestationException.class)
          .hasFieldOrPropertyWithValue("reason", AttestationException.Reason.BAD_SIGNATURE);
    }
  }

  private static List<CryptoProviders> all() {
    return List.of(accp, CryptoProviders.jca(), CryptoProviders.jdk());
  }

  private static SoftwareNsm seededNsm(CryptoProviders crypto) throws Exception {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(20260301L);
    MutableTestClock clock = new MutableTestClock(LAUNCH);
    return SoftwareNsm.builder()
        .clock(clock)
        .rootCa(EmulatorRootCa.generate(clock, random))
        .random(random)
        .crypto(crypto)
        .build();
  }

  private static NitroSettings settings(Map<String, String> properties) {
    return NitroSettings.of(properties::get, name -> null);
  }
}
