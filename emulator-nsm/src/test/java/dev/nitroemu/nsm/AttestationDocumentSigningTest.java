package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.enclave.PayloadEncoding;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.Test;

class AttestationDocumentSigningTest {
  private static final Instant LAUNCH = Instant.parse("2026-03-01T12:00:00.123Z");
  private static final HexFormat HEX = HexFormat.of();

  private final MutableTestClock clock = new MutableTestClock(LAUNCH);
  private final SoftwareNsm nsm =
      SoftwareNsm.builder()
          .clock(clock)
          .profile(EnclaveProfile.builder().region("eu-west-1").build())
          .build();

  @Test
  void documentHasTheNsmEnvelopeBytes() {
    byte[] document = nsm.attestation(null, null, null);
    CoseSign1 cose = CoseSign1.decode(document);

    assertThat(HEX.formatHex(document, 0, 8)).isEqualTo("8444a1013822a059");
    assertThat(cose.signature()).hasSize(96);
    assertThat(HEX.formatHex(document, document.length - 98, document.length - 96))
        .isEqualTo("5860");
    assertThat(ByteBuffer.wrap(document, 8, 2).getShort() & 0xFFFF)
        .isEqualTo(cose.payload().length);
  }

  @Test
  void payloadIsIndefiniteByDefaultAndDefiniteOnRequest() {
    byte[] indefinite = CoseSign1.decode(nsm.attestation(null, null, null)).payload();
    SoftwareNsm legacy =
        SoftwareNsm.builder().clock(clock).payloadEncoding(PayloadEncoding.DEFINITE).build();
    byte[] definite = CoseSign1.decode(legacy.attestation(null, null, null)).payload();

    assertThat(indefinite[0] & 0xFF).isEqualTo(0xBF);
    assertThat(indefinite[indefinite.length - 1] & 0xFF).isEqualTo(0xFF);
    assertThat(definite[0] & 0xFF).isEqualTo(0xA9);
    AttestationDocument decoded = AttestationDocument.decodePayload(definite);
    assertThat(decoded.encodePayload(PayloadEncoding.DEFINITE)).isEqualTo(definite);
    assertThat(
            AttestationDocument.decodePayload(indefinite).encodePayload(PayloadEncoding.INDEFINITE))
        .isEqualTo(indefinite);
  }

  @Test
  void payloadStartsWithModuleIdAndSixteenPcrMap() {
    byte[] payload = CoseSign1.decode(nsm.attestation(null, null, null)).payload();
    String expectedStart =
        "bf"
            + "69"
            + hex("module_id")
            + "78"
            + String.format("%02x", nsm.moduleId().length())
            + hex(nsm.moduleId())
            + "66"
            + hex("digest")
            + "66"
            + hex("SHA384")
            + "69"
            + hex("timestamp")
            + "1b"
            + String.format("%016x", LAUNCH.toEpochMilli())
            + "64"
            + hex("pcrs")
            + "b0"
            + "00"
            + "5830";

    assertThat(HEX.formatHex(payload)).startsWith(expectedStart);
  }

  @Test
  void nullFieldsStayNullAndEmptyFieldsStayEmpty() {
    byte[] payload = CoseSign1.decode(nsm.attestation(null, new byte[0], new byte[] {5})).payload();
    AttestationDocument document = AttestationDocument.decodePayload(payload);

    assertThat(HEX.formatHex(payload))
        .endsWith(
            "6a"
                + hex("public_key")
                + "4105"
                + "69"
                + hex("user_data")
                + "f6"
                + "65"
                + hex("nonce")
                + "40"
                + "ff");
    assertThat(document.userData()).isNull();
    assertThat(document.nonce()).isEmpty();
    assertThat(document.publicKey()).containsExactly(5);
  }

  @Test
  void signatureVerifiesOverSigStructureWithLeafKey() throws Exception {
    byte[] document = nsm.attestation("data".getBytes(StandardCharsets.US_ASCII), null, null);
    CoseSign1 cose = CoseSign1.decode(document);
    X509Certificate leaf =
        certificate(AttestationDocument.decodePayload(cose.payload()).certificate());

    assertThat(verify(leaf, sigStructure(cose.payload()), cose.signature())).isTrue();
    byte[] tampered = cose.payload();
    tampered[tampered.length - 2] ^= 1;
    assertThat(verify(leaf, sigStructure(tampered), cose.signature())).isFalse();
  }

