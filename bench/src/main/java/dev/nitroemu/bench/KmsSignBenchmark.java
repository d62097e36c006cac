package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.kms.KmsMockServer;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.SignRequest;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/**
 * KMS Sign with an {@code ECC_NIST_P384} key ({@code ECDSA_SHA_384}, a 256-byte RAW message)
 * through the unmodified AWS SDK v2 against the KMS mock, against the baseline of one raw JCA
 * {@code SHA384withECDSA} signature of the same message in the benchmark thread. The mock's call
 * adds the SDK (marshalling, SigV4 signing, parsing), loopback HTTP, SigV4 verification, the key
 * policy and the audit event to the same ECDSA signature.
 *
 * <p>Four threads on each side, as throughput: they keep a small machine's cores busy on both
 * sides, so the ratio compares signatures per second at saturation. One caller at a time ({@code -t
 * 1}, or {@link InterleavedSignRatio}) measures instead the latency of one call, which the SDK
 * round trip dominates.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(4)
public class KmsSignBenchmark {
  /** Size of the signed message. */
  static final int MESSAGE_BYTES = 256;

  /** A P-384 key pair and the message, signed with plain JCA. */
  @State(Scope.Benchmark)
  public static class RawSign {
    KeyPair pair;
    byte[] message;

    @Setup
    public void setUp() throws GeneralSecurityException {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp384r1"));
      pair = generator.generateKeyPair();
      message = KmsDecryptBenchmark.randomBytes(MESSAGE_BYTES);
      KmsDecryptBenchmark.check(
          verifies(pair.getPublic(), message, sign(this)), "the raw signature verifies");
    }
  }

  /**
   * The KMS mock with one ECC_NIST_P384 SIGN_VERIFY key (default key policy) and a prepared Sign
   * request.
   */
  @State(Scope.Benchmark)
  public static class MockSign {
    KmsMockServer server;
    KmsClient client;
    SignRequest request;

    @Setup
    public void setUp() throws IOException, GeneralSecurityException {
      server = KmsMockServer.builder().build().start();
      client = KmsDecryptBenchmark.sdkClient(server.endpoint());
      String keyId =
          client
              .createKey(
                  r ->
                      r.keySpec(KeySpec.ECC_NIST_P384)
                          .keyUsage(KeyUsageType.SIGN_VERIFY)
                          .description("bench: sign"))
              .keyMetadata()
              .keyId();
      byte[] message = KmsDecryptBenchmark.randomBytes(MESSAGE_BYTES);
      request =
          SignRequest.builder()
              .keyId(keyId)
              .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)
              .message(SdkBytes.fromByteArray(message))
              .build();
      PublicKey publicKey =
          KeyFactory.getInstance("EC")
              .generatePublic(
                  new X509EncodedKeySpec(
                      client.getPublicKey(r -> r.keyId(keyId)).publicKey().asByteArray()));
      KmsDecryptBenchmark.check(
          verifies(publicKey, message, client.sign(request).signature().asByteArray()),
          "the mock's signature verifies with the key from GetPublicKey");
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
    }
  }

  static byte[] sign(RawSign state) throws GeneralSecurityException {
    Signature signer = Signature.getInstance("SHA384withECDSA");
    signer.initSign(state.pair.getPrivate());
    signer.update(state.message);
    return signer.sign();
  }

  static boolean verifies(PublicKey key, byte[] message, byte[] signature)
      throws GeneralSecurityException {
    Signature verifier = Signature.getInstance("SHA384withECDSA");
    verifier.initVerify(key);
    verifier.update(message);
    return verifier.verify(signature);
  }

  /** Baseline: one raw JCA SHA384withECDSA signature (DER, as KMS returns it). */
  @Benchmark
  public byte[] rawSign(RawSign state) throws GeneralSecurityException {
    return sign(state);
  }

  /** One KMS Sign call through the AWS SDK against the mock. */
  @Benchmark
  public SdkBytes mockSign(MockSign state) {
    return state.client.sign(state.request).signature();
  }
}
