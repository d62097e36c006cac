package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/**
 * The Python AWS CLI ({@code aws kms ...}, v1 or v2, whichever is on PATH; .ci/run installs Debian's)
 * against the mock: sign, verify (and its KMSInvalidSignatureException), get-public-key, generate-mac,
 * verify-mac and tags. Skipped with a reason when {@code aws} is not installed.
 */
@Timeout(300)
class KmsAwsCliTest {
  @TempDir Path temp;
  private KmsMockServer server;

  @BeforeEach
  void start() throws IOException {
    Assumptions.assumeTrue(KmsSignVerifyTest.onPath("aws"), "the AWS CLI (aws) is not on PATH; .ci/run installs it");
    server = KmsMockServer.builder().build().start();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  /** Runs {@code aws --endpoint-url <mock> kms ARGS...} with test credentials and no ~/.aws files. */
  private Result aws(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("aws", "--endpoint-url", server.endpoint().toString(), "kms"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).directory(temp.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(name -> name.startsWith("AWS_"));
    env.put("AWS_ACCESS_KEY_ID", "test");
    env.put("AWS_SECRET_ACCESS_KEY", "test");
    env.put("AWS_DEFAULT_REGION", server.region());
    env.put("AWS_CONFIG_FILE", temp.resolve("no-config").toString());
    env.put("AWS_SHARED_CREDENTIALS_FILE", temp.resolve("no-credentials").toString());
    env.put("AWS_PAGER", "");
    Process process = builder.start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }

  private record Result(int exit, String output) {
    String ok() {
      assertThat(exit).as("aws failed: " + output).isZero();
      return output;
    }
  }

  @Test
  void signVerifyAndGetPublicKey() throws Exception {
    Files.writeString(temp.resolve("message.txt"), "pay 100 to alice");
    String keyId = aws("create-key", "--key-spec", "ECC_NIST_P384", "--key-usage", "SIGN_VERIFY",
        "--query", "KeyMetadata.KeyId", "--output", "text").ok();

    String signature = aws("sign", "--key-id", keyId, "--message", "fileb://message.txt", "--message-type", "RAW",
        "--signing-algorithm", "ECDSA_SHA_384", "--query", "Signature", "--output", "text").ok();
    Files.write(temp.resolve("signature.bin"), Base64.getDecoder().decode(signature));

    assertThat(aws("verify", "--key-id", keyId, "--message", "fileb://message.txt", "--signing-algorithm",
        "ECDSA_SHA_384", "--signature", "fileb://signature.bin", "--query", "SignatureValid", "--output", "text").ok())
        .isEqualTo("True");
    Files.writeString(temp.resolve("forged.txt"), "pay 900 to mallory");
    Result forged = aws("verify", "--key-id", keyId, "--message", "fileb://forged.txt", "--signing-algorithm",
        "ECDSA_SHA_384", "--signature", "fileb://signature.bin");
    assertThat(forged.exit()).isNotZero();
    assertThat(forged.output()).contains("KMSInvalidSignatureException", "Verify operation");

    String der = aws("get-public-key", "--key-id", keyId, "--query", "PublicKey", "--output", "text").ok();
    PublicKey publicKey = KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(der)));
    assertThat(KmsSignVerifyTest.jcaVerify(publicKey, SigningAlgorithmSpec.ECDSA_SHA_384,
        "pay 100 to alice".getBytes(StandardCharsets.UTF_8), Base64.getDecoder().decode(signature))).isTrue();
  }

  @Test
  void generateMacVerifyMacAndTags() throws Exception {
    Files.writeString(temp.resolve("message.txt"), "some important message");
    String keyId = aws("create-key", "--key-spec", "HMAC_256", "--key-usage", "GENERATE_VERIFY_MAC",
        "--tags", "TagKey=team,TagValue=payments", "--query", "KeyMetadata.KeyId", "--output", "text").ok();

    String mac = aws("generate-mac", "--key-id", keyId, "--message", "fileb://message.txt", "--mac-algorithm",
        "HMAC_SHA_256", "--query", "Mac", "--output", "text").ok();
    Files.write(temp.resolve("mac.bin"), Base64.getDecoder().decode(mac));

    assertThat(Base64.getDecoder().decode(mac)).hasSize(32);
    assertThat(aws("verify-mac", "--key-id", keyId, "--message", "fileb://message.txt", "--mac-algorithm",
        "HMAC_SHA_256", "--mac", "fileb://mac.bin", "--query", "MacValid", "--output", "text").ok()).isEqualTo("True");
    Result wrongAlgorithm = aws("generate-mac", "--key-id", keyId, "--message", "fileb://message.txt",
        "--mac-algorithm", "HMAC_SHA_512");
    assertThat(wrongAlgorithm.output()).contains("InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.");
    assertThat(aws("list-resource-tags", "--key-id", keyId, "--query", "Tags[0].TagValue", "--output", "text").ok())
        .isEqualTo("payments");
    Result reserved = aws("tag-resource", "--key-id", keyId, "--tags", "TagKey=aws:owner,TagValue=me");
    assertThat(reserved.output()).contains("TagException", "Tags beginning with aws: are reserved");
  }
}
