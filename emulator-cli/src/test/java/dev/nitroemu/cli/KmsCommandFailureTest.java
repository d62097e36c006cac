package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code nitro-emu kms} when the stack is absent or stale (a hint, or the offline NSM) and with bad
 * arguments or an unreachable KMS (exit 2 or 1 with one line), beside a real {@code nitro-emu
 * start}.
 */
@Timeout(180)
class KmsCommandFailureTest extends KmsCommandFixture {
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
