package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clients outside the JVM that users point at the mock, run as processes: the AWS CLI (which
 * sends {@code Host} with the port), boto3, and {@code curl --aws-sigv4} (which signs only {@code
 * host}, {@code x-amz-date} and the headers given with {@code -H}). Each must still sign acceptably
 * for the signed-header and Host rules; each test is skipped, saying why, when its client is not
 * installed.
 */
@Timeout(180)
class ExternalClientsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long PROCESS_SECONDS = 90;

  @TempDir Path home;
  private KmsMockServer server;

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private record Run(int exit, String out, String err) {}

  private Run run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).directory(home.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("AWS_"));
    env.put("AWS_ACCESS_KEY_ID", "test");
    env.put("AWS_SECRET_ACCESS_KEY", "test");
    env.put("AWS_DEFAULT_REGION", server.region());
    env.put("AWS_CONFIG_FILE", home.resolve("config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", home.resolve("credentials").toString());
    env.put("AWS_PAGER", "");
    env.put("HOME", home.toString());
    Path out = home.resolve("out.txt");
    Path err = home.resolve("err.txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(command.get(0) + " did not finish within " + PROCESS_SECONDS + " s");
    }
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private static boolean installed(String... versionCommand) {
    try {
      Process process =
          new ProcessBuilder(versionCommand)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return process.waitFor(PROCESS_SECONDS, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void theAwsCliCreatesEncryptsAndDecryptsWithHostAndPort() throws Exception {
    assumeTrue(installed("aws", "--version"), "the AWS CLI ('aws') is not installed");
    Files.writeString(home.resolve("plain.txt"), "s3cr3t");
    String endpoint = "http://127.0.0.1:" + server.port();
    Run created =
        run(List.of("aws", "--endpoint-url", endpoint, "kms", "create-key", "--output", "json"));
    assertThat(created.exit()).as(created.err()).isZero();
    String keyId = JSON.readTree(created.out()).get("KeyMetadata").get("KeyId").asText();

    Run encrypted =
        run(
            List.of(
                "aws",
                "--endpoint-url",
                endpoint,
                "kms",
                "encrypt",
                "--key-id",
                keyId,
                "--plaintext",
                "fileb://plain.txt",
                "--query",
                "CiphertextBlob",
                "--output",
                "text"));
    assertThat(encrypted.exit()).as(encrypted.err()).isZero();
    Files.write(
        home.resolve("secret.bin"), Base64.getMimeDecoder().decode(encrypted.out().strip()));
    Run decrypted =
        run(
            List.of(
                "aws",
                "--endpoint-url",
                "http://localhost:" + server.port(),
                "kms",
                "decrypt",
                "--ciphertext-blob",
                "fileb://secret.bin",
                "--query",
                "Plaintext",
                "--output",
                "text"));
    assertThat(decrypted.exit()).as(decrypted.err()).isZero();
    assertThat(
            new String(
                Base64.getMimeDecoder().decode(decrypted.out().strip()), StandardCharsets.UTF_8))
        .isEqualTo("s3cr3t");
    assertThat(server.auditLog().events()).allSatisfy(e -> assertThat(e.errorCode()).isNull());
  }

  @Test
  void boto3ListsKeysAndDescribesOne() throws Exception {
    assumeTrue(installed("python3", "-c", "import boto3"), "python3 with boto3 is not installed");
    String script =
        String.join(
            "\n",
            "import boto3, json, sys",
            "kms = boto3.client('kms', endpoint_url=sys.argv[1])",
            "key = kms.create_key(Description='boto3')['KeyMetadata']['KeyId']",
            "state = kms.describe_key(KeyId=key)['KeyMetadata']['KeyState']",
            "print(json.dumps({'keys': len(kms.list_keys()['Keys']), 'state': state}))");
    Run run = run(List.of("python3", "-c", script, server.endpoint().toString()));

    assertThat(run.exit()).as(run.err()).isZero();
    JsonNode result = JSON.readTree(run.out());
    assertThat(result.get("keys").asInt()).isEqualTo(1);
    assertThat(result.get("state").asText()).isEqualTo("Enabled");
  }

  @Test
  void curlSignsHostDateAndItsOwnHeadersAndIsRefusedUnderAForeignHost() throws Exception {
    assumeTrue(installed("curl", "--version"), "curl is not installed");
    List<String> curl =
        new ArrayList<>(
            List.of(
                "curl",
                "-sS",
                "--aws-sigv4",
                "aws:amz:" + server.region() + ":kms",
                "--user",
                "test:test",
                "-H",
                "X-Amz-Target: TrentService.CreateKey",
                "-H",
                "Content-Type: application/x-amz-json-1.1",
                "--data-binary",
                "{\"Description\":\"curl\"}",
                "-w",
                "\\n%{http_code}",
                server.endpoint() + "/"));
    Run created = run(curl);
    assertThat(created.exit()).as(created.err()).isZero();
    assertThat(created.out()).endsWith("\n200").contains("\"KeyMetadata\"");

    curl.add(curl.size() - 1, "-H");
    curl.add(curl.size() - 1, "Host: rebind.attacker.example:" + server.port());
    Run rebound = run(curl);
    assertThat(rebound.out()).endsWith("\n421").contains("InvalidHostHeaderException");
    assertThat(server.auditLog().events())
        .extracting(AuditEvent::errorCode)
        .containsExactly(null, "InvalidHostHeaderException");
  }
}
