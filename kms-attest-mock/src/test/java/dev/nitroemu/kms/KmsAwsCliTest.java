package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.AwsCli.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/**
 * The Python AWS CLI ({@code aws kms ...}, v1 or v2, whichever is on PATH; .ci/run installs
 * Debian's) against the mock: sign, verify (and its KMSInvalidSignatureException), get-public-key,
 * generate-mac, verify-mac and tags. Skipped with a reason when {@code aws} is not installed.
 */
@Timeout(300)
class KmsAwsCliTest {
  @TempDir Path temp;
  private KmsMockServer server;

  @BeforeEach
  void start() throws IOException {
    Assumptions.assumeTrue(
        KmsSignVerifyTest.onPath("aws"), "the AWS CLI (aws) is not on PATH; .ci/run installs it");
    server = KmsMockServer.builder().build().start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private Result aws(String... args) throws IOException, InterruptedException {
    return new AwsCli(server, temp).kms(args);
  }

  @Test
  void signVerifyAndGetPublicKey() throws Exception {
    Files.writeString(temp.resolve("message.txt"), "pay 100 to alice");
    String keyId =
        aws(
                "create-key",
                "--key-spec",
                "ECC_NIST_P384",
                "--key-usage",
                "SIGN_VERIFY",
                "--query",
                "KeyMetadata.KeyId",
                "--output",
                "text")
            .ok();

    String signature =
        aws(
                "sign",
                "--key-id",
                keyId,
                "--message",
                "fileb://message.txt",
                "--message-type",
                "RAW",
                "--signing-algorithm",
                "ECDSA_SHA_384",
                "--query",
                "Signature",
                "--output",
                "text")
            .ok();
    Files.write(temp.resolve("signature.bin"), Base64.getDecoder().decode(signature));

    assertThat(
            aws(
                    "verify",
                    "--key-id",
                    keyId,
                    "--message",
                    "fileb://message.txt",
                    "--signing-algorithm",
                    "ECDSA_SHA_384",
                    "--signature",
                    "fileb://signature.bin",
                    "--query",
                    "SignatureValid",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("True");
    Files.writeString(temp.resolve("forged.txt"), "pay 900 to mallory");
    Result forged =
        aws(
            "verify",
            "--key-id",
            keyId,
            "--message",
            "fileb://forged.txt",
            "--signing-algorithm",
            "ECDSA_SHA_384",
            "--signature",
            "fileb://signature.bin");
    assertThat(forged.exit()).isNotZero();
    assertThat(forged.output()).contains("KMSInvalidSignatureException", "Verify operation");

    String der =
        aws("get-public-key", "--key-id", keyId, "--query", "PublicKey", "--output", "text").ok();
    PublicKey publicKey =
        KeyFactory.getInstance("EC")
            .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(der)));
    assertThat(
            KmsSignVerifyTest.jcaVerify(
                publicKey,
                SigningAlgorithmSpec.ECDSA_SHA_384,
                "pay 100 to alice".getBytes(StandardCharsets.UTF_8),
                Base64.getDecoder().decode(signature)))
        .isTrue();
  }

  @Test
  void generateMacVerifyMacAndTags() throws Exception {
    Files.writeString(temp.resolve("message.txt"), "some important message");
    String keyId =
        aws(
                "create-key",
                "--key-spec",
                "HMAC_256",
                "--key-usage",
                "GENERATE_VERIFY_MAC",
                "--tags",
                "TagKey=team,TagValue=payments",
                "--query",
                "KeyMetadata.KeyId",
                "--output",
                "text")
            .ok();

    String mac =
        aws(
                "generate-mac",
                "--key-id",
                keyId,
                "--message",
                "fileb://message.txt",
                "--mac-algorithm",
                "HMAC_SHA_256",
                "--query",
                "Mac",
                "--output",
                "text")
            .ok();
    Files.write(temp.resolve("mac.bin"), Base64.getDecoder().decode(mac));

    assertThat(Base64.getDecoder().decode(mac)).hasSize(32);
    assertThat(
            aws(
                    "verify-mac",
                    "--key-id",
                    keyId,
                    "--message",
                    "fileb://message.txt",
                    "--mac-algorithm",
                    "HMAC_SHA_256",
                    "--mac",
                    "fileb://mac.bin",
                    "--query",
                    "MacValid",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("True");
    Result wrongAlgorithm =
        aws(
            "generate-mac",
            "--key-id",
            keyId,
            "--message",
            "fileb://message.txt",
            "--mac-algorithm",
            "HMAC_SHA_512");
    assertThat(wrongAlgorithm.output())
        .contains(
            "InvalidKeyUsageException",
            "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.");
    assertThat(
            aws(
                    "list-resource-tags",
                    "--key-id",
                    keyId,
                    "--query",
                    "Tags[0].TagValue",
                    "--output",
                    "text")
                .ok())
        .isEqualTo("payments");
    Result reserved =
        aws("tag-resource", "--key-id", keyId, "--tags", "TagKey=aws:owner,TagValue=me");
    assertThat(reserved.output()).contains("TagException", "Tags beginning with aws: are reserved");
  }
}
