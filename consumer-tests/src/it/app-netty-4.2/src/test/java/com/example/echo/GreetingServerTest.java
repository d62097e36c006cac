package com.example.echo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

// The app's own Netty 4.2 server and the harness's KMS mock serve side by side in one JVM.
@NitroEnclaveTest(kmsKeys = "kms/enclave-secret.json")
class GreetingServerTest {

  @Test
  void theAppServesWhileTheEnclaveDecrypts(KmsClient kms, EnclaveKmsClient enclave, EnclaveRuntimeInfo info)
      throws Exception {
    try (GreetingServer server = GreetingServer.start()) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> reply = http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/enclave"))
              .timeout(Duration.ofSeconds(10))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(reply.statusCode()).isEqualTo(200);
      assertThat(reply.body()).isEqualTo("hello enclave");

      SdkBytes greeting = SdkBytes.fromUtf8String(reply.body());
      SdkBytes blob = kms.encrypt(r -> r.keyId(info.kmsKeyId("enclave-secret")).plaintext(greeting)).ciphertextBlob();
      assertThat(enclave.decrypt(blob.asByteArray())).asString().isEqualTo("hello enclave");
    }
  }
}
