package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * PCR arithmetic against the AWS Nitro Enclaves user guide's published examples and the EIF
 * vectors.
 */
class PcrsTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void pcr3OfTheUserGuidesRoleExample() {
    assertThat(HEX.formatHex(Pcrs.parentRole("arn:aws:iam::123456789012:role/Webserver")))
        .isEqualTo(
            "78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef4fc1f1a452e315b9e98f9e312e6921e6");
  }

  @Test
  void pcr4OfTheUserGuidesInstanceExample() {
    assertThat(HEX.formatHex(Pcrs.parentInstance("i-1234567890abcdef0")))
        .isEqualTo(
            "08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812719327281c401a67a10fcba87ae79ce0");
  }

  @Test
  void pcr8OfTheVectorsTestCertificate() throws Exception {
    X509Certificate certificate;
    try (InputStream in =
        Files.newInputStream(EifFileTest.vectors().resolve("test-signing-cert.pem"))) {
      certificate =
          (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    assertThat(HEX.formatHex(MessageDigest.getInstance("SHA-384").digest(certificate.getEncoded())))
        .isEqualTo(
            "ed9a0a7c3ddfae4cbae2899eb389efadec5c9f4175a88431a94ac3d5a76539a0a110e5a25fa7e29a5fa20f6146d26107");
    assertThat(HEX.formatHex(Pcrs.signingCertificate(certificate)))
        .isEqualTo(
            "448e8af4d78f2614d0481fb545a0cd95252cebcfe5dcbb524a2bd626618556b25c07ade821a7067f03d67d5e4c5a1bcf");
  }

  @Test
  void pcr2OfNoCustomerRamdiskIsTheExtendOfTheEmptyDigest() throws Exception {
    byte[] emptyDigest = MessageDigest.getInstance("SHA-384").digest(new byte[0]);
    assertThat(HEX.formatHex(Pcrs.fromDigest(emptyDigest)))
        .isEqualTo(
            "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a");
  }

  @Test
  void extendIsSha384OfTheOldValueAndTheData() throws Exception {
    byte[] old = Pcrs.extendFromZero(new byte[] {1});
    MessageDigest sha = MessageDigest.getInstance("SHA-384");
    sha.update(old);
    assertThat(Pcrs.extend(old, new byte[] {2})).isEqualTo(sha.digest(new byte[] {2}));
    assertThatThrownBy(() -> Pcrs.extend(new byte[47], new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
