package dev.nitroemu.nsm.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.junit.jupiter.api.Test;

class AttestationPkiTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00.500Z");
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long ENCLAVE_ID = ModuleIds.enclaveId(NOW.toEpochMilli(), RANDOM);

  @Test
  void nothingIsReissuedWhileTheLeafHasTimeLeft() {
    AttestationPki pki =
        pki(rootValid(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(365))));

    AttestationPki.Credentials first = pki.credentialsAt(NOW);
    AttestationPki.Credentials later = pki.credentialsAt(NOW.plus(Duration.ofHours(2)));

    assertThat(later.leaf()).isEqualTo(first.leaf());
    assertThat(later.signingKey()).isSameAs(first.signingKey());
    assertThat(later.cabundle()).isEqualTo(first.cabundle());
  }

  @Test
  void intermediatesNeverOutliveTheirIssuer() {
    Instant rootEnd = NOW.plus(Duration.ofDays(2));
    AttestationPki pki = pki(rootValid(NOW.minus(Duration.ofDays(1)), rootEnd));

    AttestationPki.Credentials credentials = pki.credentialsAt(NOW);

    assertThat(credentials.leaf().getNotAfter().toInstant()).isBefore(rootEnd);
    assertThat(credentials.leaf().getSerialNumber())
        .isEqualTo(new BigInteger(1, ModuleIds.leafSerial(ENCLAVE_ID, NOW)));
  }

  @Test
  void rootThatDoesNotCoverTheLeafIsAnInternalError() {
    AttestationPki expiring =
        pki(rootValid(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofHours(1))));
    AttestationPki future =
        pki(rootValid(NOW.plus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30))));

    assertThatThrownBy(() -> expiring.credentialsAt(NOW))
        .isInstanceOfSatisfying(
            NsmException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR))
        .hasMessageContaining("root");
    assertThatThrownBy(() -> future.credentialsAt(NOW)).isInstanceOf(NsmException.class);
  }

  private static AttestationPki pki(Issuer root) {
    return new AttestationPki(
        root.certificate,
        root.keys.getPrivate(),
        "us-west-2",
        "i-1234567890abcdef0",
        ENCLAVE_ID,
        ModuleIds.moduleId("i-1234567890abcdef0", ENCLAVE_ID),
        RANDOM);
  }

  private record Issuer(X509Certificate certificate, KeyPair keys) {}

  private static Issuer rootValid(Instant from, Instant until) {
    KeyPair keys = Certificates.newP384KeyPair(RANDOM);
    X500Name name = Certificates.name(Certificates.rdn(BCStyle.CN, "test root"));
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.ONE,
            Certificates.time(from),
            Certificates.time(until),
            name,
            keys.getPublic());
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    } catch (org.bouncycastle.cert.CertIOException e) {
      throw new IllegalStateException(e);
    }
    return new Issuer(Certificates.sign(builder, keys.getPrivate(), RANDOM), keys);
  }
}
