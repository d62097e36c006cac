package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.internal.CiphertextBlob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

/**
 * LocalStack's CreateKey tags: {@code _custom_id_} fixes the key id and {@code
 * _custom_key_material_} supplies the key (raw AES or HMAC bytes, DER PKCS#8 for RSA and ECC), as
 * LocalStack documents; a strict server treats both as ordinary tags, as AWS does.
 */
@Timeout(60)
class LocalStackTagsTest {
  private KmsMockServer server;
  private KmsClient kms;

  private void start(boolean localStackTags) throws IOException {
    server = KmsMockServer.builder().localStackTags(localStackTags).build().start();
    kms = KmsTestClients.client(server);
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
  }

  private static Tag tag(String key, String value) {
    return Tag.builder().tagKey(key).tagValue(value).build();
  }

  private static Tag material(byte[] bytes) {
    return tag("_custom_key_material_", Base64.getEncoder().encodeToString(bytes));
  }

  @Test
  void customIdFixesTheKeyIdAndStaysATag() throws IOException {
    start(true);
    String customId = UUID.randomUUID().toString();

    String keyId = kms.createKey(r -> r.tags(tag("_custom_id_", customId))).keyMetadata().keyId();

    assertThat(keyId).isEqualTo(customId);
    assertThat(kms.describeKey(r -> r.keyId(customId)).keyMetadata().arn())
        .endsWith(":key/" + customId);
    assertThat(kms.listResourceTags(r -> r.keyId(customId)).tags())
        .containsExactly(tag("_custom_id_", customId));
    assertError(
        () -> kms.createKey(r -> r.tags(tag("_custom_id_", customId))),
        "AlreadyExistsException",
        "A key with the id " + customId + " (_custom_id_) already exists.");
    assertError(
        () -> kms.createKey(r -> r.tags(tag("_custom_id_", "my-key"))),
        "ValidationException",
        "_custom_id_ must be a key id (a UUID such as 1234abcd-12ab-34cd-56ef-1234567890ab).");
  }

