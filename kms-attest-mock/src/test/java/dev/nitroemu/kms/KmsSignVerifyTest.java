package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MessageType;
import software.amazon.awssdk.services.kms.model.SignResponse;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/**
 * Sign and Verify through the unmodified AWS SDK for every key spec and signing algorithm AWS
 * pairs: RAW and DIGEST messages, signatures checked by KMS, by plain JCA (BouncyCastle for
 * secp256k1) and by {@code openssl dgst -verify} on the DER public key from GetPublicKey.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(300)
class KmsSignVerifyTest {
  static final Provider BC = new BouncyCastleProvider();
  private static final SecureRandom RANDOM = new SecureRandom();

  private KmsMockServer server;
  private KmsClient kms;
  private final Map<KeySpec, String> keys = new EnumMap<>(KeySpec.class);
  @TempDir Path temp;

  @BeforeAll
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
  }

  @AfterAll
  void stop() {
    kms.close();
    server.close();
  }

  /** One SIGN_VERIFY key per spec, shared by the algorithms (RSA 4096 key generation is slow). */
  private synchronized String key(KeySpec spec) {
    return keys.computeIfAbsent(
        spec,
        s ->
            kms.createKey(r -> r.keySpec(s).keyUsage(KeyUsageType.SIGN_VERIFY))
                .keyMetadata()
                .keyId());
  }

  /** Every (key spec, signing algorithm) pair AWS allows. */
  static Stream<Arguments> pairs() {
    List<Arguments> pairs = new ArrayList<>();
    for (KeySpec rsa : List.of(KeySpec.RSA_2048, KeySpec.RSA_3072, KeySpec.RSA_4096)) {
      for (String padding : List.of("RSASSA_PKCS1_V1_5_SHA_", "RSASSA_PSS_SHA_")) {
        for (int bits : new int[] {256, 384, 512}) {
          pairs.add(Arguments.of(rsa, SigningAlgorithmSpec.fromValue(padding + bits)));
        }
      }
    }
    pairs.add(Arguments.of(KeySpec.ECC_NIST_P256, SigningAlgorithmSpec.ECDSA_SHA_256));
    pairs.add(Arguments.of(KeySpec.ECC_NIST_P384, SigningAlgorithmSpec.ECDSA_SHA_384));
    pairs.add(Arguments.of(KeySpec.ECC_NIST_P521, SigningAlgorithmSpec.ECDSA_SHA_512));
    pairs.add(Arguments.of(KeySpec.ECC_SECG_P256_K1, SigningAlgorithmSpec.ECDSA_SHA_256));
    return pairs.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("pairs")
  void rawAndDigestSignaturesVerifyWithKmsAndJca(KeySpec spec, SigningAlgorithmSpec algorithm)
      throws Exception {
    String keyId = key(spec);
    byte[] message = new byte[1 + RANDOM.nextInt(4096)];
    RANDOM.nextBytes(message);
    byte[] digest = MessageDigest.getInstance(hashName(algorithm)).digest(message);
    PublicKey publicKey = publicKey(keyId, spec);

    SignResponse raw = sign(keyId, algorithm, MessageType.RAW, message);
    SignResponse pre = sign(keyId, algorithm, MessageType.DIGEST, digest);

    assertThat(raw.keyId()).isEqualTo("arn:aws:kms:us-east-1:000000000000:key/" + keyId);
    assertThat(raw.signingAlgorithm()).isEqualTo(algorithm);
    for (SignResponse signed : List.of(raw, pre)) {
      byte[] signature = signed.signature().asByteArray();
      assertThat(jcaVerify(publicKey, algorithm, message, signature)).as("JCA verifies").isTrue();
      assertThat(
              kms.verify(
                      r ->
                          r.keyId(keyId)
                              .signingAlgorithm(algorithm)
                              .message(SdkBytes.fromByteArray(message))
                              .signature(SdkBytes.fromByteArray(signature)))
                  .signatureValid())
          .isTrue();
      assertThat(
              kms.verify(
                      r ->
                          r.keyId(keyId)
                              .signingAlgorithm(algorithm)
                              .messageType(MessageType.DIGEST)
                              .message(SdkBytes.fromByteArray(digest))
                              .signature(SdkBytes.fromByteArray(signature)))
                  .signatureValid())
          .isTrue();
      if (algorithm.toString().startsWith("ECDSA")) {
        assertStrictDerEcdsa(signature);
      }
    }
    byte[] other = message.clone();
    other[0] ^= 1;
    assertError(
        () ->
            kms.verify(
                r ->
                    r.keyId(keyId)
                        .signingAlgorithm(algorithm)
                        .message(SdkBytes.fromByteArray(other))
                        .signature(raw.signature())),
        "KMSInvalidSignatureException",
        null);
    assertError(
        () ->
            sign(
                keyId,
                algorithm,
                MessageType.DIGEST,
                message.length == digest.length ? new byte[7] : message),
        "ValidationException",
        "Digest is invalid length for algorithm " + algorithm + ".");
  }

  static Stream<Arguments> opensslPairs() {
    return Stream.of(
        Arguments.of(KeySpec.ECC_NIST_P384, SigningAlgorithmSpec.ECDSA_SHA_384, List.of()),
        Arguments.of(KeySpec.ECC_SECG_P256_K1, SigningAlgorithmSpec.ECDSA_SHA_256, List.of()),
        Arguments.of(KeySpec.ECC_NIST_P521, SigningAlgorithmSpec.ECDSA_SHA_512, List.of()),
        Arguments.of(KeySpec.RSA_2048, SigningAlgorithmSpec.RSASSA_PKCS1_V1_5_SHA_256, List.of()),
        Arguments.of(
            KeySpec.RSA_3072,
            SigningAlgorithmSpec.RSASSA_PSS_SHA_512,
            List.of("-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("opensslPairs")
  void opensslVerifiesWithTheDerPublicKey(
      KeySpec spec, SigningAlgorithmSpec algorithm, List<String> sigopts) throws Exception {
    Assumptions.assumeTrue(onPath("openssl"), "openssl is not on PATH (.ci/run installs it)");
    String keyId = key(spec);
    byte[] message = "pay 100 to alice".getBytes(StandardCharsets.UTF_8);
    Path messageFile = Files.write(temp.resolve(spec + "-message.bin"), message);
    Path keyFile =
        Files.write(
            temp.resolve(spec + "-pub.der"),
            kms.getPublicKey(r -> r.keyId(keyId)).publicKey().asByteArray());
    Path signatureFile =
        Files.write(
            temp.resolve(spec + "-sig.bin"),
            sign(keyId, algorithm, MessageType.RAW, message).signature().asByteArray());

    List<String> command =
        new ArrayList<>(
            List.of(
                "openssl",
                "dgst",
                "-" + hashName(algorithm).replace("-", "").toLowerCase(),
                "-verify",
                keyFile.toString(),
                "-keyform",
                "DER"));
    command.addAll(sigopts);
    command.addAll(List.of("-signature", signatureFile.toString(), messageFile.toString()));
    assertThat(run(command)).contains("Verified OK");

    byte[] tampered = message.clone();
    tampered[0] ^= 1;
    Files.write(messageFile, tampered);
    assertThat(run(command)).contains("Verification failure");
  }

  private SignResponse sign(
      String keyId, SigningAlgorithmSpec algorithm, MessageType type, byte[] message) {
    return kms.sign(
        r ->
            r.keyId(keyId)
                .signingAlgorithm(algorithm)
                .messageType(type)
                .message(SdkBytes.fromByteArray(message)));
  }

  private PublicKey publicKey(String keyId, KeySpec spec) throws GeneralSecurityException {
    byte[] der = kms.getPublicKey(r -> r.keyId(keyId)).publicKey().asByteArray();
    KeyFactory factory =
        spec == KeySpec.ECC_SECG_P256_K1
            ? KeyFactory.getInstance("EC", BC)
            : KeyFactory.getInstance(spec.toString().startsWith("RSA") ? "RSA" : "EC");
    return factory.generatePublic(new X509EncodedKeySpec(der));
  }

  static String hashName(SigningAlgorithmSpec algorithm) {
    String name = algorithm.toString();
    return "SHA-" + name.substring(name.length() - 3);
  }

  /**
   * Plain JCA with the parameters AWS documents (PSS: MGF1 with the message hash, salt = hash
   * length).
   */
  static boolean jcaVerify(
      PublicKey key, SigningAlgorithmSpec algorithm, byte[] message, byte[] signature)
      throws GeneralSecurityException {
    String hash = hashName(algorithm);
    String name = algorithm.toString();
    Signature verifier;
    if (name.startsWith("RSASSA_PSS")) {
      verifier = Signature.getInstance("RSASSA-PSS");
      int saltLength = Integer.parseInt(hash.substring(4)) / 8;
      verifier.setParameter(
          new PSSParameterSpec(hash, "MGF1", new MGF1ParameterSpec(hash), saltLength, 1));
    } else {
      String jcaName = hash.replace("-", "") + (name.startsWith("ECDSA") ? "withECDSA" : "withRSA");
      verifier =
          key.getClass().getName().contains("bouncycastle")
              ? Signature.getInstance(jcaName, BC)
              : Signature.getInstance(jcaName);
    }
    verifier.initVerify(key);
    verifier.update(message);
    return verifier.verify(signature);
  }

  /**
   * KMS returns ECDSA signatures as DER {@code SEQUENCE {INTEGER r, INTEGER s}}, minimally encoded.
   */
  static void assertStrictDerEcdsa(byte[] signature) throws IOException {
    ASN1Sequence sequence = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(signature));
    assertThat(sequence.size()).isEqualTo(2);
    assertThat(sequence.getObjectAt(0)).isInstanceOf(ASN1Integer.class);
    assertThat(sequence.getObjectAt(1)).isInstanceOf(ASN1Integer.class);
    assertThat(sequence.getEncoded("DER")).isEqualTo(signature);
  }

  static boolean onPath(String command) {
    String path = System.getenv("PATH");
    return path != null
        && Stream.of(path.split(java.io.File.pathSeparator))
            .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
  }

  static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] output = process.getInputStream().readAllBytes();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(command + " finished").isTrue();
    return new String(output, StandardCharsets.UTF_8);
  }
}
