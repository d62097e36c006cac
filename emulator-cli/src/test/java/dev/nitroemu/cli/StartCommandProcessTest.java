package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * Runs {@code nitro-emu start} as a separate JVM, uses its NSM and proxy by vsock address, and
 * stops it with SIGTERM.
 */
@Timeout(120)
class StartCommandProcessTest {
  private static final String FIXED_KEY_ID = "5f3ad7c8-4e9b-4d4c-9a1e-6b2f1c0d9e8a";

  @TempDir Path dir;

  private Process process;
  private ServerSocket echoServer;
  private Path log;

  @AfterEach
  void tearDown() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (echoServer != null) {
      echoServer.close();
    }
  }

  @Test
  void startEifServesDocumentsWithTheEifsPcrs() throws Exception {
    Path image =
        Path.of(
                System.getProperty("nitro.vectors.dir", "../test-vectors"),
                "eif",
                "v4-x86_64-2ramdisks-signed.eif")
            .toAbsolutePath();
    dev.nitroemu.enclave.EifFile eif = dev.nitroemu.enclave.EifFile.read(image);
    Path state = dir.resolve("state");
    log = dir.resolve("stack.log");
    process =
        startStack(state, "--kms-port", "0", "--kms-proxy-port", "8003", "--eif", image.toString());

    JsonNode endpoints = new ObjectMapper().readTree(state.resolve("endpoints.json").toFile());
    X509Certificate root = certificate(Path.of(endpoints.path("rootCaPem").asText()));
    try (VsockNetwork network =
            VsockNetwork.builder()
                .mappingFile(Path.of(endpoints.path("mappingFile").asText()))
                .build();
        RemoteNsm nsm = RemoteNsm.connect(network, VsockAddress.parse("vsock://3:9797"))) {
      var document =
          AttestationVerifier.forRoot(root).verify(nsm.attestation(null, null, null)).document();
      assertThat(document.pcr(0)).isEqualTo(eif.pcr0());
      assertThat(document.pcr(1)).isEqualTo(eif.pcr1());
      assertThat(document.pcr(2)).isEqualTo(eif.pcr2());
      assertThat(document.pcr(8)).isEqualTo(eif.pcr8().orElseThrow());
    }
    process.destroy();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void stackServesNsmAndProxyByVsockAddressAndStopsCleanlyOnSigterm() throws Exception {
    echoServer = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    CompletableFuture.runAsync(this::echoOnce);
    Path state = dir.resolve("state");
    log = dir.resolve("stack.log");
    process =
        startStack(
            state,
            "--kms-port",
            "0",
            "--kms-proxy-port",
            "8001",
            "--proxy",
            "8000:127.0.0.1:" + echoServer.getLocalPort());

    JsonNode endpoints = new ObjectMapper().readTree(state.resolve("endpoints.json").toFile());
    assertThat(endpoints.path("nsm").path("vsock").asText()).isEqualTo("vsock://3:9797");
    Path mapping = Path.of(endpoints.path("mappingFile").asText());
    X509Certificate root = certificate(Path.of(endpoints.path("rootCaPem").asText()));

    // Another process's view: only the mapping file and vsock addresses.
    try (VsockNetwork network = VsockNetwork.builder().mappingFile(mapping).build();
        RemoteNsm nsm = RemoteNsm.connect(network, VsockAddress.parse("vsock://3:9797"))) {
      byte[] nonce = {4, 2};
      VerifiedAttestation verified =
          AttestationVerifier.forRoot(root)
              .verify(
                  nsm.attestation(null, nonce, null),
                  VerificationOptions.defaults().expectNonce(nonce));
      assertThat(verified.document().moduleId())
          .isEqualTo(endpoints.path("nsm").path("moduleId").asText());
      assertThat(nsm.describeNsm().moduleId()).isEqualTo(verified.document().moduleId());

      // KMS: the parent encrypts under a key whose policy names the enclave's PCR0; the enclave
      // decrypts
      // through the vsock-proxy with Recipient, exactly as on hardware.
      JsonNode kms = endpoints.path("kms");
      assertThat(kms.path("vsockProxy").path("vsock").asText()).isEqualTo("vsock://3:8001");
      String pcr0 = endpoints.path("nsm").path("pcrs").path("PCR0").asText();
      try (KmsClient parent =
          EnclaveKmsClient.kmsClient(
              URI.create(kms.path("endpoint").asText()),
              kms.path("region").asText(),
              kms.path("accessKeyId").asText(),
              kms.path("secretAccessKey").asText())) {
        String keyId = parent.createKey(b -> b.policy(pcr0Policy(pcr0))).keyMetadata().keyId();
        // LocalStack's _custom_id_ tag is honoured unless --kms-strict-aws.
        assertThat(
                parent
                    .createKey(b -> b.tags(t -> t.tagKey("_custom_id_").tagValue(FIXED_KEY_ID)))
                    .keyMetadata()
                    .keyId())
            .isEqualTo(FIXED_KEY_ID);
        byte[] blob =
            parent
                .encrypt(b -> b.keyId(keyId).plaintext(SdkBytes.fromUtf8String("s3cr3t")))
                .ciphertextBlob()
                .asByteArray();
        assertThatThrownBy(
                () -> parent.decrypt(b -> b.ciphertextBlob(SdkBytes.fromByteArray(blob))))
            .isInstanceOf(KmsException.class)
            .hasMessageContaining("not authorized");
        InetSocketAddress proxyTcp =
            network.tcpEndpoint(VsockAddress.parse("vsock://3:8001")).orElseThrow();
        try (EnclaveKmsClient enclave =
            EnclaveKmsClient.builder()
                .nsm(nsm)
                .endpoint(URI.create("http://127.0.0.1:" + proxyTcp.getPort()))
                .region(kms.path("region").asText())
                .credentials(
                    StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(
                            kms.path("accessKeyId").asText(),
                            kms.path("secretAccessKey").asText())))
                .build()) {
          assertThat(new String(enclave.decrypt(blob), StandardCharsets.UTF_8)).isEqualTo("s3cr3t");
        }
      }

      try (VsockConnection proxied = network.connect(VsockAddress.parse("vsock://3:8000"))) {
        proxied.outputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
        proxied.shutdownOutput();
        assertThat(new String(proxied.inputStream().readAllBytes(), StandardCharsets.US_ASCII))
            .isEqualTo("ping");
      }
    }

    process.destroy(); // SIGTERM
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(log))
        .as("stderr: %s", stderr(process))
        .contains("nitro-emu: stopping");
    assertThat(state.resolve("endpoints.json")).doesNotExist();
    assertThat(Files.readString(mapping)).doesNotContain("3:9797");
  }

  @Test
  void kmsStrictAwsTreatsLocalStackTagsAsOrdinaryTags() throws Exception {
    Path state = dir.resolve("state");
    log = dir.resolve("stack.log");
    process = startStack(state, "--kms-port", "0", "--kms-proxy-port", "8002", "--kms-strict-aws");
    JsonNode kms =
        new ObjectMapper().readTree(state.resolve("endpoints.json").toFile()).path("kms");
    try (KmsClient parent =
        EnclaveKmsClient.kmsClient(
            URI.create(kms.path("endpoint").asText()),
            kms.path("region").asText(),
            kms.path("accessKeyId").asText(),
            kms.path("secretAccessKey").asText())) {
      String keyId =
          parent
              .createKey(b -> b.tags(t -> t.tagKey("_custom_id_").tagValue(FIXED_KEY_ID)))
              .keyMetadata()
              .keyId();

      assertThat(keyId).isNotEqualTo(FIXED_KEY_ID);
      assertThat(parent.listResourceTags(b -> b.keyId(keyId)).tags())
          .singleElement()
          .satisfies(tag -> assertThat(tag.tagValue()).isEqualTo(FIXED_KEY_ID));
    }
  }

  @Test
  void auditRotationOptionsReachTheKmsAuditLog() throws Exception {
    Path state = dir.resolve("state");
    Files.createDirectories(state);
    byte[] left = "{}\n".repeat(600_000).getBytes(StandardCharsets.UTF_8); // 1.7 MiB
    Files.write(state.resolve("kms-audit.jsonl"), left);
    log = dir.resolve("stack.log");
    process =
        startStack(
            state,
            "--kms-port",
            "0",
            "--kms-proxy-port",
            "8003",
            "--audit-max-size",
            "1m",
            "--audit-keep",
            "2");
    JsonNode kms =
        new ObjectMapper().readTree(state.resolve("endpoints.json").toFile()).path("kms");
    try (KmsClient parent =
        EnclaveKmsClient.kmsClient(
            URI.create(kms.path("endpoint").asText()),
            kms.path("region").asText(),
            kms.path("accessKeyId").asText(),
            kms.path("secretAccessKey").asText())) {
      parent.listKeys();
    }
    // Past 1 MiB already: the first call's event started a new file (64 MiB, the default, would
    // not).
    assertThat(state.resolve("kms-audit.jsonl.1")).hasBinaryContent(left);
    assertThat(Files.readString(state.resolve("kms-audit.jsonl"))).contains("\"ListKeys\"");
  }

  @Test
  void proxyToDestinationOutsideTheAllowlistStopsTheStart() throws Exception {
    Files.writeString(
        dir.resolve("allow.yaml"),
        "allowlist:\n- {address: kms.us-east-1.amazonaws.com, port: 443}\n");
    ProcessBuilder builder =
        command(
            dir.resolve("state"),
            "--kms-port",
            "0",
            "--proxy",
            "8000:127.0.0.1:9",
            "--proxy-config",
            dir.resolve("allow.yaml").toString());
    process = builder.start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).isEqualTo(1);
    assertThat(err).contains("not allowed").doesNotContain("\tat ");
  }

  /** Starts the stack with its output in a file, and waits (bounded) until it says it is ready. */
  private Process startStack(Path state, String... extra) throws Exception {
    Process started = command(state, extra).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.readString(log).contains("nitro-emu: ready")) {
      if (!started.isAlive() || System.nanoTime() > deadline) {
        throw new IOException("stack not ready: " + Files.readString(log) + " " + stderr(started));
      }
      started.waitFor(100, TimeUnit.MILLISECONDS);
    }
    return started;
  }

  private ProcessBuilder command(Path state, String... extra) {
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
                state.toString()));
    cmd.addAll(List.of(extra));
    ProcessBuilder builder = new ProcessBuilder(cmd);
    builder.environment().put("NITRO_EMU_HOME", dir.resolve("home").toString());
    builder.environment().remove("NITRO_VSOCK_MAP");
    return builder;
  }

  private static String stderr(Process p) {
    try {
      InputStream err = p.getErrorStream();
      return new String(err.readNBytes(4096), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private void echoOnce() {
    try (Socket s = echoServer.accept()) {
      s.getOutputStream().write(s.getInputStream().readAllBytes());
      s.shutdownOutput();
    } catch (IOException e) {
      // The test fails on the client side if the echo never happens.
    }
  }

  private static String pcr0Policy(String pcr0) {
    return "{\"Version\":\"2012-10-17\",\"Statement\":["
        + "{\"Sid\":\"admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
        + "\"Action\":[\"kms:Encrypt\",\"kms:DescribeKey\",\"kms:PutKeyPolicy\",\"kms:GetKeyPolicy\"],\"Resource\":\"*\"},"
        + "{\"Sid\":\"enclave\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
        + "\"Action\":\"kms:Decrypt\",\"Resource\":\"*\","
        + "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR0\":\""
        + pcr0
        + "\"}}}]}";
  }

  private static X509Certificate certificate(Path pem) throws Exception {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(pem)));
  }
}