  @Test
  void chainLinksLeafThroughThreeIntermediatesToEmulatorRoot() throws Exception {
    AttestationDocument document = decode(nsm.attestation(null, null, null));
    List<X509Certificate> bundle = certificates(document.cabundle());
    X509Certificate leaf = certificate(document.certificate());

    assertThat(document.cabundle()).hasSize(4);
    assertThat(document.cabundle().get(0)).isEqualTo(nsm.rootCa().certificateDer());
    bundle.get(0).verify(bundle.get(0).getPublicKey());
    for (int i = 1; i < 4; i++) {
      bundle.get(i).verify(bundle.get(i - 1).getPublicKey());
      assertThat(bundle.get(i).getIssuerX500Principal())
          .isEqualTo(bundle.get(i - 1).getSubjectX500Principal());
      assertThat(authorityKeyId(bundle.get(i))).isEqualTo(subjectKeyId(bundle.get(i - 1)));
    }
    leaf.verify(bundle.get(3).getPublicKey());
    assertPkixValid(document);
  }

  @Test
  void intermediatesHaveAwsProfiles() throws Exception {
    List<X509Certificate> bundle =
        certificates(decode(nsm.attestation(null, null, null)).cabundle());
    X509Certificate regional = bundle.get(1);
    X509Certificate zonal = bundle.get(2);
    X509Certificate instance = bundle.get(3);

    assertThat(
            List.of(
                regional.getBasicConstraints(),
                zonal.getBasicConstraints(),
                instance.getBasicConstraints()))
        .containsExactly(2, 1, 0);
    assertThat(extensionOrder(regional))
        .containsExactly("2.5.29.19", "2.5.29.35", "2.5.29.14", "2.5.29.15");
    assertThat(extensionOrder(zonal))
        .containsExactly("2.5.29.19", "2.5.29.35", "2.5.29.14", "2.5.29.15");
    assertThat(extensionOrder(instance))
        .containsExactly("2.5.29.19", "2.5.29.15", "2.5.29.14", "2.5.29.35");
    for (X509Certificate ca : bundle.subList(1, 4)) {
      assertThat(ca.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
      assertThat(ca.getSigAlgOID()).isEqualTo("1.2.840.10045.4.3.3");
    }
    assertThat(HEX.formatHex(extension(regional, "2.5.29.15"))).isEqualTo("03020186");
    assertThat(HEX.formatHex(extension(instance, "2.5.29.15"))).isEqualTo("03020204");
    assertThat(instance.getSerialNumber().bitLength()).isBetween(153, 160);
    assertThat(
            Duration.between(
                instance.getNotBefore().toInstant(), instance.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofDays(1));

    assertName(
        regional,
        "C=US",
        "O=Amazon",
        "OU=AWS",
        "CN=[0-9a-f]{16}\\.eu-west-1\\.aws\\.nitro-enclaves");
    assertName(
        zonal,
        "CN=[0-9a-f]{16}\\.zonal\\.eu-west-1\\.aws\\.nitro-enclaves",
        "OU=AWS",
        "O=Amazon",
        "C=US",
        "ST=WA",
        "L=Seattle");
    assertName(
        instance,
        "C=US",
        "ST=Washington",
        "L=Seattle",
        "O=Amazon",
        "OU=AWS",
        "CN=" + EnclaveProfile.DEFAULT_INSTANCE_ID + "\\.eu-west-1\\.aws\\.nitro-enclaves");
  }

  @Test
  void leafHasOnlyTheTwoExtensionsOfARealLeaf() throws Exception {
    X509Certificate leaf = certificate(decode(nsm.attestation(null, null, null)).certificate());

    assertThat(extensionOrder(leaf)).containsExactly("2.5.29.19", "2.5.29.15");
    assertThat(leaf.getCriticalExtensionOIDs()).containsExactly("2.5.29.19");
    assertThat(HEX.formatHex(extension(leaf, "2.5.29.19"))).isEqualTo("3000");
    assertThat(HEX.formatHex(extension(leaf, "2.5.29.15"))).isEqualTo("030206c0");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertName(
        leaf,
        "C=US",
        "ST=Washington",
        "L=Seattle",
        "O=Amazon",
        "OU=AWS",
        "CN=" + nsm.moduleId().replace(".", "\\.") + "\\.eu-west-1\\.aws");
  }

  @Test
  void leafSerialAndValidityFollowTheRealLayout() throws Exception {
    clock.advance(Duration.ofMillis(4_500));
    AttestationDocument document = decode(nsm.attestation(null, null, null));
    X509Certificate leaf = certificate(document.certificate());
    Instant created = Instant.ofEpochSecond(document.timestamp() / 1000);
    String enclaveId = nsm.moduleId().substring(nsm.moduleId().length() - 16);

    assertThat(HEX.formatHex(unsigned16(leaf)))
        .isEqualTo(enclaveId + "00000000" + String.format("%08x", created.getEpochSecond()));
    assertThat(leaf.getNotBefore().toInstant()).isEqualTo(created.minusSeconds(3));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(created.plus(Duration.ofHours(3)));
  }

  @Test
  void leafIsReusedThenRotatedAfterThreeHours() throws Exception {
    AttestationDocument first = decode(nsm.attestation(null, null, null));
    clock.advance(Duration.ofMinutes(42));
    AttestationDocument second = decode(nsm.attestation(null, null, null));
    clock.advance(Duration.ofHours(3));
    AttestationDocument third = decode(nsm.attestation(null, null, null));

    assertThat(second.certificate()).isEqualTo(first.certificate());
    assertThat(third.certificate()).isNotEqualTo(first.certificate());
    X509Certificate rotated = certificate(third.certificate());
    assertThat(rotated.getPublicKey())
        .isNotEqualTo(certificate(first.certificate()).getPublicKey());
    assertThat(rotated.getNotBefore().toInstant())
        .isEqualTo(third.instant().minusMillis(third.timestamp() % 1000).minusSeconds(3));
    assertPkixValid(second);
    assertPkixValid(third);
  }

  @Test
  void leafIsRenewedBeforeItsLastHalfHour() {
    AttestationDocument first = decode(nsm.attestation(null, null, null));
    clock.advance(Duration.ofHours(2).plusMinutes(29));
    AttestationDocument reused = decode(nsm.attestation(null, null, null));
    clock.advance(Duration.ofMinutes(2));
    AttestationDocument renewed = decode(nsm.attestation(null, null, null));

    assertThat(reused.certificate()).isEqualTo(first.certificate());
    assertThat(renewed.certificate()).isNotEqualTo(first.certificate());
  }

  @Test
  void movingTheClockByDaysReissuesIntermediatesAsNeeded() throws Exception {
    AttestationDocument first = decode(nsm.attestation(null, null, null));
    clock.advance(Duration.ofDays(7));
    AttestationDocument week = decode(nsm.attestation(null, null, null));
    clock.advance(Duration.ofDays(30));
    AttestationDocument month = decode(nsm.attestation(null, null, null));

    assertThat(week.cabundle().get(1)).isEqualTo(first.cabundle().get(1));
    assertThat(week.cabundle().get(2)).isNotEqualTo(first.cabundle().get(2));
    assertThat(week.cabundle().get(3)).isNotEqualTo(first.cabundle().get(3));
    assertThat(month.cabundle().get(1)).isNotEqualTo(first.cabundle().get(1));
    assertThat(month.cabundle().get(0)).isEqualTo(first.cabundle().get(0));
    for (AttestationDocument document : List.of(first, week, month)) {
      assertPkixValid(document);
    }
  }

  @Test
  void movingTheClockBackStillGivesValidChains() throws Exception {
    clock.advance(Duration.ofDays(3));
    decode(nsm.attestation(null, null, null));
    clock.set(LAUNCH.plusSeconds(60));

    assertPkixValid(decode(nsm.attestation(null, null, null)));
  }

  @Test
  void everyValidityWindowContainsTheDocumentTime() throws Exception {
    AttestationDocument document = decode(nsm.attestation(null, null, null));
    Date at = new Date(document.timestamp());

    certificate(document.certificate()).checkValidity(at);
    for (X509Certificate ca : certificates(document.cabundle())) {
      ca.checkValidity(at);
    }
  }

  private static void assertPkixValid(AttestationDocument document) throws Exception {
    List<X509Certificate> bundle = certificates(document.cabundle());
    List<X509Certificate> path = new ArrayList<>();
    path.add(certificate(document.certificate()));
    for (int i = bundle.size() - 1; i >= 1; i--) {
      path.add(bundle.get(i));
    }
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    CertPath certPath = factory.generateCertPath(path);
    PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(bundle.get(0), null)));
    parameters.setRevocationEnabled(false);
    parameters.setDate(new Date(document.timestamp()));
    CertPathValidator.getInstance("PKIX").validate(certPath, parameters);
  }

