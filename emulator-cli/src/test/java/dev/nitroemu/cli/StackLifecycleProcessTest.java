package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The stack as a service, driven as a user drives it: {@code start --detach}, {@code status},
 * {@code stop}, a restart on the same state directory, and what a second stack or a vsock-proxy may
 * not take. Every command is its own JVM; the stack runs in a background JVM of its own.
 */
@Timeout(300)
class StackLifecycleProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  /** One command's exit code and output. */
  record Run(int exitCode, String out, String err) {}

  @AfterEach
  void stopWhatWasStarted() {
    // In this JVM: stop signals the background stack by the pid in its lock record.
    NitroEmu.execute(
        environment(),
        new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()),
        "stop",
        "--state-dir",
        dir.resolve("state").toString());
  }

  @Test
  void detachStatusStopAndARestartKeepEveryKeyAliasPolicyAndCiphertext() throws Exception {
    String state = dir.resolve("state").toString();
    String declarations =
        Path.of(getClass().getResource("/kms/enclave-secret.json").toURI()).getParent().toString();
    Run started =
        cli(
            "start",
            "--detach",
            "--state-dir",
            state,
            "--kms-port",
            "0",
            "--kms-keys",
            declarations);
    assertThat(started.exitCode()).as(started.err()).isZero();
    assertThat(started.out())
        .contains("NSM        vsock://3:9797")
        .contains("KMS        http://127.0.0.1:")
        .containsPattern(
            "KMS key    alias/enclave-secret -> arn:aws:kms:us-east-1:000000000000:key/[0-9a-f-]{36} \\(created\\)")
        .contains("running in the background (pid ");
    String seededLine =
        started.out().lines().filter(line -> line.startsWith("KMS key")).findFirst().orElseThrow();
    String seededArn =
        seededLine.substring(seededLine.indexOf("-> ") + 3, seededLine.indexOf(" (created)"));

    Run status = cli("status", "--state-dir", state, "--json");
    assertThat(status.exitCode()).as(status.err()).isZero();
    JsonNode report = JSON.readTree(status.out());
    assertThat(report.path("running").asBoolean()).isTrue();
    assertThat(report.path("health").path("services").path("nsm").path("address").asText())
        .isEqualTo("vsock://3:9797");
    assertThat(report.path("health").path("services").path("kms-proxy").path("address").asText())
        .isEqualTo("vsock://3:8000");
    assertThat(report.path("endpoints").path("kmsState").asText()).isEqualTo("persistent");
    Run human = cli("status", "--state-dir", state);
    assertThat(human.out())
        .contains("running    pid " + report.path("pid").asLong())
        .contains("health     running: kms running, nsm running, kms-proxy running");

    String pcr0 = report.path("endpoints").path("nsm").path("pcrs").path("PCR0").asText();
    byte[] blob;
    String keyId;
    try (KmsClient kms = kms(report)) {
      keyId = kms.createKey(r -> r.description("survives restarts")).keyMetadata().keyId();
      kms.createAlias(r -> r.aliasName("alias/kept").targetKeyId(keyId));
      kms.putKeyPolicy(r -> r.keyId(keyId).policyName("default").policy(policy(pcr0)));
      blob =
          kms.encrypt(r -> r.keyId("alias/kept").plaintext(SdkBytes.fromUtf8String("s3cr3t")))
              .ciphertextBlob()
              .asByteArray();
    }

    Run stopped = cli("stop", "--state-dir", state);
    assertThat(stopped.exitCode()).as(stopped.err()).isZero();
    assertThat(stopped.out())
        .contains("stopped the stack (pid " + report.path("pid").asLong() + ")");
    Run down = cli("status", "--state-dir", state);
    assertThat(down.exitCode()).isEqualTo(StatusCommand.NOT_RUNNING);
    assertThat(down.out()).contains("no stack is running on state directory");
    assertThat(Path.of(state, "endpoints.json")).doesNotExist();

    Run again =
        cli(
            "start",
            "--detach",
            "--state-dir",
            state,
            "--kms-port",
            "0",
            "--kms-keys",
            declarations);
    assertThat(again.exitCode()).as(again.err()).isZero();
    assertThat(again.out()).contains("KMS key    alias/enclave-secret -> " + seededArn + " (kept)");
    JsonNode restarted = JSON.readTree(cli("status", "--state-dir", state, "--json").out());
    try (KmsClient kms = kms(restarted)) {
      assertThat(kms.describeKey(r -> r.keyId("alias/kept")).keyMetadata().keyId())
          .isEqualTo(keyId);
      assertThat(kms.getKeyPolicy(r -> r.keyId(keyId).policyName("default")).policy())
          .contains(pcr0);
      // The policy survived: Decrypt without attestation is still denied...
      assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
          .hasMessageContaining("not authorized");
    }
    // ...and the enclave, attesting through the restarted stack's NSM, decrypts the old ciphertext.
    try (KmsClient kms = kms(restarted);
        VsockNetwork network =
            VsockNetwork.builder()
                .mappingFile(Path.of(restarted.path("endpoints").path("mappingFile").asText()))
                .build();
        RemoteNsm nsm = RemoteNsm.connect(network, VsockAddress.parse("vsock://3:9797"));
        EnclaveKmsClient enclave = EnclaveKmsClient.builder().nsm(nsm).kmsClient(kms).build()) {
      assertThat(new String(enclave.decrypt(blob), StandardCharsets.UTF_8)).isEqualTo("s3cr3t");
    }
  }

  @Test
  void aSecondStartOnTheSameDirectoryRefusesInOneLineAndTouchesNothingOfTheFirst()
      throws Exception {
    Path state = dir.resolve("state");
    assertThat(
            cli("start", "--detach", "--state-dir", state.toString(), "--kms-port", "0").exitCode())
        .isZero();
    String mapping = Files.readString(state.resolve("vsock-map.json"));
    String endpoints = Files.readString(state.resolve("endpoints.json"));

    Run second = cli("start", "--state-dir", state.toString(), "--kms-port", "0");
    assertThat(second.exitCode()).isEqualTo(1);
    assertThat(second.err().lines())
        .hasSize(1)
        .first()
        .asString()
        .startsWith(
            "nitro-emu: state directory "
                + state.toAbsolutePath()
                + " is in use by the stack with pid ");
    Run secondDetached =
        cli("start", "--detach", "--state-dir", state.toString(), "--kms-port", "0");
    assertThat(secondDetached.exitCode()).isEqualTo(1);
    assertThat(secondDetached.err().lines()).hasSize(1);

    assertThat(Files.readString(state.resolve("vsock-map.json"))).isEqualTo(mapping);
    assertThat(Files.readString(state.resolve("endpoints.json"))).isEqualTo(endpoints);
    assertThat(
            JSON.readTree(cli("status", "--state-dir", state.toString(), "--json").out())
                .path("health")
                .path("status")
                .asText())
        .isEqualTo("running");
  }

  @Test
  void vsockProxyRefusesTheKmsAddressTheStackOwns() throws Exception {
    Path state = dir.resolve("state");
    assertThat(
            cli("start", "--detach", "--state-dir", state.toString(), "--kms-port", "0").exitCode())
        .isZero();
    Path mapping = state.resolve("vsock-map.json");
    String before = Files.readString(mapping);
    Files.writeString(dir.resolve("allow.yaml"), "allowlist:\n- {address: 127.0.0.1, port: 9}\n");

    Run proxy =
        cli(
            Map.of("NITRO_VSOCK_MAP", mapping.toString()),
            "vsock-proxy",
            "8000",
            "127.0.0.1",
            "9",
            "--config",
            dir.resolve("allow.yaml").toString());

    assertThat(proxy.exitCode()).isEqualTo(1);
    assertThat(proxy.err().lines())
        .hasSize(1)
        .first()
        .asString()
        .contains("Address already in use: vsock://3:8000")
        .contains(mapping.toAbsolutePath().toString());
    assertThat(Files.readString(mapping)).isEqualTo(before);
  }

  @Test
  void requestLogAuditEnvAndTheRunningStacksNsmForAttestAndPcrs() throws Exception {
    Path state = dir.resolve("state");
    Run started =
        cli(
            "start",
            "--detach",
            "--state-dir",
            state.toString(),
            "--kms-port",
            "0",
            "--log-requests");
    assertThat(started.exitCode()).as(started.err()).isZero();
    assertThat(started.out())
        .contains("enclave    profile built-in default, debug mode off")
        .containsPattern("PCR0 [0-9a-f]{96}");

    Run exports = cli("env", "--state-dir", state.toString());
    assertThat(exports.exitCode()).as(exports.err()).isZero();
    Map<String, String> env = new java.util.HashMap<>();
    exports
        .out()
        .lines()
        .forEach(
            line -> {
              assertThat(line).startsWith("export ");
              env.put(line.substring(7, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
            });
    assertThat(env)
        .containsEntry("AWS_ACCESS_KEY_ID", "test")
        .containsEntry("AWS_SECRET_ACCESS_KEY", "test")
        .containsEntry("AWS_REGION", "us-east-1")
        .containsEntry("AWS_DEFAULT_REGION", "us-east-1")
        .containsEntry(
            "NITRO_VSOCK_MAP", state.toAbsolutePath().resolve("vsock-map.json").toString())
        .hasEntrySatisfying(
            "AWS_ENDPOINT_URL_KMS", url -> assertThat(url).startsWith("http://127.0.0.1:"));

    Process follow =
        command("audit", "--follow", "--state-dir", state.toString())
            .redirectOutput(dir.resolve("follow.txt").toFile())
            .redirectError(dir.resolve("follow-err.txt").toFile())
            .start();
    String keyId;
    try (KmsClient kms =
        EnclaveKmsClient.kmsClient(
            URI.create(env.get("AWS_ENDPOINT_URL_KMS")), "us-east-1", "test", "test")) {
      keyId = kms.createKey(r -> r.description("denies Decrypt")).keyMetadata().keyId();
      kms.putKeyPolicy(
          r ->
              r.keyId(keyId)
                  .policyName("default")
                  .policy(policy("00".repeat(48)))
                  .bypassPolicyLockoutSafetyCheck(true));
      byte[] blob =
          kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("never-logged")))
              .ciphertextBlob()
              .asByteArray();
      assertThatThrownBy(() -> kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(blob))))
          .hasMessageContaining("not authorized");
    }

    Run audit = cli("audit", "--state-dir", state.toString());
    assertThat(audit.out().lines()).hasSize(4);
    assertThat(audit.out())
        .contains("CreateKey key=" + keyId)
        .contains(" Encrypt key=" + keyId)
        .contains(" Decrypt key=" + keyId + " principal=arn:aws:iam::000000000000:root denied")
        .doesNotContain("never-logged");
    Run denied = cli("audit", "--denied", "--state-dir", state.toString());
    assertThat(denied.out().lines())
        .singleElement()
        .asString()
        .contains(" Decrypt key=" + keyId)
        .endsWith(
            " denied: no Allow statement matched: statement 'enclave': kms:RecipientAttestation:PCR0 "
                + "StringEqualsIgnoreCase expected "
                + "00".repeat(48)
                + " got nothing; the request carried no attestation "
                + "document (Recipient)");
    Run json = cli("audit", "--json", "--denied", "--state-dir", state.toString());
    assertThat(JSON.readTree(json.out()).path("errorCode").asText())
        .isEqualTo("AccessDeniedException");

    String stackLog = Files.readString(state.resolve("stack.log"));
    assertThat(stackLog)
        .containsPattern(
            "kms \\S+Z Decrypt key="
                + keyId
                + " principal=\\S+ denied \\d+ ms: no Allow "
                + "statement matched: statement 'enclave': kms:RecipientAttestation:PCR0 StringEqualsIgnoreCase expected 0+ got "
                + "nothing")
        .doesNotContain("never-logged");

    Run pcrs = cli("pcrs", "--state-dir", state.toString());
    assertThat(pcrs.err()).contains("PCRs reported by the running stack's NSM at vsock://3:9797");
    assertThat(pcrs.out())
        .contains(
            "PCR0  "
                + JSON.readTree(Files.readString(state.resolve("endpoints.json")))
                    .path("nsm")
                    .path("pcrs")
                    .path("PCR0")
                    .asText());
    Run attest =
        cli("attest", "--state-dir", state.toString(), "--nonce", "0102", "--out", "doc.cbor");
    assertThat(attest.exitCode()).as(attest.err()).isZero();
    assertThat(attest.err()).contains("attested by the running stack's NSM at vsock://3:9797");
    String moduleId =
        JSON.readTree(Files.readString(state.resolve("endpoints.json")))
            .path("nsm")
            .path("moduleId")
            .asText();
    assertThat(attest.out()).contains("attestation document for " + moduleId);
    assertThat(cli("attest", "--offline", "--out", "offline.cbor").err())
        .contains("attested by a fresh software NSM");

    // --follow printed the calls as they happened and ends when the stack stops.
    try {
      assertThat(cli("stop", "--state-dir", state.toString()).exitCode()).isZero();
      assertThat(follow.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(Files.readString(dir.resolve("follow.txt"))).contains(" Decrypt key=" + keyId);
    } finally {
      follow.destroyForcibly();
    }
  }

  private static KmsClient kms(JsonNode status) {
    JsonNode kms = status.path("endpoints").path("kms");
    return EnclaveKmsClient.kmsClient(
        URI.create(kms.path("endpoint").asText()),
        kms.path("region").asText(),
        kms.path("accessKeyId").asText(),
        kms.path("secretAccessKey").asText());
  }

  private static String policy(String pcr0) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":["
        + "{\"Sid\":\"admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
        + "\"Action\":[\"kms:Encrypt\",\"kms:DescribeKey\",\"kms:PutKeyPolicy\",\"kms:GetKeyPolicy\"],\"Resource\":\"*\"},"
        + "{\"Sid\":\"enclave\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
        + "\"Action\":\"kms:Decrypt\",\"Resource\":\"*\","
        + "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR0\":\""
        + pcr0
        + "\"}}}]}";
  }

  private NitroEmu.CliEnvironment environment() {
    return new NitroEmu.CliEnvironment(
        Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC());
  }

  private Run cli(String... args) throws Exception {
    return cli(Map.of(), args);
  }

  /** The command line of {@code nitro-emu ARGS} as its own JVM. */
  private ProcessBuilder command(String... args) {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                NitroEmu.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().put("NITRO_EMU_HOME", dir.resolve("home").toString());
    builder.environment().remove("NITRO_VSOCK_MAP");
    return builder;
  }

  /**
   * Runs {@code nitro-emu ARGS} as its own JVM (bounded wait), with extra environment variables.
   */
  private Run cli(Map<String, String> extraEnv, String... args) throws Exception {
    ProcessBuilder builder = command(args);
    builder.environment().putAll(extraEnv);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(
          "nitro-emu " + String.join(" ", args) + " did not finish: " + Files.readString(err));
    }
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }
}
