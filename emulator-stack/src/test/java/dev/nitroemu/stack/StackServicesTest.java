package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.kms.AuditRotation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * What {@code nitro-emu start} needs from an environment: vsock services reachable from another
 * network.
 */
@Timeout(60)
class StackServicesTest {
  @TempDir Path dir;

  @Test
  void nsmKmsProxyAndRoutesAreReachableThroughTheMappingFileAlone() throws Exception {
    Path mapping = dir.resolve("vsock-map.json");
    try (ServerSocket echo = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        EnclaveEnvironment stack =
            EnclaveEnvironment.builder()
                .mode(NitroMode.EMULATED)
                .kmsKeys("kms/enclave-secret.json")
                .services(
                    StackServices.builder()
                        .nsmPort(9797)
                        .kmsProxyPort(8000)
                        .proxy(new StackServices.ProxyRoute(8001, "127.0.0.1", echo.getLocalPort()))
                        .mappingFile(mapping)
                        .kmsRegion("eu-west-1")
                        .build())
                .start()) {
      CompletableFuture.runAsync(() -> echoOnce(echo));
      assertThat(stack.controls().services())
          .extracting(ServiceEndpoint::name)
          .containsExactly("kms", "nsm", "kms-proxy", "proxy-8001");
      assertThat(stack.info().region()).isEqualTo("eu-west-1");
      assertThat(stack.info().kmsProxyAddress()).contains(VsockAddress.of(3, 8000));
      String health =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(stack.info().kmsEndpoint().resolve("/_nitro-emu/health"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(health)
          .contains("\"nsm\":{\"status\":\"running\",\"address\":\"vsock://3:9797\"")
          .contains("\"kms-proxy\":{\"status\":\"running\",\"address\":\"vsock://3:8000\"")
          .contains("\"proxy-8001\":{\"status\":\"running\",\"address\":\"vsock://3:8001\"");

      // Another process's view: the mapping file and vsock addresses only.
      try (VsockNetwork other = VsockNetwork.builder().mappingFile(mapping).build();
          RemoteNsm nsm = RemoteNsm.connect(other, VsockAddress.parse("vsock://3:9797"))) {
        byte[] nonce = {7};
        assertThat(
                AttestationVerifier.forRoot(stack.info().rootCertificate())
                    .verify(
                        nsm.attestation(null, nonce, null),
                        VerificationOptions.defaults().expectNonce(nonce))
                    .document()
                    .pcr(0))
            .isEqualTo(stack.info().pcr(0));

        InetSocketAddress kmsViaProxy = other.tcpEndpoint(VsockAddress.of(3, 8000)).orElseThrow();
        byte[] blob =
            stack
                .kmsClient()
                .encrypt(
                    r ->
                        r.keyId(stack.info().kmsKeyId("enclave-secret"))
                            .plaintext(SdkBytes.fromUtf8String("s3cr3t")))
                .ciphertextBlob()
                .asByteArray();
        try (KmsClient throughProxy =
                EnclaveKmsClient.kmsClient(
                    URI.create("http://127.0.0.1:" + kmsViaProxy.getPort()),
                    "eu-west-1",
                    "test",
                    "test");
            EnclaveKmsClient enclave =
                EnclaveKmsClient.builder().nsm(nsm).kmsClient(throughProxy).build()) {
          assertThat(new String(enclave.decrypt(blob), StandardCharsets.UTF_8)).isEqualTo("s3cr3t");
        }

        try (VsockConnection routed = other.connect(VsockAddress.of(3, 8001))) {
          routed.outputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
          routed.shutdownOutput();
          assertThat(routed.inputStream().readAllBytes())
              .asString(StandardCharsets.US_ASCII)
              .isEqualTo("ping");
        }
      }
    }
    assertThat(Files.readString(mapping)).doesNotContain("3:9797").doesNotContain("3:8000");
  }

  @Test
  void aBusyVsockAddressFailsTheStartAndUnpublishesWhatWasOpened() throws Exception {
    Path mapping = dir.resolve("vsock-map.json");
    EnclaveEnvironment.Builder clash =
        EnclaveEnvironment.builder()
            .mode(NitroMode.EMULATED)
            .services(
                StackServices.builder()
                    .nsmPort(9797)
                    .kmsProxyPort(9797)
                    .mappingFile(mapping)
                    .build());

    assertThatThrownBy(clash::start)
        .isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("Address already in use: vsock://3:9797");
    assertThat(Files.readString(mapping)).doesNotContain("3:9797");
  }

  @Test
  void declaredKeysFromADirectoryAreCreatedOnceAndKeptAcrossRestartsWithPersistentState()
      throws Exception {
    Path declarations = Files.createDirectory(dir.resolve("kms"));
    Files.writeString(
        declarations.resolve("a-secret.json"),
        "{\"alias\": \"a-secret\", \"policy\": "
            + "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\":"
            + " \"arn:aws:iam::${ACCOUNT_ID}:root\"}, \"Action\": \"kms:*\", \"Resource\": \"*\"}]}}");
    Files.copy(
        Path.of(getClass().getResource("/kms/enclave-secret.json").toURI()),
        declarations.resolve("b.json"));
    Files.writeString(declarations.resolve("ignored.txt"), "not a declaration");
    EnclaveEnvironment.Builder builder =
        EnclaveEnvironment.builder()
            .mode(NitroMode.EMULATED)
            .kmsKeyDirectory(declarations)
            .services(StackServices.builder().kmsStateDirectory(dir.resolve("state")).build());

    SeededKmsKey first;
    byte[] blob;
    try (EnclaveEnvironment stack = builder.copy().start()) {
      assertThat(stack.controls().seededKmsKeys())
          .extracting(SeededKmsKey::alias, SeededKmsKey::existed)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("a-secret", false),
              org.assertj.core.groups.Tuple.tuple("enclave-secret", false));
      first = stack.controls().seededKmsKeys().get(1);
      assertThat(first.arn()).isEqualTo("arn:aws:kms:us-east-1:000000000000:key/" + first.keyId());
      blob =
          stack
              .kmsClient()
              .encrypt(
                  r -> r.keyId("alias/enclave-secret").plaintext(SdkBytes.fromUtf8String("kept")))
              .ciphertextBlob()
              .asByteArray();
    }
    try (EnclaveEnvironment again = builder.copy().start()) {
      assertThat(again.controls().seededKmsKeys().get(1))
          .isEqualTo(new SeededKmsKey("enclave-secret", first.keyId(), first.arn(), true));
      assertThat(again.info().kmsKeyId("enclave-secret")).isEqualTo(first.keyId());
      assertThat(again.enclaveKmsClient().decrypt(blob))
          .asString(StandardCharsets.UTF_8)
          .isEqualTo("kept");
    }
  }

  @Test
  void theAuditRotationReachesTheKmsAuditLog() throws Exception {
    Path audit = dir.resolve("kms-audit.jsonl");
    byte[] left = ("{}\n".repeat(600_000)).getBytes(StandardCharsets.UTF_8); // 1.7 MiB
    Files.write(audit, left);
    StackServices services =
        StackServices.builder()
            .kmsAuditFile(audit)
            .kmsAuditRotation(new AuditRotation(1 << 20, 2))
            .build();
    assertThat(services.toBuilder().build().kmsAuditRotation())
        .isEqualTo(new AuditRotation(1 << 20, 2));
    try (EnclaveEnvironment stack =
        EnclaveEnvironment.builder().mode(NitroMode.EMULATED).services(services).start()) {
      stack.kmsClient().listKeys();
    }
    // Past 1 MiB already, so the first event went to a new file (the default, 64 MiB, would not).
    assertThat(AuditRotation.rotatedFile(audit, 1)).hasBinaryContent(left);
    assertThat(Files.readAllLines(audit)).singleElement().asString().contains("\"ListKeys\"");
  }

  @Test
  void aDirectoryWithoutDeclarationsIsRefusedNamingIt() throws Exception {
    Path empty = Files.createDirectory(dir.resolve("empty"));
    EnclaveEnvironment.Builder builder =
        EnclaveEnvironment.builder().mode(NitroMode.EMULATED).kmsKeyDirectory(empty);
    assertThatThrownBy(builder::start)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no *.json file in " + empty);
  }

  private static void echoOnce(ServerSocket server) {
    try (Socket s = server.accept()) {
      s.getOutputStream().write(s.getInputStream().readAllBytes());
      s.shutdownOutput();
    } catch (IOException e) {
      // The test fails on the client side if the echo never happens.
    }
  }
}
