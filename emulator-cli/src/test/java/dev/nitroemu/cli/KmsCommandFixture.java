package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.EnclaveKmsClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * A real {@code nitro-emu start} in a child JVM for the {@code nitro-emu kms} tests (one per test
 * class), with the helpers that run the command and make keys and blobs under its KMS.
 */
@Timeout(180)
abstract class KmsCommandFixture {
  static final String SECRET = "s3cr3t";

  @TempDir static Path shared;

  private static Process stack;
  static Path state;
  static JsonNode endpoints;
  static KmsClient parent;
  static String pcr0;

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

  static Path home() {
    return shared.resolve("home");
  }

  Run run(Map<String, String> extraEnv, String... args) {
    Map<String, String> vars = new HashMap<>(extraEnv);
    vars.put("NITRO_EMU_HOME", home().toString());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(Map.copyOf(vars), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  Run run(String... args) {
    return run(Map.of(), args);
  }

  /**
   * A key the account may use to Encrypt, and only an enclave whose PCR0 is {@code allowedPcr0} to
   * Decrypt.
   */
  static String keyFor(String allowedPcr0) {
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

  Path encrypted(String keyId, Map<String, String> context) throws IOException {
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

  static void assertOneErrorLine(Run run, String... parts) {
    List<String> failures =
        run.err()
            .lines()
            .filter(l -> !l.startsWith("nitro-emu: KMS ") && !l.startsWith("nitro-emu: attesting "))
            .toList();
    assertThat(failures).as(run.err()).hasSize(1);
    assertThat(failures.get(0)).contains(parts);
    assertThat(run.err()).doesNotContain("\tat ", "Exception:\n");
  }
}
