package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.CryptoProviders;
import dev.nitroemu.enclave.MutableTestClock;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Documents signed without ACCP ({@link CryptoProviders#jca()}, BouncyCastle's ES384) against the
 * JDK alone ({@link CryptoProviders#jdk()}, SunEC): each verifies under the other, the bytes differ
 * only in the signature, and a signature by another key or over changed bytes is refused.
 */
class BouncyCastleAttestationTest {
  private static final Instant LAUNCH = Instant.parse("2026-03-01T12:00:00Z");
  private static final byte[] NONCE = "nonce".getBytes(StandardCharsets.US_ASCII);
  private static final List<CryptoProviders> BOTH =
      List.of(CryptoProviders.jca(), CryptoProviders.jdk());

  @Test
  void documentsSignedByEitherVerifyUnderEither() {
    for (CryptoProviders signing : BOTH) {
      SoftwareNsm nsm =
          SoftwareNsm.builder().clock(new MutableTestClock(LAUNCH)).crypto(signing).build();
      byte[] document = nsm.attestation(null, NONCE, null);
      for (CryptoProviders verifying : BOTH) {
        assertThat(verifier(nsm, verifying).verify(document).document().nonce())
            .as(signing + " -> " + verifying)
            .isEqualTo(NONCE);
      }
    }
  }

  @Test
  void aSeededModuleReproducesItsDocumentAndOnlyTheSignatureDiffersFromSunEc() throws Exception {
    byte[] byJca = seededNsm(CryptoProviders.jca()).attestation(null, NONCE, null);
    assertThat(seededNsm(CryptoProviders.jca()).attestation(null, NONCE, null)).isEqualTo(byJca);
    byte[] byJdk = seededNsm(CryptoProviders.jdk()).attestation(null, NONCE, null);
    CoseSign1 jca = CoseSign1.decode(byJca);
    CoseSign1 jdk = CoseSign1.decode(byJdk);
    assertThat(jca.payload()).isEqualTo(jdk.payload());
    assertThat(jca.protectedHeader()).isEqualTo(CoseSign1.ES384_PROTECTED);
    assertThat(byJca).hasSameSizeAs(byJdk);
    assertThat(jca.signature()).hasSize(96).isNotEqualTo(jdk.signature());
  }

  @Test
  void aSignatureByAnotherKeyOrOverChangedBytesIsABadSignature() throws Exception {
    SoftwareNsm nsm =
        SoftwareNsm.builder()
            .clock(new MutableTestClock(LAUNCH))
            .crypto(CryptoProviders.jca())
            .build();
    byte[] document = nsm.attestation(null, NONCE, null);
    CoseSign1 cose = CoseSign1.decode(document);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    Signature otherKey = CryptoProviders.jca().signature("SHA384withECDSAinP1363Format");
    otherKey.initSign(generator.generateKeyPair().getPrivate());
    otherKey.update(cose.sigStructure());
    byte[] forged = new CoseSign1(cose.protectedHeader(), cose.payload(), otherKey.sign()).encode();
    byte[] tampered = document.clone();
    tampered[tampered.length - 100] ^= 1; // inside the payload's last field, before the signature
    for (CryptoProviders verifying : BOTH) {
      for (byte[] bad : List.of(forged, tampered)) {
        assertThatThrownBy(() -> verifier(nsm, verifying).verify(bad))
            .as(verifying.name())
            .isInstanceOf(AttestationException.class)
            .hasFieldOrPropertyWithValue("reason", AttestationException.Reason.BAD_SIGNATURE);
      }
    }
  }

  private static AttestationVerifier verifier(SoftwareNsm nsm, CryptoProviders crypto) {
    return AttestationVerifier.builder()
        .trustAnchor(nsm.rootCa().certificate())
        .clock(new MutableTestClock(LAUNCH))
        .crypto(crypto)
        .build();
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
}
