package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.enclave.EnclaveKmsClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * {@code nitro-emu kms decrypt|generate-data-key} against a real {@code nitro-emu start} in a child
 * JVM (its NSM service over the emulated vsock network, its KMS mock over HTTP with SigV4): the key
 * policy names the stack's PCR0, so only a Recipient attested by a matching enclave decrypts.
 */
@Timeout(180)
class KmsCommandTest {
  private static final String SECRET = "s3cr3t";

  @TempDir static Path shared;

  private static Process stack;
  private static Path state;
  private static JsonNode endpoints;
  private static KmsClient parent;
  private static String pcr0;

  @TempDir Path dir;

  /** One run of the command: exit code and what it printed. */
  record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void startStack() throws Exception {
    state = shared.resolve("state");
    Path log = shared.resolve("stack.log");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                NitroEmu.class.getName(),
                "start",
                "--state-dir",
                state.toString(),
                "--kms-port",
                "0",
                "--kms-proxy-port",
                "8002"));
    ProcessBuilder builder =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("NITRO_EMU_HOME", home().toString());
    builder.environment().remove("NITRO_VSOCK_MAP");
    stack = builder.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (!Files.readString(log).contains("nitro-emu: ready")) {
      if (!stack.isAlive() || System.nanoTime() > deadline) {
        throw new IOException("stack not ready: " + Files.readString(log));
      }
      stack.waitFor(100, TimeUnit.MILLISECONDS);
    }
    endpoints = new ObjectMapper().readTree(state.resolve("endpoints.json").toFile());
    JsonNode kms = endpoints.path("kms");
    parent =
        EnclaveKmsClient.kmsClient(
            URI.create(kms.path("endpoint").asText()),
            kms.path("region").asText(),
            kms.path("accessKeyId").asText(),
            kms.path("secretAccessKey").asText());
    pcr0 = endpoints.path("nsm").path("pcrs").path("PCR0").asText();
  }

  @AfterAll
  static void stopStack() throws Exception {
    if (parent != null) {
      parent.close();
    }
    if (stack != null && stack.isAlive()) {
      stack.destroy();
      if (!stack.waitFor(30, TimeUnit.SECONDS)) {
        stack.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static Path home() {
    return shared.resolve("home");
  }

  private Run run(Map<String, String> extraEnv, String... args) {
    Map<String, String> vars = new HashMap<>(extraEnv);
    vars.put("NITRO_EMU_HOME", home().toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(Map.copyOf(vars), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  private Run run(String... args) {
    return run(Map.of(), args);
  }

  /**
   * A key the account may use to Encrypt, and only an enclave whose PCR0 is {@code allowedPcr0} to
   * Decrypt.
   */
  private static String keyFor(String allowedPcr0) {
    String root = "arn:aws:iam::000000000000:root";
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Sid\":\"admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
            + root
            + "\"},"
            + "\"Action\":[\"kms:Encrypt\",\"kms:DescribeKey\",\"kms:PutKeyPolicy\",\"kms:GetKeyPolicy\"],\"Resource\":\"*\"},"
            + "{\"Sid\":\"enclave\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\""
            + root
            + "\"},"
            + "\"Action\":[\"kms:Decrypt\",\"kms:GenerateDataKey\"],\"Resource\":\"*\","
            + "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR0\":\""
            + allowedPcr0
            + "\"}}}]}";
    return parent.createKey(b -> b.policy(policy)).keyMetadata().keyId();
  }

  private Path encrypted(String keyId, Map<String, String> context) throws IOException {
    byte[] blob =
        parent
            .encrypt(
                b ->
                    b.keyId(keyId)
                        .plaintext(SdkBytes.fromUtf8String(SECRET))
                        .encryptionContext(context))
            .ciphertextBlob()
            .asByteArray();
    return Files.write(dir.resolve("secret.bin"), blob);
  }

  private static void assertOneErrorLine(Run run, String... parts) {
    List<String> failures =
        run.err()
            .lines()
            .filter(l -> !l.startsWith("nitro-emu: KMS ") && !l.startsWith("nitro-emu: attesting "))
            .toList();
    assertThat(failures).as(run.err()).hasSize(1);
    assertThat(failures.get(0)).contains(parts);
    assertThat(run.err()).doesNotContain("\tat ", "Exception:\n");
  }

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

  @Test
  void stackOnlyNsmWithoutAStackFailsWithAHintAndAutoFallsBackToOffline() throws IOException {
    Path blob = encrypted(keyFor(pcr0), Map.of());
    Path noStack = dir.resolve("no-stack");

    Run stackOnly =
        run(
            "kms",
            "decrypt",
            "--nsm",
            "stack",
            "--state-dir",
            noStack.toString(),
            "--ciphertext-blob",
            blob.toString());
    assertThat(stackOnly.exitCode()).isEqualTo(1);
    assertOneErrorLine(stackOnly, "no running stack", "nitro-emu start");

    // Offline: the same default CA the stack trusts and the default profile, so the same PCR0; KMS
    // named by the environment.
    Run offline =
        run(
            Map.of(
                "AWS_ENDPOINT_URL_KMS",
                endpoints.path("kms").path("endpoint").asText(),
                "AWS_ACCESS_KEY_ID",
                "test",
                "AWS_SECRET_ACCESS_KEY",
                "test",
                "AWS_REGION",
                "us-east-1"),
            "kms",
            "decrypt",
            "--state-dir",
            noStack.toString(),
            "--ciphertext-blob",
            blob.toString(),
            "--out",
            "plain.txt");
    assertThat(offline.exitCode()).as(offline.err()).isZero();
    assertThat(offline.err())
        .contains("attesting with an offline emulated NSM", "no running stack");
    assertThat(Files.readString(dir.resolve("plain.txt"))).isEqualTo(SECRET);
  }

  @Test
  void staleEndpointsFileFallsBackToOfflineUnlessTheStackIsRequired() throws IOException {
    Path stale = dir.resolve("stale");
    Files.createDirectories(stale);
    Files.writeString(stale.resolve("vsock-map.json"), "{}");
    Files.writeString(
        stale.resolve("endpoints.json"),
        "{\"mappingFile\": \""
            + stale.resolve("vsock-map.json").toString().replace("\\", "\\\\")
            + "\", \"nsm\": {\"vsock\": \"vsock://3:9797\", \"moduleId\": \"gone\"}}");
    Path blob = encrypted(keyFor(pcr0), Map.of());
    String kms = endpoints.path("kms").path("endpoint").asText();

    Run required =
        run(
            "kms",
            "decrypt",
            "--nsm",
            "stack",
            "--state-dir",
            stale.toString(),
            "--endpoint",
            kms,
            "--ciphertext-blob",
            blob.toString());
    assertThat(required.exitCode()).isEqualTo(1);
    assertOneErrorLine(required, "the stack's NSM at vsock://3:9797 is not reachable");

    Run auto =
        run(
            "kms",
            "decrypt",
            "--state-dir",
            stale.toString(),
            "--endpoint",
            kms,
            "--ciphertext-blob",
            blob.toString());
    assertThat(auto.exitCode()).as(auto.err()).isZero();
    assertThat(auto.err()).contains("offline emulated NSM", "not reachable");
  }

  @Test
  void badArgumentsExitTwoAndUnreachableKmsExitsOneWithOneLine() throws IOException {
    Files.write(dir.resolve("blob.bin"), new byte[] {1, 2, 3, (byte) 0xff});

    assertThat(run("kms").exitCode()).isEqualTo(2);
    Run missing = run("kms", "decrypt");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--ciphertext-blob");
    assertThat(run("kms", "decrypt", "--ciphertext-blob", "blob.bin", "--nsm", "device").exitCode())
        .isEqualTo(2);
    assertThat(run("kms", "decrypt", "--ciphertext-blob", "blob.bin", "--debug").err())
        .contains("add --nsm offline");
    assertThat(
            run(
                    "kms",
                    "decrypt",
                    "--ciphertext-blob",
                    "blob.bin",
                    "--encryption-context",
                    "novalue")
                .exitCode())
        .isEqualTo(2);
    assertThat(
            run(
                    "kms",
                    "decrypt",
                    "--ciphertext-blob",
                    "blob.bin",
                    "--endpoint",
                    "ftp://example.com")
                .exitCode())
        .isEqualTo(2);
    assertThat(run("kms", "generate-data-key", "--key-id", "k", "--key-spec", "AES_512").exitCode())
        .isEqualTo(2);
    assertThat(
            run(
                    Map.of("AWS_ACCESS_KEY_ID", "only-half"),
                    "kms",
                    "decrypt",
                    "--ciphertext-blob",
                    "blob.bin")
                .exitCode())
        .isEqualTo(2);
    Run noFile = run("kms", "decrypt", "--ciphertext-blob", "absent.bin");
    assertThat(noFile.exitCode()).isEqualTo(1);
    assertThat(noFile.err()).contains("ciphertext blob not found");

    int closedPort;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run unreachable =
        run(
            "kms",
            "decrypt",
            "--nsm",
            "offline",
            "--ciphertext-blob",
            "blob.bin",
            "--endpoint",
            "http://127.0.0.1:" + closedPort);
    assertThat(unreachable.exitCode()).isEqualTo(1);
    assertOneErrorLine(unreachable, "kms decrypt failed at http://127.0.0.1:" + closedPort);
  }
}
