package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.CmsEnvelope;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code nitro-emu kms decrypt|generate-data-key} against a real {@code nitro-emu start} in a child
 * JVM (its NSM service over the emulated vsock network, its KMS mock over HTTP with SigV4): the key
 * policy names the stack's PCR0, so only a Recipient attested by a matching enclave decrypts.
 */
@Timeout(180)
class KmsCommandTest extends KmsCommandFixture {
  @Test
  void decryptsWithTheStacksNsmWhenThePolicyNamesItsPcr0() throws IOException {
    Path blob = encrypted(keyFor(pcr0), Map.of());

    Run toFile =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            blob.toString(),
            "--out",
            "plain.txt");
    assertThat(toFile.exitCode()).as(toFile.err()).isZero();
    assertThat(Files.readString(dir.resolve("plain.txt"))).isEqualTo(SECRET);
    assertThat(toFile.out()).isEmpty();
    assertThat(toFile.err())
        .contains(
            "attesting with the running stack's NSM at vsock://3:9797",
            endpoints.path("nsm").path("moduleId").asText(),
            "KMS " + endpoints.path("kms").path("endpoint").asText());

    Run toStdout =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            blob.toString());
    assertThat(toStdout.exitCode()).as(toStdout.err()).isZero();
    assertThat(toStdout.out().strip())
        .isEqualTo(Base64.getEncoder().encodeToString(SECRET.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void decryptUnderAPolicyNamingAnotherPcr0IsRefusedAndTheAuditSaysWhy() throws IOException {
    String keyId = keyFor("ab".repeat(48));
    Path blob = encrypted(keyId, Map.of());

    Run denied =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            blob.toString(),
            "--out",
            "plain.txt");
    assertThat(denied.exitCode()).isEqualTo(1);
    assertOneErrorLine(denied, "nitro-emu: kms decrypt refused: AccessDeniedException");
    assertThat(denied.err()).doesNotContain("statement");
    assertThat(dir.resolve("plain.txt")).doesNotExist();

    Run audit = run("audit", "--denied", "--state-dir", state.toString());
    assertThat(audit.exitCode()).as(audit.err()).isZero();
    String moduleId = endpoints.path("nsm").path("moduleId").asText();
    assertThat(audit.out().lines().filter(line -> line.contains(" Decrypt key=" + keyId + " ")))
        .singleElement()
        .asString()
        .contains(
            " denied: no Allow statement matched: statement 'enclave': kms:RecipientAttestation:PCR0 "
                + "StringEqualsIgnoreCase expected "
                + "ab".repeat(48)
                + " got "
                + pcr0
                + "; attestation document: module "
                + moduleId
                + ", PCR0 "
                + pcr0.substring(0, 16)
                + "..., PCR1 ")
        .containsPattern(", PCR8 [0-9a-f]{16}\\.\\.\\., age \\d+ s$")
        .doesNotContain(SECRET);
  }

  @Test
  void debugModeEnclaveFromTheOfflineNsmIsRefusedByThePcr0Policy() throws IOException {
    Path blob = encrypted(keyFor(pcr0), Map.of());

    Run denied =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--nsm",
            "offline",
            "--debug",
            "--ciphertext-blob",
            blob.toString());
    assertThat(denied.exitCode()).isEqualTo(1);
    assertThat(denied.err())
        .contains("attesting with an offline emulated NSM", "debug mode", "as --nsm offline asks");
    assertOneErrorLine(denied, "refused: AccessDeniedException");
    assertThat(denied.out()).isEmpty();
  }

  @Test
  void encryptionContextAndBase64BlobAreAccepted() throws IOException {
    String keyId = keyFor(pcr0);
    Path blob = encrypted(keyId, Map.of("app", "payments", "tier", "db"));
    Path base64 =
        Files.writeString(
            dir.resolve("secret.b64"),
            Base64.getMimeEncoder().encodeToString(Files.readAllBytes(blob)) + "\n");

    Run ok =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            base64.toString(),
            "--encryption-context",
            "app=payments",
            "--encryption-context",
            "tier=db",
            "--key-id",
            keyId,
            "--out",
            "p.txt");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    assertThat(Files.readString(dir.resolve("p.txt"))).isEqualTo(SECRET);

    Run wrongContext =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            blob.toString(),
            "--encryption-context",
            "app=other");
    assertThat(wrongContext.exitCode()).isEqualTo(1);
    assertOneErrorLine(wrongContext, "kms decrypt refused: InvalidCiphertextException");
  }

  @Test
  void generatedDataKeyDecryptsBackToTheSameKeyInsideTheEnclaveOnly() throws IOException {
    String keyId = keyFor(pcr0);

    Run made =
        run(
            "kms",
            "generate-data-key",
            "--state-dir",
            state.toString(),
            "--key-id",
            keyId,
            "--encryption-context",
            "purpose=test",
            "--out",
            "key.bin",
            "--ciphertext-out",
            "key.enc");
    assertThat(made.exitCode()).as(made.err()).isZero();
    byte[] dataKey = Files.readAllBytes(dir.resolve("key.bin"));
    assertThat(dataKey).hasSize(32);

    Run back =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            "key.enc",
            "--encryption-context",
            "purpose=test",
            "--out",
            "key2.bin");
    assertThat(back.exitCode()).as(back.err()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("key2.bin"))).isEqualTo(dataKey);

    Run aes128 =
        run(
            "kms",
            "generate-data-key",
            "--state-dir",
            state.toString(),
            "--key-id",
            keyId,
            "--key-spec",
            "AES_128");
    assertThat(aes128.exitCode()).as(aes128.err()).isZero();
    assertThat(Base64.getDecoder().decode(aes128.out().strip())).hasSize(16);
    assertThat(aes128.err()).contains("--ciphertext-out FILE keeps it");

    Run denied =
        run(
            "kms",
            "generate-data-key",
            "--state-dir",
            state.toString(),
            "--key-id",
            keyFor("cd".repeat(48)));
    assertThat(denied.exitCode()).isEqualTo(1);
    assertOneErrorLine(denied, "kms generate-data-key refused: AccessDeniedException");
  }

  @Test
  void givenRecipientKeyOpensTheSavedEnvelope() throws Exception {
    Path blob = encrypted(keyFor(pcr0), Map.of());
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    KeyPair own = rsa.generateKeyPair();
    String pem =
        "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(own.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
    Files.writeString(dir.resolve("enclave.pem"), pem);

    Run ok =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            blob.toString(),
            "--recipient-key",
            "enclave.pem",
            "--envelope-out",
            "envelope.der",
            "--out",
            "plain.txt");
    assertThat(ok.exitCode()).as(ok.err()).isZero();
    byte[] envelope = Files.readAllBytes(dir.resolve("envelope.der"));
    assertThat(new String(CmsEnvelope.open(envelope, own.getPrivate()), StandardCharsets.UTF_8))
        .isEqualTo(SECRET);

    Files.writeString(dir.resolve("not-a-key.pem"), "hello\n");
    Run badKey =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            state.toString(),
            "--ciphertext-blob",
            blob.toString(),
            "--recipient-key",
            "not-a-key.pem");
    assertThat(badKey.exitCode()).isEqualTo(2);
    assertThat(badKey.err()).contains("recipient key").doesNotContain("\tat ");
  }
}
