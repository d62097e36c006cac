package com.example.secret;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nitroemu.container.EnclaveContainer;
import dev.nitroemu.container.EnclaveWaits;
import dev.nitroemu.container.JavaEnclaveImage;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;

/** The enclave image, run as an enclave under real Docker, unseals a KMS secret only its PCR0 may use. */
class AttestedSecretTest {

  /** Decrypt only with an attestation document whose PCR0 is IMAGE_PCR0. */
  private static final String POLICY = """
      {"Version": "2012-10-17", "Statement": [
        {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${ACCOUNT_ID}:root"},
         "Action": ["kms:Encrypt", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy"], "Resource": "*"},
        {"Sid": "OnlyTheEnclaveImage", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${ACCOUNT_ID}:root"},
         "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "IMAGE_PCR0"}}}]}
      """;

  private static final byte[] SECRET = "database password: correct horse".getBytes(StandardCharsets.UTF_8);

  private static EnclaveContainer enclave;
  private static SecretParent parent;

  @BeforeAll
  static void startTheEnclave() {
    assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
        "Docker is not available: this test runs the enclave image in a container");
    var image = JavaEnclaveImage.builder("com.example.secret.SecretEnclave")
        .classes(Path.of(System.getProperty("app.classes")))   // target/classes
        .jars(Path.of(System.getProperty("app.lib")))          // target/app-lib: enclave-runtime and its dependencies
        .cacheDirectory(Path.of(System.getProperty("app.image.cache")))
        .name("attested-secret:test")
        .build();                                               // FROM scratch + a jlink'd JDK runtime; no registry
    enclave = new EnclaveContainer(image)
        .withMemoryMib(512)
        .withEnvironment(EnclaveEnvironment.builder()
            .kmsKey("app-secret", POLICY.replace("IMAGE_PCR0", "${PCR0}"))          // this image's PCR0
            .kmsKey("other-image", POLICY.replace("IMAGE_PCR0", "ab".repeat(48))))  // some other image's
        .waitingFor(EnclaveWaits.listeningOnVsockPort(Wire.ENCLAVE_PORT));
    enclave.start();
    parent = new SecretParent(enclave.parentTransport(), enclave.environment().verifier());
  }

  @AfterAll
  static void stopTheEnclave() {
    if (enclave != null) {
      enclave.stop();
    }
  }

  @Test
  void theEnclaveUnsealsTheSecretAndAnswersWithAnAttestationThatProvesIt() throws Exception {
    EnclaveEnvironment environment = enclave.environment();
    byte[] sealed = SecretParent.seal(environment.kmsClient(), environment.info().kmsKeyId("app-secret"), SECRET);
    byte[] nonce = nonce();

    VerifiedAttestation answer = parent.ask(VsockAddress.of(enclave.enclaveCid(), Wire.ENCLAVE_PORT), nonce, sealed);

    assertArrayEquals(nonce, answer.document().nonce());
    assertArrayEquals(enclave.measurements().pcr0(), answer.document().pcr(0));
    assertEquals(120, answer.document().publicKey().length, "the enclave's P-384 public key (DER) is bound in");
    assertTrue(SecretParent.provesSecret(answer, enclave.measurements().pcr0(), SECRET, nonce));
    assertTrue(!SecretParent.provesSecret(answer, enclave.measurements().pcr0(), "a guess".getBytes(), nonce));
  }

  @Test
  void aSecretSealedForAnotherImageIsRefusedByKms() throws Exception {
    EnclaveEnvironment environment = enclave.environment();
    byte[] sealed = SecretParent.seal(environment.kmsClient(), environment.info().kmsKeyId("other-image"), SECRET);

    SecretParent.EnclaveRefusedException refused = assertThrows(SecretParent.EnclaveRefusedException.class,
        () -> parent.ask(VsockAddress.of(enclave.enclaveCid(), Wire.ENCLAVE_PORT), nonce(), sealed));
    assertTrue(refused.getMessage().contains("not authorized to perform: kms:Decrypt"), refused.getMessage());
  }

  private static byte[] nonce() {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    return nonce;
  }
}
