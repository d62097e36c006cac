package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.TestPki.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationException.Reason;
import dev.nitroemu.enclave.TestPki.Chain;
import dev.nitroemu.enclave.TestPki.Issued;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The verifier against emulator-style chains built in the test, and its API around the AWS root.
 */
class AttestationVerifierTest {
  private static final Chain CHAIN = TestPki.chain();
  private static final Clock AT_T0 = Clock.fixed(T0, ZoneOffset.UTC);

  private static AttestationVerifier verifier() {
    return AttestationVerifier.builder()
        .trustAnchor(CHAIN.root().certificate())
        .clock(AT_T0)
        .build();
  }

  @Test
  void emulatorDocumentVerifiesAgainstItsRoot() {
    byte[] document = CHAIN.document().userData(new byte[] {1, 2, 3}).build();

    VerifiedAttestation verified = verifier().verify(document);

    assertThat(verified.document())
        .isEqualTo(CHAIN.document().userData(new byte[] {1, 2, 3}).payload());
    assertThat(verified.chain())
        .containsExactly(
            CHAIN.leaf().certificate(),
            CHAIN.intermediate().certificate(),
            CHAIN.root().certificate());
    assertThat(verified.root()).isEqualTo(CHAIN.root().certificate());
    assertThat(verified.leaf()).isEqualTo(CHAIN.leaf().certificate());
    assertThat(verified.encoding()).isEqualTo(PayloadEncoding.INDEFINITE);
    assertThat(verified.verifiedAt()).isEqualTo(T0);
  }

  @Test
  void definiteAndIndefinitePayloadsBothVerify() {
    byte[] definite = CHAIN.document().encoding(PayloadEncoding.DEFINITE).build();

    assertThat(verifier().verify(definite).encoding()).isEqualTo(PayloadEncoding.DEFINITE);
  }

  @Test
  void verificationTimeComesFromTheClockUnlessGiven() {
    AttestationVerifier later =
        AttestationVerifier.builder()
            .trustAnchor(CHAIN.root().certificate())
            .clock(Clock.fixed(T0.plus(Duration.ofHours(4)), ZoneOffset.UTC))
            .build();
    byte[] document = CHAIN.document().build();

    assertReason(later, document, VerificationOptions.defaults(), Reason.CERTIFICATE_EXPIRED);
    assertThat(later.verify(document, VerificationOptions.defaults().at(T0)).verifiedAt())
        .isEqualTo(T0);
    assertThat(later.verify(document, VerificationOptions.defaults().atDocumentTime()).verifiedAt())
        .isEqualTo(T0);
  }

  @Test
  void oneCodePathTrustsTheAwsRootAndAnEmulatorRootTogether() {
    AttestationVerifier both =
        AttestationVerifier.builder()
            .trustAwsRoot()
            .trustAnchor(CHAIN.root().certificate())
            .clock(AT_T0)
            .build();
    VerificationOptions atDocumentTime = VerificationOptions.defaults().atDocumentTime();

    assertThat(both.verify(CHAIN.document().build(), atDocumentTime).root())
        .isEqualTo(CHAIN.root().certificate());
    assertThat(both.verify(RealVector.TEMPO.bytes(), atDocumentTime).root())
        .isEqualTo(AttestationVerifier.awsRoot());
    assertThat(both.trustAnchors())
        .containsExactly(AttestationVerifier.awsRoot(), CHAIN.root().certificate());
  }

  @Test
  void awsRootVerifierRejectsAnEmulatorDocument() {
    assertReason(
        AttestationVerifier.forAwsRoot(),
        CHAIN.document().build(),
        VerificationOptions.defaults().atDocumentTime(),
        Reason.UNTRUSTED_CHAIN);
  }

  @Test
  void cabundleRootIsMatchedToTheAnchorBySubjectAndKeyNotBytes() {
    Issued reissued =
        TestPki.cert("CN=test-root.nitro-emu").ca(-1).keys(CHAIN.root().keys()).build();
    assertThat(reissued.der()).isNotEqualTo(CHAIN.root().der());
    byte[] document =
        CHAIN.document().cabundle(List.of(reissued.der(), CHAIN.intermediate().der())).build();

    VerifiedAttestation verified = verifier().verify(document);

    assertThat(verified.root()).isEqualTo(CHAIN.root().certificate());
  }

