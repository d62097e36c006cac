package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmulatorRootCaTest {
  private static final Instant NOW = Instant.parse("2026-03-01T12:00:00.250Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  @Test
  void generatedRootIsSelfSignedP384Ca() throws Exception {
    X509Certificate root = EmulatorRootCa.generate(CLOCK).certificate();

    root.verify(root.getPublicKey());
    assertThat(root.getSubjectX500Principal()).isEqualTo(root.getIssuerX500Principal());
    assertThat(root.getSigAlgOID()).isEqualTo("1.2.840.10045.4.3.3");
    assertThat(((ECPublicKey) root.getPublicKey()).getParams().getCurve().getField().getFieldSize())
        .isEqualTo(384);
    assertThat(root.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
    assertThat(root.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
    assertThat(root.getNonCriticalExtensionOIDs()).containsExactly("2.5.29.14");
    boolean[] keyUsage = root.getKeyUsage();
    assertThat(keyUsage[0]).as("digitalSignature").isTrue();
    assertThat(keyUsage[5]).as("keyCertSign").isTrue();
    assertThat(keyUsage[6]).as("cRLSign").isTrue();
    assertThat(keyUsage[1] || keyUsage[2] || keyUsage[3] || keyUsage[4]).isFalse();
  }

  @Test
  void subjectIsTheEmulatorsOwnWithAwsStringTypes() throws Exception {
    X509Certificate root = EmulatorRootCa.generate(CLOCK).certificate();
    X500Name subject = X500Name.getInstance(root.getSubjectX500Principal().getEncoded());
    RDN[] rdns = subject.getRDNs();

    assertThat(rdns)
        .extracting(r -> r.getFirst().getType())
        .containsExactly(BCStyle.C, BCStyle.O, BCStyle.OU, BCStyle.CN);
    assertThat(rdns[0].getFirst().getValue()).isInstanceOf(DERPrintableString.class);
    for (int i = 1; i < rdns.length; i++) {
      assertThat(rdns[i].getFirst().getValue()).isInstanceOf(DERUTF8String.class);
    }
    assertThat(root.getSubjectX500Principal().getName())
        .isEqualTo("CN=emulator.nitro-enclaves,OU=Emulator,O=nitro-emu,C=US");
    assertThat(root.getSubjectX500Principal().getName()).doesNotContain("Amazon");
  }

  @Test
  void rootIsValidForThirtyYearsAroundTheClock() {
    X509Certificate root = EmulatorRootCa.generate(CLOCK).certificate();
    Instant notBefore = root.getNotBefore().toInstant();
    Instant notAfter = root.getNotAfter().toInstant();

    assertThat(notBefore).isBefore(NOW);
    assertThat(notAfter).isEqualTo(notBefore.atOffset(ZoneOffset.UTC).plusYears(30).toInstant());
  }

  @Test
  void subjectKeyIdentifierIsSha1OfPublicKeyBits() throws Exception {
    X509Certificate root = EmulatorRootCa.generate(CLOCK).certificate();
    byte[] extension = ASN1OctetString.getInstance(root.getExtensionValue("2.5.29.14")).getOctets();
    byte[] keyBits =
        SubjectPublicKeyInfo.getInstance(root.getPublicKey().getEncoded())
            .getPublicKeyData()
            .getBytes();

    assertThat(SubjectKeyIdentifier.getInstance(extension).getKeyIdentifier())
        .isEqualTo(MessageDigest.getInstance("SHA-1").digest(keyBits));
  }

  @Test
  void derPemAndFingerprintDescribeTheSameCertificate() throws Exception {
    EmulatorRootCa root = EmulatorRootCa.generate(CLOCK);
    X509Certificate fromPem =
        (X509Certificate)
            CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(root.certificatePem().getBytes()));

    assertThat(root.certificatePem())
        .startsWith("-----BEGIN CERTIFICATE-----\n")
        .endsWith("-----END CERTIFICATE-----\n");
    assertThat(fromPem.getEncoded())
        .isEqualTo(root.certificateDer())
        .isEqualTo(root.certificate().getEncoded());
    assertThat(root.fingerprintSha256())
        .isEqualTo(MessageDigest.getInstance("SHA-256").digest(root.certificateDer()));
  }

  @Test
  void eachGenerationMakesANewKey() {
    assertThat(EmulatorRootCa.generate(CLOCK).certificate().getPublicKey())
        .isNotEqualTo(EmulatorRootCa.generate(CLOCK).certificate().getPublicKey());
  }

  @Test
  void savedRootLoadsBackWithWorkingKey(@TempDir Path dir) throws Exception {
    EmulatorRootCa original = EmulatorRootCa.generate(CLOCK);
    original.save(dir);

    EmulatorRootCa loaded = EmulatorRootCa.load(dir);

    assertThat(loaded.certificateDer()).isEqualTo(original.certificateDer());
    assertThat(Files.readString(dir.resolve("root.pem"))).isEqualTo(original.certificatePem());
    assertThat(Files.readString(dir.resolve("root-key.pem")))
        .startsWith("-----BEGIN PRIVATE KEY-----\n");
    assertThat(loaded.privateKey().getEncoded()).isEqualTo(original.privateKey().getEncoded());
  }

  @Test
  void keyFileIsReadableByOwnerOnly(@TempDir Path dir) throws Exception {
    assumeTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file system");
    EmulatorRootCa.generate(CLOCK).save(dir);

    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve("root-key.pem"))))
        .isEqualTo("rw-------");
    assertThat(
            PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("root.pem"))))
        .isEqualTo("rw-r--r--");
  }

  @Test
  void saveRefusesToWriteTheKeyThroughAPlantedLink(@TempDir Path dir) throws Exception {
    assumeTrue(
        dir.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX file system");
    Path victim = Files.writeString(dir.resolve("victim.txt"), "not a key");
    Path caDir = Files.createDirectory(dir.resolve("ca"));
    Files.createSymbolicLink(caDir.resolve(EmulatorRootCa.KEY_FILE), victim);

    assertThatThrownBy(() -> EmulatorRootCa.generate(CLOCK).save(caDir))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("symbolic link");
    assertThat(Files.readString(victim)).isEqualTo("not a key");
  }

  @Test
  void loadingWithAnotherRootsKeyFailsClearly(@TempDir Path dir) throws Exception {
    EmulatorRootCa.generate(CLOCK).save(dir.resolve("a"));
    EmulatorRootCa.generate(CLOCK).save(dir.resolve("b"));
    Files.copy(
        dir.resolve("b/root-key.pem"),
        dir.resolve("a/root-key.pem"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> EmulatorRootCa.load(dir.resolve("a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("root-key.pem does not match");
  }

  @Test
  void loadingGarbageFailsNamingTheFile(@TempDir Path dir) throws Exception {
    EmulatorRootCa.generate(CLOCK).save(dir);
    Files.writeString(
        dir.resolve("root-key.pem"),
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

    assertThatThrownBy(() -> EmulatorRootCa.load(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("root-key.pem");
  }

  @Test
  void loadingFromEmptyDirectoryIsAnIoFailure(@TempDir Path dir) {
    assertThatThrownBy(() -> EmulatorRootCa.load(dir)).isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void loadOrCreateCreatesOnceThenLoads(@TempDir Path dir) {
    EmulatorRootCa created = EmulatorRootCa.loadOrCreate(dir.resolve("pki"), CLOCK);
    EmulatorRootCa loaded = EmulatorRootCa.loadOrCreate(dir.resolve("pki"), CLOCK);

    assertThat(loaded.certificateDer()).isEqualTo(created.certificateDer());
  }

  @Test
  void loadOrCreateRefusesHalfARoot(@TempDir Path dir) throws Exception {
    EmulatorRootCa.generate(CLOCK).save(dir);
    Files.delete(dir.resolve("root-key.pem"));

    assertThatThrownBy(() -> EmulatorRootCa.loadOrCreate(dir, CLOCK))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("root-key.pem");
    assertThat(dir.resolve("root-key.pem")).doesNotExist();
  }
}
