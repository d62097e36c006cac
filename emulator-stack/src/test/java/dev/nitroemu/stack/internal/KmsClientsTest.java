package dev.nitroemu.stack.internal;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.ConnectBridge;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

@Timeout(60)
class KmsClientsTest {

  @Test
  void realClientSpeaksTlsForTheRegionalKmsHostThroughTheBridge() throws Exception {
    VsockAddress proxyAddress = VsockAddress.of(VsockAddress.CID_PARENT, 8000);
    try (VsockNetwork network = VsockNetwork.create();
        VsockListener vsockProxy = network.listen(proxyAddress);
        ConnectBridge bridge =
            ConnectBridge.start(network, proxyAddress, "kms.eu-west-1.amazonaws.com");
        KmsClient kms =
            KmsClients.throughConnectProxy(
                Region.EU_WEST_1,
                bridge.address(),
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create("AKIDEXAMPLE", "secret")))) {
      CompletableFuture<byte[]> clientHello =
          CompletableFuture.supplyAsync(() -> firstTlsRecord(vsockProxy));

      // Nothing answers TLS here, so the call fails; what matters is what reached the vsock-proxy.
      assertThatThrownBy(() -> kms.generateRandom(r -> r.numberOfBytes(8)))
          .isInstanceOf(SdkClientException.class);

      byte[] record = clientHello.join();
      assertThat(record[0]).isEqualTo((byte) 0x16); // TLS handshake record: a ClientHello
      assertThat(record[5]).isEqualTo((byte) 0x01);
      assertThat(new String(record, US_ASCII)).contains("kms.eu-west-1.amazonaws.com"); // the SNI
    }
  }

  @Test
  void realCredentialsSayWhatToSetWhenThereAreNone() {
    AwsCredentialsProvider none =
        () -> {
          throw SdkClientException.create(
              "Unable to load credentials from any of the providers in the chain");
        };

    assertThatThrownBy(() -> KmsClients.explained(none).resolveCredentials())
        .isInstanceOf(SdkClientException.class)
        .hasMessageContaining("aws.accessKeyId, aws.secretAccessKey and aws.sessionToken")
        .hasMessageContaining("AWS_ACCESS_KEY_ID")
        .hasCauseInstanceOf(SdkClientException.class);
  }

  @Test
  void explainedCredentialsPassResolvedOnesThrough() {
    AwsCredentialsProvider fixed = () -> AwsBasicCredentials.create("AKIDEXAMPLE", "secret");

    assertThat(KmsClients.explained(fixed).resolveCredentials().accessKeyId())
        .isEqualTo("AKIDEXAMPLE");
  }

  /**
   * Accepts one connection, stops listening (retries then fail fast), reads one TLS record and
   * closes it.
   */
  private static byte[] firstTlsRecord(VsockListener listener) {
    try (VsockConnection connection = listener.accept()) {
      listener.close();
      DataInputStream in = new DataInputStream(connection.inputStream());
      byte[] header = new byte[5];
      in.readFully(header);
      int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
      byte[] record = new byte[5 + length];
      System.arraycopy(header, 0, record, 0, 5);
      in.readFully(record, 5, length);
      return record;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
