package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationException.Reason;
import dev.nitroemu.enclave.AttestationVerifier;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class CertificateCacheTest {
  private static final byte[] ROOT_DER = ChainValidator.der(AttestationVerifier.awsRoot());

  @Test
  void sameDerIsParsedOnce() {
    CertificateCache cache = new CertificateCache(8);

    X509Certificate first = cache.parse(ROOT_DER, "root");
    X509Certificate second = cache.parse(ROOT_DER.clone(), "root");

    assertThat(second).isSameAs(first);
    assertThat(first.getSubjectX500Principal().getName())
        .isEqualTo("CN=aws.nitro-enclaves,OU=AWS,O=Amazon,C=US");
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void anythingButExactlyOneDerCertificateIsInvalid() {
    CertificateCache cache = new CertificateCache(8);
    byte[] pem =
        ("-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder().encodeToString(ROOT_DER)
                + "\n-----END CERTIFICATE-----\n")
            .getBytes(StandardCharsets.US_ASCII);
    byte[] trailing = Arrays.copyOf(ROOT_DER, ROOT_DER.length + 1);
    byte[] truncated = Arrays.copyOf(ROOT_DER, ROOT_DER.length - 1);

    for (byte[] der : new byte[][] {new byte[0], pem, trailing, truncated, {0x30, 0x00}}) {
      assertThatThrownBy(() -> cache.parse(der, "cabundle[1]"))
          .isInstanceOfSatisfying(
              AttestationException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(Reason.INVALID_CERTIFICATE);
                assertThat(e.getMessage()).startsWith("cabundle[1]");
              });
    }
    assertThat(cache.size()).isZero();
  }
}