  private static byte[] sigStructure(byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(HEX.parseHex("846a" + hex("Signature1") + "44a1013822" + "40" + "59"));
    out.write(payload.length >> 8);
    out.write(payload.length & 0xFF);
    out.writeBytes(payload);
    return out.toByteArray();
  }

  private static boolean verify(X509Certificate leaf, byte[] signed, byte[] signature)
      throws Exception {
    Signature verifier = Signature.getInstance("SHA384withECDSAinP1363Format");
    verifier.initVerify(leaf.getPublicKey());
    verifier.update(signed);
    return verifier.verify(signature);
  }

  private static void assertName(X509Certificate certificate, String... expected) {
    RDN[] rdns = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()).getRDNs();
    assertThat(rdns).hasSize(expected.length);
    for (int i = 0; i < rdns.length; i++) {
      String type = BCStyle.INSTANCE.oidToDisplayName(rdns[i].getFirst().getType());
      String value = rdns[i].getFirst().getValue().toString();
      assertThat(type + "=" + value).matches(expected[i]);
      Class<?> stringType =
          BCStyle.C.equals(rdns[i].getFirst().getType())
              ? DERPrintableString.class
              : DERUTF8String.class;
      assertThat(rdns[i].getFirst().getValue()).as(expected[i]).isInstanceOf(stringType);
    }
  }

  private static List<String> extensionOrder(X509Certificate certificate) {
    return Arrays.stream(
            org.bouncycastle.asn1.x509.Certificate.getInstance(encoded(certificate))
                .getTBSCertificate()
                .getExtensions()
                .getExtensionOIDs())
        .map(Object::toString)
        .toList();
  }

  private static byte[] extension(X509Certificate certificate, String oid) {
    return ASN1OctetString.getInstance(certificate.getExtensionValue(oid)).getOctets();
  }

  private static byte[] subjectKeyId(X509Certificate certificate) {
    return SubjectKeyIdentifier.getInstance(extension(certificate, "2.5.29.14")).getKeyIdentifier();
  }

  private static byte[] authorityKeyId(X509Certificate certificate) {
    return AuthorityKeyIdentifier.getInstance(extension(certificate, "2.5.29.35"))
        .getKeyIdentifierObject()
        .getOctets();
  }

  private static byte[] unsigned16(X509Certificate certificate) {
    byte[] serial = certificate.getSerialNumber().toByteArray();
    byte[] out = new byte[16];
    int copy = Math.min(16, serial.length);
    System.arraycopy(serial, serial.length - copy, out, 16 - copy, copy);
    return out;
  }

  private static AttestationDocument decode(byte[] document) {
    return AttestationDocument.decodePayload(CoseSign1.decode(document).payload());
  }

  private static X509Certificate certificate(byte[] der) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private static List<X509Certificate> certificates(List<byte[]> ders) throws Exception {
    List<X509Certificate> out = new ArrayList<>();
    for (byte[] der : ders) {
      out.add(certificate(der));
    }
    return out;
  }

  private static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(String text) {
    return HEX.formatHex(text.getBytes(StandardCharsets.US_ASCII));
  }
}