  @Test
  void cabundleRootWithTheAnchorsNameButAnotherKeyIsUntrusted() {
    Issued impostor = TestPki.cert("CN=test-root.nitro-emu").ca(-1).build();
    Chain forged = TestPki.chainUnder(impostor);

    assertReason(
        verifier(),
        forged.document().build(),
        VerificationOptions.defaults(),
        Reason.UNTRUSTED_CHAIN);
  }

  @Test
  void intermediateSignedByAnotherKeyUnderTheSameNameIsUntrusted() {
    Issued impostor = TestPki.cert("CN=test-root.nitro-emu").ca(-1).build();
    Chain forged = TestPki.chainUnder(impostor);
    byte[] document =
        forged
            .document()
            .cabundle(List.of(CHAIN.root().der(), forged.intermediate().der()))
            .build();

    assertReason(verifier(), document, VerificationOptions.defaults(), Reason.UNTRUSTED_CHAIN);
  }

  @Test
  void leafProfileViolationsAreInvalidCertificates() {
    List<TestPki.CertBuilder> badLeaves =
        List.of(
            TestPki.cert("CN=leaf that is a CA").caFlag(true),
            TestPki.cert("CN=leaf without digitalSignature").keyUsage(KeyUsage.keyEncipherment),
            TestPki.cert("CN=leaf without key usage").keyUsage(0),
            TestPki.cert("CN=leaf on P-256").keys(TestPki.keyPair("secp256r1")),
            TestPki.cert("CN=leaf signed with SHA-256").signatureAlgorithm("SHA256withECDSA"));
    for (TestPki.CertBuilder bad : badLeaves) {
      Issued leaf = bad.issuedBy(CHAIN.intermediate()).build();
      byte[] document =
          new TestPki.Document(leaf, CHAIN.cabundle()).signedBy(CHAIN.leaf().keys()).build();

      assertThatThrownBy(() -> verifier().verify(document))
          .as(leaf.certificate().getSubjectX500Principal().getName())
          .isInstanceOfSatisfying(
              AttestationException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_CERTIFICATE));
    }
  }

  @Test
  void caConstraintViolationsAreInvalidCertificates() {
    Issued notCa = TestPki.cert("CN=not a CA").issuedBy(CHAIN.root()).ca(0).caFlag(false).build();
    Issued noCertSign =
        TestPki.cert("CN=no keyCertSign")
            .issuedBy(CHAIN.root())
            .ca(0)
            .keyUsage(KeyUsage.digitalSignature | KeyUsage.cRLSign)
            .build();
    Issued pathLenZero = TestPki.cert("CN=pathLen zero").issuedBy(CHAIN.root()).ca(0).build();
    Issued belowPathLenZero =
        TestPki.cert("CN=below pathLen zero").issuedBy(pathLenZero).ca(-1).build();

    for (List<Issued> intermediates :
        List.of(List.of(notCa), List.of(noCertSign), List.of(pathLenZero, belowPathLenZero))) {
      Issued issuer = intermediates.get(intermediates.size() - 1);
      Issued leaf = TestPki.cert("CN=leaf").issuedBy(issuer).build();
      List<byte[]> cabundle = new ArrayList<>(List.of(CHAIN.root().der()));
      intermediates.forEach(c -> cabundle.add(c.der()));
      byte[] document = new TestPki.Document(leaf, cabundle).build();

      assertThatThrownBy(() -> verifier().verify(document))
          .as(issuer.certificate().getSubjectX500Principal().getName())
          .isInstanceOfSatisfying(
              AttestationException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_CERTIFICATE));
    }
  }

  @Test
  void jdkPkixStillRejectsWhatTheProfileChecksDoNotCover() {
    Issued constrained =
        TestPki.cert("CN=constrained")
            .issuedBy(CHAIN.root())
            .ca(0)
            .excludedSubtree("O=Excluded")
            .build();
    Issued leaf = TestPki.cert("O=Excluded,CN=leaf").issuedBy(constrained).build();
    byte[] document =
        new TestPki.Document(leaf, List.of(CHAIN.root().der(), constrained.der())).build();

    assertThatThrownBy(() -> verifier().verify(document))
        .isInstanceOfSatisfying(
            AttestationException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CHAIN);
              assertThat(e.getMessage()).startsWith("PKIX");
            });
  }

  @Test
  void validityOfTheRootItselfIsChecked() {
    Issued shortRoot =
        TestPki.cert("CN=short-lived root")
            .ca(-1)
            .valid(T0.minus(Duration.ofDays(1)), T0.plus(Duration.ofHours(2)))
            .build();
    Chain chain = TestPki.chainUnder(shortRoot);
    AttestationVerifier verifier = AttestationVerifier.forRoot(shortRoot.certificate());
    byte[] document = chain.document().build();

    assertThat(verifier.verify(document, VerificationOptions.defaults().at(T0)).root())
        .isEqualTo(shortRoot.certificate());
    assertReason(
        verifier,
        document,
        VerificationOptions.defaults().at(T0.plus(Duration.ofMinutes(150))),
        Reason.CERTIFICATE_EXPIRED);
  }

  @Test
  void signatureByAnotherKeyIsABadSignature() {
    byte[] document = CHAIN.document().signedBy(TestPki.keyPair("secp384r1")).build();

    assertReason(verifier(), document, VerificationOptions.defaults(), Reason.BAD_SIGNATURE);
  }

  @Test
  void signatureOutsideTheCurveOrderIsABadSignatureNotACrash() {
    CoseSign1 cose = CoseSign1.decode(CHAIN.document().build());
    byte[] allOnes = new byte[CoseSign1.SIGNATURE_LENGTH];
    Arrays.fill(allOnes, (byte) 0xFF);

    for (byte[] signature : List.of(new byte[CoseSign1.SIGNATURE_LENGTH], allOnes)) {
      byte[] document = new CoseSign1(cose.protectedHeader(), cose.payload(), signature).encode();
      assertReason(verifier(), document, VerificationOptions.defaults(), Reason.BAD_SIGNATURE);
    }
  }

  @Test
  void nonceIsCheckedOnlyWhenExpected() {
    byte[] nonce = "fresh nonce".getBytes(StandardCharsets.US_ASCII);
    byte[] document = CHAIN.document().nonce(nonce).build();
    AttestationVerifier verifier = verifier();

    assertThat(verifier.verify(document).document().nonce()).isEqualTo(nonce);
    assertThat(
            verifier
                .verify(document, VerificationOptions.defaults().expectNonce(nonce))
                .document()
                .nonce())
        .isEqualTo(nonce);
    assertReason(
        verifier,
        document,
        VerificationOptions.defaults()
            .expectNonce("stale nonce".getBytes(StandardCharsets.US_ASCII)),
        Reason.NONCE_MISMATCH);
    assertReason(
        verifier,
        CHAIN.document().build(),
        VerificationOptions.defaults().expectNonce(nonce),
        Reason.NONCE_MISMATCH);
  }

  @Test
  void secondVerificationOfTheSameChainSkipsChainValidation() {
    AttestationVerifier verifier = verifier();
    byte[] first = CHAIN.document().userData(new byte[] {1}).build();
    byte[] second = CHAIN.document().userData(new byte[] {2}).timestamp(T0.plusSeconds(60)).build();

    verifier.verify(first);
    verifier.verify(first);
    verifier.verify(second, VerificationOptions.defaults().atDocumentTime());

    assertThat(verifier.chainValidations()).isEqualTo(1);
    assertThat(verifier.chainCacheHits()).isEqualTo(2);
  }

  @Test
  void cachedChainStillExpiresAndIsNotYetValidOutsideItsWindow() {
    AttestationVerifier verifier = verifier();
    byte[] document = CHAIN.document().build();
    verifier.verify(document);

    assertReason(
        verifier,
        document,
        VerificationOptions.defaults().at(T0.plus(Duration.ofHours(3)).plusSeconds(1)),
        Reason.CERTIFICATE_EXPIRED);
    assertReason(
        verifier,
        document,
        VerificationOptions.defaults().at(T0.minus(Duration.ofHours(2))),
        Reason.CERTIFICATE_NOT_YET_VALID);
    assertThat(verifier.chainValidations()).isEqualTo(3);
    assertThat(verifier.verify(document).verifiedAt()).isEqualTo(T0);
    assertThat(verifier.chainCacheHits()).isEqualTo(1);
  }

  @Test
  void tamperedDocumentWithACachedChainStillFails() {
    AttestationVerifier verifier = verifier();
    byte[] document = CHAIN.document().build();
    verifier.verify(document);
    document[document.length - 1] ^= 1;

    assertReason(verifier, document, VerificationOptions.defaults(), Reason.BAD_SIGNATURE);
    assertThat(verifier.chainCacheHits()).isEqualTo(1);
  }

  @Test
  void concurrentVerificationsAllSucceed() throws Exception {
    AttestationVerifier verifier = verifier();
    List<byte[]> documents = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      documents.add(CHAIN.document().userData(new byte[] {(byte) i}).build());
    }
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<VerifiedAttestation>> results = new ArrayList<>();
      for (int round = 0; round < 4; round++) {
        for (byte[] document : documents) {
          results.add(pool.submit(() -> verifier.verify(document)));
        }
      }
      for (int i = 0; i < results.size(); i++) {
        assertThat(results.get(i).get().document().userData()).containsExactly((byte) (i % 16));
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(verifier.chainCacheHits() + verifier.chainValidations()).isEqualTo(64);
  }

  @Test
  void builderNeedsATrustAnchorThatIsAP384Ca() {
    Issued p256Root =
        TestPki.cert("CN=p256 root").ca(-1).keys(TestPki.keyPair("secp256r1")).build();

    assertThatThrownBy(() -> AttestationVerifier.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trustAnchor");
    assertThatThrownBy(() -> AttestationVerifier.forRoot(CHAIN.leaf().certificate()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AttestationVerifier.forRoot(p256Root.certificate()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bundledAwsRootMatchesThePinnedFingerprintAndTheSharedCopy() throws Exception {
    byte[] der = AttestationVerifier.awsRoot().getEncoded();

    assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(der)))
        .isEqualTo("641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b");
    byte[] sharedPem =
        Files.readAllBytes(RealVector.directory().resolve("AWS_NitroEnclaves_Root-G1.pem"));
    assertThat(AttestationVerifier.loadPinned(sharedPem, AttestationVerifier.AWS_ROOT_SHA256))
        .isEqualTo(AttestationVerifier.awsRoot());
    assertThat(AttestationVerifier.awsRoot().getSubjectX500Principal().getName())
        .isEqualTo("CN=aws.nitro-enclaves,OU=AWS,O=Amazon,C=US");
  }

  @Test
  void certificateWithTheWrongFingerprintIsRefusedLoudly() {
    assertThatThrownBy(
            () ->
                AttestationVerifier.loadPinned(
                    CHAIN.root().der(), AttestationVerifier.AWS_ROOT_SHA256))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(AttestationVerifier.AWS_ROOT_SHA256);
    assertThatThrownBy(
            () ->
                AttestationVerifier.loadPinned(
                    "not a pem".getBytes(StandardCharsets.US_ASCII),
                    AttestationVerifier.AWS_ROOT_SHA256))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void readDocumentAcceptsRawBase64AndHexFiles(@TempDir Path dir) throws Exception {
    byte[] document = RealVector.UID2.bytes();
    String base64 =
        Base64.getMimeEncoder(76, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(document);
    Files.write(dir.resolve("raw.cbor"), document);
    Files.writeString(dir.resolve("wrapped.b64"), base64 + "\n");
    Files.writeString(
        dir.resolve("upper.hex"), HexFormat.of().withUpperCase().formatHex(document) + "\r\n");

    for (String name : List.of("raw.cbor", "wrapped.b64", "upper.hex")) {
      assertThat(AttestationVerifier.readDocument(dir.resolve(name))).as(name).isEqualTo(document);
    }
  }

  @Test
  void readDocumentRejectsGarbageAndHugeFilesWithTypedReasons(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("garbage.txt"), "this is not a document!");
    Files.write(dir.resolve("huge.b64"), new byte[200_000]);

    assertThatThrownBy(() -> AttestationVerifier.readDocument(dir.resolve("garbage.txt")))
        .isInstanceOfSatisfying(
            AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_COSE));
    assertThatThrownBy(() -> AttestationVerifier.readDocument(dir.resolve("huge.b64")))
        .isInstanceOfSatisfying(
            AttestationException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
  }

  private static void assertReason(
      AttestationVerifier verifier, byte[] document, VerificationOptions options, Reason reason) {
    assertThatThrownBy(() -> verifier.verify(document, options))
        .isInstanceOfSatisfying(
            AttestationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }
}
