package dev.nitroemu.kms;

import static dev.nitroemu.kms.ImportKeyMaterialFixtures.parameters;
import static dev.nitroemu.kms.KmsTestClients.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlgorithmSpec;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.ExpirationModelType;
import software.amazon.awssdk.services.kms.model.GetParametersForImportResponse;
import software.amazon.awssdk.services.kms.model.KeyAgreementAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.OriginType;

/**
 * Importing asymmetric key material (EC and RSA private keys) with an unmodified AWS SDK v2 client,
 * the material wrapped with {@code openssl pkeyutl} and {@code openssl enc -id-aes256-wrap-pad}
 * exactly as AWS's import guide shows.
 */
@Timeout(120)
class ImportAsymmetricKeyMaterialSdkTest {
  private final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private final MutableTestClock clock = new MutableTestClock(start);

  @TempDir Path state;
  @TempDir Path work;

  @Test
  void anEccPrivateKeyWrappedWithRsaAesKeyWrapDerivesTheSameSecretAsLocally() throws Exception {
    Openssl openssl = new Openssl(work);
    byte[] privateKey = openssl.privateKey("EC", "ec_paramgen_curve:P-256");
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId =
          kms.createKey(
                  r ->
                      r.origin(OriginType.EXTERNAL)
                          .keySpec(KeySpec.ECC_NIST_P256)
                          .keyUsage(KeyUsageType.KEY_AGREEMENT))
              .keyMetadata()
              .keyId();
      GetParametersForImportResponse parameters =
          parameters(kms, keyId, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_256);
      byte[] wrapped =
          openssl.wrap(
              "RSA_AES_KEY_WRAP_SHA_256", parameters.publicKey().asByteArray(), privateKey);
      kms.importKeyMaterial(
          r ->
              r.keyId(keyId)
                  .importToken(parameters.importToken())
                  .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                  .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE));
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().keyState())
          .isEqualTo(KeyState.ENABLED);

      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair peer = generator.generateKeyPair();
      byte[] derived =
          kms.deriveSharedSecret(
                  r ->
                      r.keyId(keyId)
                          .keyAgreementAlgorithm(KeyAgreementAlgorithmSpec.ECDH)
                          .publicKey(SdkBytes.fromByteArray(peer.getPublic().getEncoded())))
              .sharedSecret()
              .asByteArray();
      KeyAgreement local = KeyAgreement.getInstance("ECDH");
      PrivateKey imported =
          KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(privateKey));
      local.init(peer.getPrivate());
      local.doPhase(
          KeyFactory.getInstance("EC")
              .generatePublic(new java.security.spec.X509EncodedKeySpec(publicKeyOf(imported))),
          true);
      assertThat(derived).isEqualTo(local.generateSecret());

      kms.deleteImportedKeyMaterial(r -> r.keyId(keyId));
      byte[] otherCurve = openssl.privateKey("EC", "ec_paramgen_curve:P-384");
      GetParametersForImportResponse again =
          parameters(kms, keyId, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_1);
      byte[] wrongCurve =
          openssl.wrap("RSA_AES_KEY_WRAP_SHA_1", again.publicKey().asByteArray(), otherCurve);
      AwsErrorDetails incorrect =
          error(
              () ->
                  kms.importKeyMaterial(
                      r ->
                          r.keyId(keyId)
                              .importToken(again.importToken())
                              .encryptedKeyMaterial(SdkBytes.fromByteArray(wrongCurve))
                              .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE)));
      assertThat(incorrect.errorCode()).isEqualTo("IncorrectKeyMaterialException");
    }
  }

  @Test
  void anImportedRsaKeyEncryptsWhatOpensslDecrypts() throws Exception {
    Openssl openssl = new Openssl(work);
    byte[] privateKey = openssl.privateKey("RSA", "rsa_keygen_bits:2048");
    Files.copy(work.resolve("generated.pem"), work.resolve("rsa.pem"));
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId =
          kms.createKey(
                  r ->
                      r.origin(OriginType.EXTERNAL)
                          .keySpec(KeySpec.RSA_2048)
                          .keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
              .keyMetadata()
              .keyId();
      GetParametersForImportResponse parameters =
          parameters(kms, keyId, AlgorithmSpec.RSA_AES_KEY_WRAP_SHA_1);
      byte[] wrapped =
          openssl.wrap("RSA_AES_KEY_WRAP_SHA_1", parameters.publicKey().asByteArray(), privateKey);
      kms.importKeyMaterial(
          r ->
              r.keyId(keyId)
                  .importToken(parameters.importToken())
                  .encryptedKeyMaterial(SdkBytes.fromByteArray(wrapped))
                  .expirationModel(ExpirationModelType.KEY_MATERIAL_DOES_NOT_EXPIRE));

      byte[] ciphertext =
          kms.encrypt(
                  r ->
                      r.keyId(keyId)
                          .encryptionAlgorithm(EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256)
                          .plaintext(SdkBytes.fromUtf8String("for openssl")))
              .ciphertextBlob()
              .asByteArray();
      Files.write(work.resolve("kms-ciphertext.bin"), ciphertext);
      openssl.run(
          "pkeyutl",
          "-decrypt",
          "-inkey",
          "rsa.pem",
          "-in",
          "kms-ciphertext.bin",
          "-out",
          "decrypted.txt",
          "-pkeyopt",
          "rsa_padding_mode:oaep",
          "-pkeyopt",
          "rsa_oaep_md:sha256",
          "-pkeyopt",
          "rsa_mgf1_md:sha256");
      assertThat(Files.readString(work.resolve("decrypted.txt"))).isEqualTo("for openssl");
    }
  }

  private static byte[] publicKeyOf(PrivateKey key) throws Exception {
    java.security.interfaces.ECPrivateKey ec = (java.security.interfaces.ECPrivateKey) key;
    org.bouncycastle.jce.spec.ECNamedCurveParameterSpec p256 =
        org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("secp256r1");
    org.bouncycastle.math.ec.ECPoint q = p256.getG().multiply(ec.getS()).normalize();
    KeyFactory bc =
        KeyFactory.getInstance("EC", new org.bouncycastle.jce.provider.BouncyCastleProvider());
    return bc.generatePublic(new org.bouncycastle.jce.spec.ECPublicKeySpec(q, p256)).getEncoded();
  }

  private KmsMockServer server() throws IOException {
    return ImportKeyMaterialFixtures.server(clock, state);
  }

  private KmsClient client(KmsMockServer server) {
    return ImportKeyMaterialFixtures.client(server, clock);
  }
}
