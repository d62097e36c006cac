package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * KMS Decrypt calls per second from 8 client threads through an unmodified AWS SDK v2 {@link
 * KmsClient} (URL-connection HTTP client, {@code endpointOverride}, static credentials {@code
 * test}/{@code test}): against the KMS mock (SigV4, JSON, key policy, AES-GCM), against a bare
 * Netty server that returns a fixed Decrypt response (the baseline: what the SDK and loopback HTTP
 * cost alone), and the attested path ({@link EnclaveKmsClient}: a fresh attestation document as
 * Recipient, verified by the mock, answered as a CMS envelope the client opens).
 *
 * <p>Each state holds one {@link KmsClient} shared by the 8 threads, as the AWS SDK recommends: the
 * client is thread-safe, and the URL-connection client keeps its connections in the JDK's JVM-wide
 * keep-alive cache, so clients per thread would not give separate connection pools anyway.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(8)
// The mock's path (SDK, Netty, SigV4, Jackson, JCE) keeps compiling for about 20 s: a shorter
// warm-up measures the JIT, not the mock. Two forks, so one unlucky JIT order does not decide.
@Fork(2)
@Warmup(iterations = 6, time = 5)
@Measurement(iterations = 5, time = 3)
public class KmsDecryptBenchmark {

  /** Size of the secret every Decrypt returns: a 256-bit data key. */
  static final int PLAINTEXT_BYTES = 32;

  /**
   * Bytes the mock's symmetric ciphertext blob adds to its plaintext: the version 2 header (key id,
   * material id, checksum, 12-byte nonce: 66 bytes) and the 16-byte GCM tag.
   */
  private static final int MOCK_BLOB_OVERHEAD = 82;

  private static final String ACCESS_KEY_ID = "test";
  private static final String SECRET_ACCESS_KEY = "test";
  private static final String REGION = "us-east-1";

  /** The client every benchmark uses, as {@link EnclaveKmsClient} builds it. */
  static KmsClient sdkClient(URI endpoint) {
    return EnclaveKmsClient.kmsClient(endpoint, REGION, ACCESS_KEY_ID, SECRET_ACCESS_KEY);
  }

  static DecryptRequest decryptRequest(byte[] blob) {
    return DecryptRequest.builder().ciphertextBlob(SdkBytes.fromByteArray(blob)).build();
  }

  static byte[] randomBytes(int length) {
    byte[] bytes = new byte[length];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }

