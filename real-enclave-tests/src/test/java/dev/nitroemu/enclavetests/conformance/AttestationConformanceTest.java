package dev.nitroemu.enclavetests.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.junit.RequiresNitro;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The attestation round trip a relying party runs: attest, verify against the mode's root (the
 * emulator's, or AWS's on hardware), check the nonce, and trust the public key the document binds.
 */
@NitroEnclaveTest
class AttestationConformanceTest {

  /** A user PCR this class alone extends and locks (see the package notes). */
  private static final int ATTESTED_LOCK_PCR = 18;

  private static final SecureRandom RANDOM = new SecureRandom();

  @Test
  void documentVerifiesAgainstTheModesRootAndEchoesItsInputs(
      Nsm nsm, AttestationVerifier verifier, EnclaveRuntimeInfo info) {
    byte[] nonce = random(32);
    byte[] userData = "conformance: round trip".getBytes(StandardCharsets.UTF_8);
    byte[] publicKey = random(91);

    VerifiedAttestation verified =
        verifier.verify(
            nsm.attestation(userData, nonce, publicKey),
            VerificationOptions.defaults().expectNonce(nonce));

    AttestationDocument document = verified.document();
    assertThat(verified.root()).isEqualTo(info.rootCertificate());
    assertThat(document.nonce()).isEqualTo(nonce);
    assertThat(document.userData()).isEqualTo(userData);
    assertThat(document.publicKey()).isEqualTo(publicKey);
    assertThat(document.moduleId()).isEqualTo(nsm.describeNsm().moduleId());
    assertThat(document.pcrs())
        .containsKeys(IntStream.range(0, 16).boxed().toArray(Integer[]::new));
    for (int index = 0; index < 16; index++) {
      assertThat(document.pcr(index)).as("PCR%d", index).isEqualTo(nsm.describePcr(index).data());
    }
  }

  @Test
  void aDocumentForAnotherNonceIsRefused(Nsm nsm, AttestationVerifier verifier) {
    byte[] document = nsm.attestation(null, random(32), null);

    assertThatThrownBy(
            () -> verifier.verify(document, VerificationOptions.defaults().expectNonce(random(32))))
        .isInstanceOfSatisfying(
            AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(AttestationException.Reason.NONCE_MISMATCH));
  }

  @Test
  void fieldsOf1024BytesEachFitAndComeBackVerbatim(Nsm nsm, AttestationVerifier verifier) {
    byte[] userData = random(AttestationDocument.MAX_OPTIONAL_FIELD);
    byte[] nonce = random(AttestationDocument.MAX_OPTIONAL_FIELD);
    byte[] publicKey = random(AttestationDocument.MAX_OPTIONAL_FIELD);

    AttestationDocument document =
        verifier
            .verify(
                nsm.attestation(userData, nonce, publicKey),
                VerificationOptions.defaults().expectNonce(nonce))
            .document();

    assertThat(document.userData()).isEqualTo(userData);
    assertThat(document.nonce()).isEqualTo(nonce);
    assertThat(document.publicKey()).isEqualTo(publicKey);
  }

  @Test
  void theDocumentBindsAnEphemeralKeyARelyingPartyCanUse(Nsm nsm, AttestationVerifier verifier)
      throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair enclaveKey = generator.generateKeyPair();
    byte[] nonce = random(32);

    AttestationDocument document =
        verifier
            .verify(
                nsm.attestation(null, nonce, enclaveKey.getPublic().getEncoded()),
                VerificationOptions.defaults().expectNonce(nonce))
            .document();

    // The relying party takes the key from the verified document and checks a signature with it.
    PublicKey attested =
        KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(document.publicKey()));
    byte[] message = "conformance: key binding".getBytes(StandardCharsets.UTF_8);
    Signature signer = Signature.getInstance("SHA384withECDSA");
    signer.initSign(enclaveKey.getPrivate());
    signer.update(message);
    byte[] signature = signer.sign();
    Signature checker = Signature.getInstance("SHA384withECDSA");
    checker.initVerify(attested);
    checker.update(message);
    assertThat(checker.verify(signature)).isTrue();
  }

  @Test
  void aLockedUserPcrIsAttestedWithItsValue(Nsm nsm, AttestationVerifier verifier) {
    byte[] value =
        nsm.extendPcr(
            ATTESTED_LOCK_PCR, "conformance: attested lock".getBytes(StandardCharsets.UTF_8));
    nsm.lockPcr(ATTESTED_LOCK_PCR);

    AttestationDocument document = verifier.verify(nsm.attestation(null, null, null)).document();

    assertThat(document.pcrs()).containsKey(ATTESTED_LOCK_PCR);
    assertThat(document.pcr(ATTESTED_LOCK_PCR)).isEqualTo(value);
  }

  @Test
  @RequiresNitro("only hardware documents chain to the AWS Nitro Enclaves root")
  void hardwareDocumentsChainToTheAwsRoot(Nsm nsm) {
    VerifiedAttestation verified =
        AttestationVerifier.forAwsRoot().verify(nsm.attestation(null, null, null));

    assertThat(verified.root()).isEqualTo(AttestationVerifier.awsRoot());
  }

  @Test
  @RequiresNitro("the parent hands the build measurements in as nitro.enclave.measurements")
  void attestedImagePcrsAreTheBuildMeasurements(
      Nsm nsm, AttestationVerifier verifier, EnclaveRuntimeInfo info) {
    String measurements = System.getProperty("nitro.enclave.measurements");
    assertThat(measurements)
        .as("nitro.enclave.measurements (run-nightly.sh passes it)")
        .isNotBlank();
    EnclaveProfile built = EnclaveProfile.fromNitroCliOutput(measurements);

    AttestationDocument document = verifier.verify(nsm.attestation(null, null, null)).document();

    assertThat(info.debug()).as("the nightly enclave runs without --debug-mode").isFalse();
    for (int index : new int[] {0, 1, 2}) {
      assertThat(document.pcr(index)).as("PCR%d", index).isEqualTo(built.imagePcr(index));
    }
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    RANDOM.nextBytes(bytes);
    return bytes;
  }
}