  @Test
  void symmetricMaterialIsTheAesKeyOfTheBlobs() throws IOException {
    start(true);
    byte[] key =
        "custom test key material"
            .getBytes(StandardCharsets.US_ASCII); // 24 bytes, as in LocalStack's test
    String keyId =
        kms.createKey(r -> r.tags(material(key), tag("team", "payments"))).keyMetadata().keyId();

    byte[] blob =
        kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("secret")))
            .ciphertextBlob()
            .asByteArray();

    assertThat(CiphertextBlob.parse(blob).decrypt(new SecretKeySpec(key, "AES"), Map.of()))
        .isEqualTo("secret".getBytes(StandardCharsets.UTF_8));
    // The material tag is consumed, never stored or listed; other tags stay.
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags())
        .containsExactly(tag("team", "payments"));
    assertThat(server.auditLog().events().get(0).toJson())
        .contains("HIDDEN_DUE_TO_SECURITY_REASONS")
        .doesNotContain(Base64.getEncoder().encodeToString(key));
    assertError(
        () -> kms.createKey(r -> r.tags(material(new byte[20]))),
        "ValidationException",
        "_custom_key_material_ of a SYMMETRIC_DEFAULT key must be the base64 of an AES key of 16, 24 or 32 bytes, "
            + "not 20 bytes.");
    assertError(
        () -> kms.createKey(r -> r.tags(tag("_custom_key_material_", "not base64!"))),
        "ValidationException",
        "_custom_key_material_ must be base64 key material.");
  }

  @Test
  void eccAndRsaMaterialIsAPkcs8PrivateKey() throws Exception {
    start(true);
    for (String curve : new String[] {"secp256k1", "secp384r1"}) {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", KmsSignVerifyTest.BC);
      generator.initialize(new ECGenParameterSpec(curve));
      KeyPair pair = generator.generateKeyPair();
      KeySpec spec = curve.equals("secp256k1") ? KeySpec.ECC_SECG_P256_K1 : KeySpec.ECC_NIST_P384;
      String keyId =
          kms.createKey(
                  r ->
                      r.keySpec(spec)
                          .keyUsage(KeyUsageType.SIGN_VERIFY)
                          .tags(material(pair.getPrivate().getEncoded())))
              .keyMetadata()
              .keyId();

      assertThat(kms.getPublicKey(r -> r.keyId(keyId)).publicKey().asByteArray())
          .isEqualTo(pair.getPublic().getEncoded());
      byte[] message = "test message 123 !%$@ 1234567890".getBytes(StandardCharsets.UTF_8);
      Signature signer =
          Signature.getInstance(
              curve.equals("secp256k1") ? "SHA256withECDSA" : "SHA384withECDSA",
              KmsSignVerifyTest.BC);
      signer.initSign(pair.getPrivate());
      signer.update(message);
      byte[] signature = signer.sign();
      SigningAlgorithmSpec algorithm =
          kms.describeKey(r -> r.keyId(keyId)).keyMetadata().signingAlgorithms().get(0);
      assertThat(
              kms.verify(
                      r ->
                          r.keyId(keyId)
                              .signingAlgorithm(algorithm)
                              .message(SdkBytes.fromByteArray(message))
                              .signature(SdkBytes.fromByteArray(signature)))
                  .signatureValid())
          .isTrue();
    }

    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    KeyPair pair = rsa.generateKeyPair();
    String keyId =
        kms.createKey(
                r ->
                    r.keySpec(KeySpec.RSA_2048)
                        .keyUsage(KeyUsageType.SIGN_VERIFY)
                        .tags(material(pair.getPrivate().getEncoded())))
            .keyMetadata()
            .keyId();
    byte[] signature =
        kms.sign(
                r ->
                    r.keyId(keyId)
                        .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PKCS1_V1_5_SHA_256)
                        .message(SdkBytes.fromUtf8String("hello")))
            .signature()
            .asByteArray();
    Signature verifier = Signature.getInstance("SHA256withRSA");
    verifier.initVerify(pair.getPublic());
    verifier.update("hello".getBytes(StandardCharsets.UTF_8));
    assertThat(verifier.verify(signature)).isTrue();

    assertError(
        () ->
            kms.createKey(
                r ->
                    r.keySpec(KeySpec.RSA_3072)
                        .keyUsage(KeyUsageType.SIGN_VERIFY)
                        .tags(material(pair.getPrivate().getEncoded()))),
        "IncorrectKeyMaterialException",
        "The key material is not valid for key spec RSA_3072: the RSA modulus has 2048 bits.");
    assertError(
        () ->
            kms.createKey(
                r ->
                    r.keySpec(KeySpec.ECC_NIST_P256)
                        .keyUsage(KeyUsageType.SIGN_VERIFY)
                        .tags(material(pair.getPrivate().getEncoded()))),
        "IncorrectKeyMaterialException",
        "The key material is not valid for key spec ECC_NIST_P256: it is not a DER-encoded PKCS#8 EC private key.");
  }

  @Test
  void aStrictServerTreatsThemAsOrdinaryTags() throws IOException {
    start(false);
    String customId = UUID.randomUUID().toString();
    byte[] key = new byte[32];

    String keyId =
        kms.createKey(r -> r.tags(tag("_custom_id_", customId), material(key)))
            .keyMetadata()
            .keyId();

    assertThat(keyId).isNotEqualTo(customId);
    assertThat(kms.listResourceTags(r -> r.keyId(keyId)).tags())
        .containsExactly(tag("_custom_id_", customId), material(key));
    byte[] blob =
        kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("x")))
            .ciphertextBlob()
            .asByteArray();
    assertThat(CiphertextBlob.parse(blob).keyId()).isEqualTo(keyId);
    // As an ordinary tag its value is held to the 256-character limit: a PKCS#8 key does not fit.
    String long300 = Base64.getEncoder().encodeToString(new byte[300]);
    assertError(
        () -> kms.createKey(r -> r.tags(material(new byte[300]))),
        "ValidationException",
        "1 validation error detected: Value '"
            + long300
            + "' at 'tags.1.member.tagValue' failed to satisfy "
            + "constraint: Member must have length less than or equal to 256");
  }
}
