package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CmsEnvelopeTest;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Recipient checks: shape, document trust, age and the RSA key, with the error each failure maps
 * to.
 */
class RecipientVerifierTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final Duration MAX_AGE = Duration.ofMinutes(5);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final KeyPair RSA_2048 = CmsEnvelopeTest.rsa(2048);
  private static final ObjectMapper JSON = new ObjectMapper();

  private MutableTestClock enclaveClock;
  private MutableTestClock kmsClock;
  private SoftwareNsm nsm;
  private RecipientVerifier verifier;

  @BeforeEach
  void bootEnclaveAndVerifier() {
    enclaveClock = new MutableTestClock(T0);
    kmsClock = new MutableTestClock(T0);
    nsm = SoftwareNsm.builder().clock(enclaveClock).build();
    verifier = verifierTrusting(nsm, MAX_AGE);
  }

  private RecipientVerifier verifierTrusting(SoftwareNsm trusted, Duration maxAge) {
    AttestationVerifier attestation =
        AttestationVerifier.builder()
            .trustAnchor(trusted.rootCa().certificate())
            .clock(kmsClock)
            .build();
    return new RecipientVerifier(attestation, maxAge, kmsClock);
  }

  private static ObjectNode recipient(byte[] document) {
    ObjectNode node = JsonNodeFactory.instance.objectNode();
    node.put("KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256");
    node.put("AttestationDocument", Base64.getEncoder().encodeToString(document));
    return node;
  }

  private byte[] documentFor(KeyPair keys) {
    return nsm.attestation(null, null, keys.getPublic().getEncoded());
  }

  private static KmsError failure(RecipientVerifier verifier, JsonNode recipient) {
    KmsError error = catchThrowableOfType(KmsError.class, () -> verifier.verify(recipient));
    assertThat(error).as("verify must fail with KmsError").isNotNull();
    assertThat(error.status()).isEqualTo(400);
    return error;
  }

  /** The message must not echo the document: no run of its base64 text appears in it. */
  private static void assertNoDocumentBytes(KmsError error, byte[] document) {
    String base64 = Base64.getEncoder().encodeToString(document);
    for (int i = 0; i + 24 <= base64.length(); i += 24) {
      assertThat(error.getMessage()).doesNotContain(base64.substring(i, i + 24));
    }
    assertThat(error.getMessage())
        .doesNotContain(HexFormat.of().formatHex(document, 0, Math.min(16, document.length)));
  }

  @Test
  void validDocumentYieldsTheDocumentAndItsRsaKey() {
    AttestedRecipient attested = verifier.verify(recipient(documentFor(RSA_2048)));

    assertThat(attested.publicKey()).isEqualTo(RSA_2048.getPublic());
    assertThat(attested.document().moduleId()).isEqualTo(nsm.moduleId());
    assertThat(attested.document().nonce()).isNull();
  }

  @Test
  void conditionContextHasImageSha384AndEveryPcrAsLowercaseHex() {
    AttestedRecipient attested = verifier.verify(recipient(documentFor(RSA_2048)));
    Map<String, List<String>> context = attested.conditionContext();
    String pcr0 = HexFormat.of().formatHex(nsm.profile().bootPcrs().get(0));

    assertThat(context).containsEntry("kms:RecipientAttestation:ImageSha384", List.of(pcr0));
    assertThat(context).containsEntry("kms:RecipientAttestation:PCR0", List.of(pcr0));
    assertThat(context).hasSize(1 + attested.document().pcrs().size());
    attested
        .document()
        .pcrs()
        .forEach(
            (index, value) ->
                assertThat(context)
                    .containsEntry(
                        "kms:RecipientAttestation:PCR" + index,
                        List.of(HexFormat.of().formatHex(value))));
    context
        .values()
        .forEach(values -> assertThat(values).singleElement().asString().matches("[0-9a-f]{96}"));
  }

  @Test
  void summaryCarriesModuleIdAndPcrs() {
    RecipientSummary summary = verifier.verify(recipient(documentFor(RSA_2048))).summary();

    assertThat(summary.moduleId()).isEqualTo(nsm.moduleId());
    assertThat(summary.pcrs().keySet())
        .containsExactlyElementsOf(nsm.profile().bootPcrs().keySet());
    assertThat(summary.pcrs().get(3)).isEqualTo(nsm.profile().bootPcrs().get(3));
  }

  @Test
  void debugEnclaveReportsAllZeroImageDigest() {
    nsm =
        SoftwareNsm.builder()
            .clock(enclaveClock)
            .rootCa(nsm.rootCa())
            .profile(EnclaveProfile.builder().debug(true).build())
            .build();

    Map<String, List<String>> context =
        verifier.verify(recipient(documentFor(RSA_2048))).conditionContext();

    assertThat(context.get("kms:RecipientAttestation:ImageSha384")).containsExactly("0".repeat(96));
    assertThat(context.get("kms:RecipientAttestation:PCR4"))
        .singleElement()
        .asString()
        .isNotEqualTo("0".repeat(96));
  }

  @Test
  void recipientThatIsNotAnObjectIsAValidationError() {
    for (JsonNode bad :
        new JsonNode[] {
          null,
          JsonNodeFactory.instance.nullNode(),
          JsonNodeFactory.instance.textNode("doc"),
          JsonNodeFactory.instance.arrayNode()
        }) {
      assertThat(failure(verifier, bad).type()).isEqualTo("ValidationException");
    }
  }

  @Test
  void keyEncryptionAlgorithmMustBeRsaesOaepSha256() {
    byte[] document = documentFor(RSA_2048);
    ObjectNode missing = recipient(document);
    missing.remove("KeyEncryptionAlgorithm");
    ObjectNode sha1 = recipient(document).put("KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_1");
    ObjectNode number = recipient(document).put("KeyEncryptionAlgorithm", 7);

    assertThat(failure(verifier, missing).type()).isEqualTo("ValidationException");
    KmsError wrong = failure(verifier, sha1);
    assertThat(wrong.type()).isEqualTo("ValidationException");
    assertThat(wrong.getMessage()).contains("'RSAES_OAEP_SHA_1'", "[RSAES_OAEP_SHA_256]");
    assertThat(failure(verifier, number).type()).isEqualTo("ValidationException");
  }

  @Test
  void attestationDocumentMustBePresentBase64AndWithinTheModelLimits() {
    ObjectNode missing = recipient(new byte[1]);
    missing.remove("AttestationDocument");
    ObjectNode number = recipient(new byte[1]).put("AttestationDocument", 42);
    ObjectNode notBase64 = recipient(new byte[1]).put("AttestationDocument", "not base64 at all!");
    ObjectNode empty = recipient(new byte[1]).put("AttestationDocument", "");
    ObjectNode oversized = recipient(new byte[RecipientVerifier.MAX_DOCUMENT_SIZE + 1]);

    for (ObjectNode bad : List.of(missing, number, notBase64, empty, oversized)) {
      assertThat(failure(verifier, bad).type())
          .as("%s", bad.toString().length())
          .isEqualTo("ValidationException");
    }
    assertThat(failure(verifier, oversized).getMessage()).contains("length between 1 and 262144");
  }

  @Test
  void bytesThatAreNotAnAttestationDocumentAreAValidationErrorThatDoesNotEchoThem() {
    byte[] garbage = new byte[600];
    RANDOM.nextBytes(garbage);
    garbage[0] = (byte) 0x84; // looks like a 4-element array, then nonsense

    KmsError error = failure(verifier, recipient(garbage));

    assertThat(error.type()).isEqualTo("ValidationException");
    assertThat(error.getMessage())
        .containsAnyOf("MALFORMED_COSE", "UNSUPPORTED_ALGORITHM", "MALFORMED_PAYLOAD");
    assertNoDocumentBytes(error, garbage);
  }

  @Test
  void documentLargerThanAnyNsmResponseIsAValidationError() {
    byte[] large = Arrays.copyOf(documentFor(RSA_2048), 20_000);

    KmsError error = failure(verifier, recipient(large));

    assertThat(error.type()).isEqualTo("ValidationException");
    assertThat(error.getMessage()).contains("TOO_LARGE");
  }

  @Test
  void documentFromAnotherRootIsDeniedNamingTheUntrustedChain() {
    SoftwareNsm stranger = SoftwareNsm.builder().clock(enclaveClock).build();
    byte[] document = stranger.attestation(null, null, RSA_2048.getPublic().getEncoded());

    KmsError error = failure(verifier, recipient(document));

    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("UNTRUSTED_CHAIN");
    assertNoDocumentBytes(error, document);
  }

  @Test
  void tamperedSignatureIsDeniedNamingTheBadSignature() {
    byte[] document = documentFor(RSA_2048);
    document[document.length - 1] ^= 0x01;

    KmsError error = failure(verifier, recipient(document));

    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("BAD_SIGNATURE");
    assertNoDocumentBytes(error, document);
  }

  @Test
  void withoutATrustAnchorEveryDocumentIsDenied() {
    RecipientVerifier unconfigured = new RecipientVerifier(null, MAX_AGE, kmsClock);

    KmsError error = failure(unconfigured, recipient(documentFor(RSA_2048)));

    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("no attestation trust anchor");
  }

  @Test
  void documentOlderThanMaxAgeIsDenied() {
    ObjectNode recipient = recipient(documentFor(RSA_2048));

    kmsClock.advance(MAX_AGE);
    assertThat(verifier.verify(recipient).publicKey()).isEqualTo(RSA_2048.getPublic());

    kmsClock.advance(Duration.ofMillis(1));
    KmsError error = failure(verifier, recipient);
    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("older than the maximum age of 300 s");
  }

  @Test
  void documentDatedBeyondTheClockSkewIsDenied() {
    documentFor(RSA_2048); // issues the enclave's 3-hour leaf certificate at T0
    enclaveClock.advance(RecipientVerifier.MAX_FUTURE_SKEW);
    ObjectNode withinSkew = recipient(documentFor(RSA_2048));
    enclaveClock.advance(Duration.ofSeconds(1));
    ObjectNode beyondSkew = recipient(documentFor(RSA_2048));

    assertThat(verifier.verify(withinSkew).publicKey()).isEqualTo(RSA_2048.getPublic());
    KmsError error = failure(verifier, beyondSkew);
    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("is later than");
  }

  @Test
  void expiredLeafCertificateIsDeniedEvenWithinALongMaxAge() {
    RecipientVerifier patient = verifierTrusting(nsm, Duration.ofDays(1));
    ObjectNode recipient = recipient(documentFor(RSA_2048));
    kmsClock.advance(Duration.ofHours(4));

    KmsError error = failure(patient, recipient);

    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("CERTIFICATE_EXPIRED");
  }

  @Test
  void documentWithoutPublicKeyIsAValidationError() {
    KmsError error = failure(verifier, recipient(nsm.attestation(null, null, null)));

    assertThat(error.type()).isEqualTo("ValidationException");
    assertThat(error.getMessage()).contains("no public_key");
  }

  @Test
  void publicKeyMustBeAnRsa2048Key() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(256);
    byte[] ecKey = ec.generateKeyPair().getPublic().getEncoded();
    byte[] rsa3072 = CmsEnvelopeTest.rsa(3072).getPublic().getEncoded();
    byte[] rsa1024 = CmsEnvelopeTest.rsa(1024).getPublic().getEncoded();

    assertThat(failure(verifier, recipient(nsm.attestation(null, null, rsa3072))).getMessage())
        .contains("RSA-3072", "must be the DER SubjectPublicKeyInfo of an RSA-2048 key");
    assertThat(failure(verifier, recipient(nsm.attestation(null, null, rsa1024))).getMessage())
        .contains("RSA-1024");
    KmsError notRsa = failure(verifier, recipient(nsm.attestation(null, null, ecKey)));
    assertThat(notRsa.type()).isEqualTo("ValidationException");
    assertThat(notRsa.getMessage()).contains("is not an RSA");
  }

  @Test
  void publicKeyMustBeExactlyADerSubjectPublicKeyInfo() {
    byte[] spki = RSA_2048.getPublic().getEncoded();
    byte[] trailing = Arrays.copyOf(spki, spki.length + 1);
    byte[] pkcs1Only =
        Arrays.copyOfRange(spki, 24, spki.length); // the bare RSAPublicKey inside the BIT STRING
    byte[] random = new byte[294];
    RANDOM.nextBytes(random);

    for (byte[] key : List.of(trailing, pkcs1Only, random)) {
      KmsError error = failure(verifier, recipient(nsm.attestation(null, null, key)));
      assertThat(error.type()).isEqualTo("ValidationException");
      assertThat(error.getMessage()).contains("public_key");
    }
  }

  @Test
  void recipientJsonFromTheWireVerifies() throws Exception {
    String body =
        "{\"Recipient\":{\"AttestationDocument\":\""
            + Base64.getEncoder().encodeToString(documentFor(RSA_2048))
            + "\",\"KeyEncryptionAlgorithm\":\"RSAES_OAEP_SHA_256\",\"Unknown\":1}}";

    RSAPublicKey key = verifier.verify(JSON.readTree(body).get("Recipient")).publicKey();

    assertThat(key.getModulus().bitLength()).isEqualTo(2048);
  }

  @Test
  void realAwsDocumentPassesTrustAndAgeAndIsJudgedOnlyOnItsPublicKey() throws Exception {
    Path vectors =
        Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"), "real-attestation");
    // blocky prod: signed by the AWS root; public_key is 1024 bytes of 0x01, not a key.
    byte[] blocky =
        AttestationVerifier.readDocument(
            vectors.resolve("blocky-nitrite_nitro_attestation_2024-09-07.b64"));
    // tempo: signed by the AWS root, no public_key at all.
    byte[] tempo =
        AttestationVerifier.readDocument(vectors.resolve("tempo_aws_attestation_2026-01-03.b64"));

    KmsError noKey =
        failure(
            awsVerifierAt(Instant.ofEpochMilli(1767472867402L).plusSeconds(10)), recipient(tempo));
    KmsError badKey =
        failure(
            awsVerifierAt(Instant.ofEpochMilli(1725719859545L).plusSeconds(10)), recipient(blocky));

    assertThat(noKey.type()).isEqualTo("ValidationException");
    assertThat(noKey.getMessage()).contains("no public_key");
    assertThat(badKey.type()).isEqualTo("ValidationException");
    assertThat(badKey.getMessage()).contains("is not an RSA SubjectPublicKeyInfo");
    KmsError emulatorRootOnly = failure(verifier, recipient(tempo));
    assertThat(emulatorRootOnly.type()).isEqualTo("AccessDeniedException");
  }

  private static RecipientVerifier awsVerifierAt(Instant now) {
    MutableTestClock clock = new MutableTestClock(now);
    return new RecipientVerifier(
        AttestationVerifier.builder().trustAwsRoot().clock(clock).build(), MAX_AGE, clock);
  }

  @Test
  void maxAgeMustBePositive() {
    assertThatThrownBy(() -> new RecipientVerifier(null, Duration.ZERO, kmsClock))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(verifier.maxAge()).isEqualTo(MAX_AGE);
  }
}