  static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("benchmark setup check failed: " + what);
    }
  }

  /**
   * The bare Netty server answering every request with a Decrypt response for a 32-byte plaintext.
   */
  @State(Scope.Benchmark)
  public static class BareNetty {
    FixedResponseHttpServer server;
    KmsClient client;
    DecryptRequest request;

    @Setup
    public void setUp() throws IOException {
      byte[] plaintext = randomBytes(PLAINTEXT_BYTES);
      String keyArn = "arn:aws:kms:" + REGION + ":000000000000:key/" + UUID.randomUUID();
      byte[] body =
          ("{\"KeyId\":\""
                  + keyArn
                  + "\",\"Plaintext\":\""
                  + Base64.getEncoder().encodeToString(plaintext)
                  + "\",\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}")
              .getBytes(StandardCharsets.UTF_8);
      server =
          FixedResponseHttpServer.start(
              body, "application/x-amz-json-1.1", "x-amzn-RequestId", UUID.randomUUID().toString());
      client = sdkClient(server.endpoint());
      // A blob of the size the mock's would have; the server never looks at it.
      request = decryptRequest(randomBytes(PLAINTEXT_BYTES + MOCK_BLOB_OVERHEAD));
      check(
          Arrays.equals(client.decrypt(request).plaintext().asByteArrayUnsafe(), plaintext),
          "the SDK parses the bare server's fixed Decrypt response");
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
    }
  }

  /**
   * The KMS mock of an emulated environment, one symmetric key (default key policy) and a blob
   * under it.
   */
  @State(Scope.Benchmark)
  public static class MockDecrypt {
    EnclaveEnvironment stack;
    KmsClient client;
    DecryptRequest request;

    @Setup
    public void setUp() throws IOException {
      stack = EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start();
      client = sdkClient(stack.info().kmsEndpoint());
      String keyId =
          client.createKey(r -> r.description("bench: plain decrypt")).keyMetadata().keyId();
      byte[] plaintext = randomBytes(PLAINTEXT_BYTES);
      byte[] blob =
          client
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))
              .ciphertextBlob()
              .asByteArray();
      check(
          blob.length == PLAINTEXT_BYTES + MOCK_BLOB_OVERHEAD,
          "the mock's blob is as large as the bare request's");
      request = decryptRequest(blob);
      check(
          Arrays.equals(client.decrypt(request).plaintext().asByteArrayUnsafe(), plaintext),
          "the mock decrypts the blob");
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(stack);
    }
  }

  /**
   * An emulated environment whose KMS mock trusts its NSM's root, a key whose policy allows Decrypt
   * only with a Recipient attesting that NSM's PCR0, a blob under it, and one {@link
   * EnclaveKmsClient} (one RSA key pair, one NSM) shared by the threads, like one enclave
   * application.
   */
  @State(Scope.Benchmark)
  public static class AttestedDecrypt {
    EnclaveEnvironment stack;
    KmsClient client;
    EnclaveKmsClient enclave;
    byte[] blob;

    @Setup
    public void setUp() throws IOException {
      stack =
          EnclaveEnvironment.builder()
              .mode(NitroMode.EMULATED)
              .kmsKey("bench-attested", PCR0_POLICY)
              .start();
      client = sdkClient(stack.info().kmsEndpoint());
      String keyId = stack.info().kmsKeyId("bench-attested");
      byte[] plaintext = randomBytes(PLAINTEXT_BYTES);
      blob =
          client
              .encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))
              .ciphertextBlob()
              .asByteArray();
      enclave = EnclaveKmsClient.builder().nsm(stack.nsm()).kmsClient(client).build();
      check(
          Arrays.equals(enclave.decrypt(blob), plaintext), "the enclave client decrypts the blob");
      boolean plainDenied;
      try {
        client.decrypt(decryptRequest(blob));
        plainDenied = false;
      } catch (KmsException expected) {
        plainDenied = true;
      }
      check(plainDenied, "a Decrypt without Recipient is denied by the PCR0 policy");
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(enclave);
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(stack);
    }

    /**
     * The account administers the key and may Encrypt; Decrypt needs an attested PCR0 of the
     * enclave's image.
     */
    private static final String PCR0_POLICY =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Sid\":\"Admin\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::${ACCOUNT_ID}:root\"},"
            + "\"Action\":[\"kms:Create*\",\"kms:Describe*\",\"kms:Put*\",\"kms:Get*\",\"kms:Encrypt\"],"
            + "\"Resource\":\"*\"},"
            + "{\"Sid\":\"Enclave\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::${ACCOUNT_ID}:root\"},"
            + "\"Action\":\"kms:Decrypt\",\"Resource\":\"*\","
            + "\"Condition\":{\"StringEqualsIgnoreCase\":{\"kms:RecipientAttestation:PCR0\":\"${PCR0}\"}}}]}";
  }

  /** Baseline: the SDK's Decrypt against a server that answers without looking at the request. */
  @Benchmark
  public SdkBytes bareNetty(BareNetty state) {
    return state.client.decrypt(state.request).plaintext();
  }

  /** Decrypt against the KMS mock: SigV4 check, key policy, AES-256-GCM, audit event. */
  @Benchmark
  public SdkBytes mockDecrypt(MockDecrypt state) {
    return state.client.decrypt(state.request).plaintext();
  }

  /**
   * Decrypt with Recipient: a fresh attestation document (ES384 signature) per call, verified by
   * the mock (certificate chain and signature), the plaintext sealed to the client's RSA-2048 key
   * in CMS and opened by the client.
   */
  @Benchmark
  public byte[] mockDecryptWithRecipient(AttestedDecrypt state) {
    return state.enclave.decrypt(state.blob);
  }
}
