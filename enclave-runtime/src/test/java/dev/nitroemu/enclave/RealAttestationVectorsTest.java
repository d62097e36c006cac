package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.nitroemu.enclave.AttestationException.Reason;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Verifies the five real AWS documents, and that each one tampered with fails for the right reason.
 */
class RealAttestationVectorsTest {
  private static final AttestationVerifier AWS = AttestationVerifier.forAwsRoot();
  private static final VerificationOptions AT_DOCUMENT_TIME =
      VerificationOptions.defaults().atDocumentTime();

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void everyRealDocumentVerifiesAgainstTheAwsRootAtItsOwnTime(RealVector vector) {
    VerifiedAttestation verified = AWS.verify(vector.bytes(), AT_DOCUMENT_TIME);

    assertThat(verified.verifiedAt()).isEqualTo(vector.timestamp());
    assertThat(verified.root()).isEqualTo(AttestationVerifier.awsRoot());
    assertThat(verified.chain()).hasSize(5);
    assertThat(verified.chain().get(4)).isEqualTo(AttestationVerifier.awsRoot());
    assertThat(verified.leaf().getSerialNumber())
        .isEqualTo(new BigInteger(vector.leafSerialHex, 16));
    assertThat(verified.encoding()).isEqualTo(vector.encoding);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void decodedFactsMatchTheVectorReadme(RealVector vector) {
    AttestationDocument document = AWS.verify(vector.bytes(), AT_DOCUMENT_TIME).document();

    assertThat(document.moduleId()).isEqualTo(vector.moduleId);
    assertThat(document.timestamp()).isEqualTo(vector.timestampMillis);
    assertThat(document.digest()).isEqualTo("SHA384");
    assertThat(document.pcrs())
        .hasSize(16)
        .containsOnlyKeys(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    assertThat(document.pcr(0))
        .isEqualTo(vector.debug() ? new byte[48] : RealVector.hex(vector.pcr0Hex));
    assertThat(document.pcr(4)).isEqualTo(RealVector.hex(vector.pcr4Hex));
    for (int i = 5; i < 16; i++) {
      assertThat(document.pcr(i)).as("PCR%d", i).isEqualTo(new byte[48]);
    }
    assertThat(document.cabundle()).hasSize(4);
    assertThat(document.cabundle().get(0)).isEqualTo(derOf(AttestationVerifier.awsRoot()));
    assertThat(vector.bytes()[0] & 0xFF).isEqualTo(0x84);
    assertThat(vector.payload()[0] & 0xFF)
        .isEqualTo(vector.encoding == PayloadEncoding.INDEFINITE ? 0xBF : 0xA9);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void pcr4IsTheInstanceIdExtendedIntoZeros(RealVector vector) throws Exception {
    String instanceId = vector.moduleId.substring(0, vector.moduleId.indexOf("-enc"));
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    sha384.update(new byte[48]);

    byte[] expected = sha384.digest(instanceId.getBytes(StandardCharsets.US_ASCII));

    assertThat(vector.document().pcr(4)).isEqualTo(expected);
  }

  @Test
  void debugDocumentsHaveZeroImagePcrsAndSuiHasAnIamRolePcr() {
    for (RealVector vector : List.of(RealVector.BLOCKY_DEBUG, RealVector.SUI, RealVector.UID2)) {
      for (int i = 0; i <= 2; i++) {
        assertThat(vector.document().pcr(i)).as("%s PCR%d", vector, i).isEqualTo(new byte[48]);
      }
    }
    assertThat(RealVector.SUI.document().pcr(3))
        .isEqualTo(
            RealVector.hex(
                "639a8b65f68b0223cbb14a0032487e5656d260434e3d1a10e7ec1407fb86143860717fc8afee90df7a1604111709af46"));
    assertThat(RealVector.TEMPO.document().pcr(1)).isEqualTo(RealVector.BLOCKY.document().pcr(1));
  }

  @Test
  void optionalFieldsHaveTheDocumentedSizes() {
    byte[] ones = new byte[1024];
    Arrays.fill(ones, (byte) 1);
    for (RealVector blocky : List.of(RealVector.BLOCKY, RealVector.BLOCKY_DEBUG)) {
      AttestationDocument document = blocky.document();
      assertThat(document.publicKey()).isEqualTo(ones);
      assertThat(document.userData()).isEqualTo(ones);
      assertThat(document.nonce()).isEqualTo(ones);
    }
    AttestationDocument sui = RealVector.SUI.document();
    assertThat(sui.publicKey()).isNull();
    assertThat(sui.userData()).hasSize(32);
    assertThat(sui.nonce()).isNull();
    AttestationDocument tempo = RealVector.TEMPO.document();
    assertThat(tempo.publicKey()).isNull();
    assertThat(tempo.userData()).hasSize(20);
    assertThat(tempo.nonce()).isNull();
    AttestationDocument uid2 = RealVector.UID2.document();
    assertThat(uid2.publicKey()).isNull();
    assertThat(uid2.userData()).isNull();
    assertThat(uid2.nonce()).isNull();
    assertThat(RealVector.BLOCKY.bytes()).hasSize(7539);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void flippedSignatureByteIsABadSignature(RealVector vector) {
    byte[] document = vector.bytes();
    document[document.length - 40] ^= 0x01;

    assertReason(document, Reason.BAD_SIGNATURE);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void flippedPcrByteIsABadSignature(RealVector vector) {
    byte[] document = vector.bytes();
    int pcr4 = indexOf(document, vector.document().pcr(4));
    document[pcr4 + 7] ^= 0x40;

    assertThat(CoseSign1.decode(document).payload()).isNotEqualTo(vector.payload());
    assertReason(document, Reason.BAD_SIGNATURE);
  }

  @Test
  void flippedUserDataByteIsABadSignature() {
    byte[] document = RealVector.SUI.bytes();
    document[indexOf(document, RealVector.SUI.document().userData()) + 3] ^= 0x01;

    assertReason(document, Reason.BAD_SIGNATURE);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void changedProtectedHeaderIsAnUnsupportedAlgorithm(RealVector vector) {
    byte[] document = vector.bytes();
    assertThat(Arrays.copyOfRange(document, 2, 6)).isEqualTo(CoseSign1.ES384_PROTECTED);
    document[5] = 0x23; // {1: -36}, ES512

    assertReason(document, Reason.UNSUPPORTED_ALGORITHM);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void instanceCertificateFromAnotherEnclaveIsAnUntrustedChain(RealVector vector) {
    RealVector other = vector == RealVector.TEMPO ? RealVector.BLOCKY : RealVector.TEMPO;

    byte[] document =
        withCabundle(vector, bundle -> bundle.set(3, other.document().cabundle().get(3)));

    assertReason(document, Reason.UNTRUSTED_CHAIN);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void missingIntermediateIsAnUntrustedChain(RealVector vector) {
    assertReason(withCabundle(vector, bundle -> bundle.remove(2)), Reason.UNTRUSTED_CHAIN);
    assertReason(withCabundle(vector, bundle -> bundle.remove(1)), Reason.UNTRUSTED_CHAIN);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void missingRootIsAnUntrustedChain(RealVector vector) {
    assertReason(withCabundle(vector, bundle -> bundle.remove(0)), Reason.UNTRUSTED_CHAIN);
  }

  @Test
  void unparsableCabundleCertificateIsAnInvalidCertificate() {
    byte[] document =
        withCabundle(
            RealVector.TEMPO,
            bundle -> {
              byte[] zonal = bundle.get(2);
              zonal[1] = 0x00; // the outer SEQUENCE now claims a wrong length
              bundle.set(2, zonal);
            });

    assertReason(document, Reason.INVALID_CERTIFICATE);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void selfMadeRootIsNotTrustedForARealDocument(RealVector vector) {
    TestPki.Issued emulatorRoot = TestPki.cert("CN=nitro-emu root").ca(-1).build();
    TestPki.Issued awsLookalike =
        TestPki.cert("C=US,O=Amazon,OU=AWS,CN=aws.nitro-enclaves").ca(-1).build();

    for (TestPki.Issued root : List.of(emulatorRoot, awsLookalike)) {
      AttestationVerifier verifier = AttestationVerifier.forRoot(root.certificate());
      assertThatThrownBy(() -> verifier.verify(vector.bytes(), AT_DOCUMENT_TIME))
          .isInstanceOfSatisfying(
              AttestationException.class,
              e -> assertThat(e.reason()).isEqualTo(Reason.UNTRUSTED_CHAIN));
    }
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void oneDayAfterTheDocumentTheLeafHasExpired(RealVector vector) {
    VerificationOptions later =
        VerificationOptions.defaults().at(vector.timestamp().plus(Duration.ofDays(1)));

    assertReason(vector.bytes(), later, Reason.CERTIFICATE_EXPIRED);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void oneDayBeforeTheDocumentTheLeafIsNotYetValid(RealVector vector) {
    VerificationOptions earlier =
        VerificationOptions.defaults().at(vector.timestamp().minus(Duration.ofDays(1)));

    assertReason(vector.bytes(), earlier, Reason.CERTIFICATE_NOT_YET_VALID);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void verifyingAStoredDocumentNowFindsItExpired(RealVector vector) {
    assertThatThrownBy(() -> AWS.verify(vector.bytes()))
        .isInstanceOfSatisfying(
            AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_EXPIRED));
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void cachedRealChainIsReusedButStillExpires(RealVector vector) {
    AttestationVerifier verifier = AttestationVerifier.forAwsRoot();
    verifier.verify(vector.bytes(), AT_DOCUMENT_TIME);
    verifier.verify(
        vector.bytes(), VerificationOptions.defaults().at(vector.timestamp().plusSeconds(60)));

    assertThat(verifier.chainValidations()).isEqualTo(1);
    assertThat(verifier.chainCacheHits()).isEqualTo(1);
    assertThatThrownBy(
            () ->
                verifier.verify(
                    vector.bytes(),
                    VerificationOptions.defaults().at(vector.timestamp().plus(Duration.ofDays(1)))))
        .isInstanceOfSatisfying(
            AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(Reason.CERTIFICATE_EXPIRED));
  }

  @Test
  void expectedNonceMustMatchTheDocumentNonce() {
    byte[] ones = new byte[1024];
    Arrays.fill(ones, (byte) 1);
    byte[] almost = ones.clone();
    almost[1023] = 2;

    assertThat(
            AWS.verify(RealVector.BLOCKY.bytes(), AT_DOCUMENT_TIME.expectNonce(ones))
                .document()
                .nonce())
        .isEqualTo(ones);
    assertReason(
        RealVector.BLOCKY.bytes(), AT_DOCUMENT_TIME.expectNonce(almost), Reason.NONCE_MISMATCH);
    assertReason(
        RealVector.UID2.bytes(), AT_DOCUMENT_TIME.expectNonce(new byte[0]), Reason.NONCE_MISMATCH);
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void everyTruncationFailsWithATypedReason(RealVector vector) {
    byte[] document = vector.bytes();
    for (int length = 0; length < document.length; length++) {
      byte[] truncated = Arrays.copyOf(document, length);
      Throwable thrown = catchThrowable(() -> AWS.verify(truncated, AT_DOCUMENT_TIME));
      assertThat(thrown)
          .as("truncated to %d bytes", length)
          .isInstanceOf(AttestationException.class);
    }
  }

  @ParameterizedTest
  @EnumSource(RealVector.class)
  void randomlyCorruptedDocumentsFailWithATypedReason(RealVector vector) {
    byte[] original = vector.bytes();
    Random random = new Random(vector.ordinal() * 7919L + 17);
    for (int round = 0; round < 400; round++) {
      byte[] corrupted = original.clone();
      int flips = 1 + random.nextInt(3);
      for (int i = 0; i < flips; i++) {
        corrupted[random.nextInt(corrupted.length)] = (byte) random.nextInt(256);
      }
      if (Arrays.equals(corrupted, original)) {
        continue;
      }
      Throwable thrown = catchThrowable(() -> AWS.verify(corrupted, AT_DOCUMENT_TIME));
      assertThat(thrown).as("round %d", round).isInstanceOf(AttestationException.class);
    }
  }

  @Test
  void inputThatIsNotCborIsMalformed() {
    assertReason(new byte[0], Reason.MALFORMED_COSE);
    assertReason("hello, attestation".getBytes(StandardCharsets.US_ASCII), Reason.MALFORMED_COSE);
    assertReason(new byte[] {(byte) 0xFF}, Reason.MALFORMED_COSE);
    assertReason(new byte[] {(byte) 0x84, 0x01, 0x02, 0x03, 0x04}, Reason.MALFORMED_COSE);
  }

  @Test
  void trailingBytesAfterTheDocumentAreMalformed() {
    byte[] document = RealVector.TEMPO.bytes();

    assertReason(Arrays.copyOf(document, document.length + 1), Reason.MALFORMED_COSE);
  }

  @Test
  void inputOverTheResponseBufferSizeIsTooLarge() {
    byte[] document = Arrays.copyOf(RealVector.BLOCKY.bytes(), Nsm.MAX_RESPONSE_SIZE + 1);

    assertReason(document, Reason.TOO_LARGE);
  }

  @Test
  void cborTag18IsAcceptedAndOtherTagsAreNot() {
    byte[] document = RealVector.TEMPO.bytes();
    byte[] tagged = new byte[document.length + 1];
    System.arraycopy(document, 0, tagged, 1, document.length);

    tagged[0] = (byte) 0xD2;
    assertThat(AWS.verify(tagged, AT_DOCUMENT_TIME).document().moduleId())
        .isEqualTo(RealVector.TEMPO.moduleId);
    tagged[0] = (byte) 0xD1; // COSE_Mac0
    assertReason(tagged, Reason.MALFORMED_COSE);
  }

  private static void assertReason(byte[] document, Reason reason) {
    assertReason(document, AT_DOCUMENT_TIME, reason);
  }

  private static void assertReason(byte[] document, VerificationOptions options, Reason reason) {
    assertThatThrownBy(() -> AWS.verify(document, options))
        .isInstanceOfSatisfying(
            AttestationException.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  /**
   * The vector re-signed with nothing: its payload's cabundle edited, its original signature kept.
   */
  private static byte[] withCabundle(RealVector vector, Consumer<List<byte[]>> edit) {
    AttestationDocument d = vector.document();
    List<byte[]> bundle = new ArrayList<>(d.cabundle());
    edit.accept(bundle);
    AttestationDocument edited =
        new AttestationDocument(
            d.moduleId(),
            d.digest(),
            d.timestamp(),
            d.pcrs(),
            d.certificate(),
            bundle,
            d.publicKey(),
            d.userData(),
            d.nonce());
    CoseSign1 cose = vector.cose();
    return new CoseSign1(
            cose.protectedHeader(), edited.encodePayload(vector.encoding), cose.signature())
        .encode();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("value not found in document");
  }

  private static byte[] derOf(java.security.cert.X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new AssertionError(e);
    }
  }
}
