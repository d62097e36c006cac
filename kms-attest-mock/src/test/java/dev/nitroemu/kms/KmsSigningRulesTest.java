package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.EncryptionAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.GetPublicKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyAgreementAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MessageType;
import software.amazon.awssdk.services.kms.model.SigningAlgorithmSpec;

/**
 * What Sign, Verify and GetPublicKey refuse, and how: request validation, key usage and algorithm,
 * key states, the {@code kms:SigningAlgorithm} and {@code kms:MessageType} condition keys, and
 * GetPublicKey's metadata for each key usage.
 */
@Timeout(120)
class KmsSigningRulesTest {
  private static final SdkBytes MESSAGE = SdkBytes.fromUtf8String("transfer 10 BTC");

  private KmsMockServer server;
  private KmsClient kms;
  private String p384;

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
    p384 =
        kms.createKey(r -> r.keySpec(KeySpec.ECC_NIST_P384).keyUsage(KeyUsageType.SIGN_VERIFY))
            .keyMetadata()
            .keyId();
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
  }

  private String arn(String keyId) {
    return "arn:aws:kms:us-east-1:000000000000:key/" + keyId;
  }

  @Test
  void describeKeyListsTheSigningAlgorithmsOnly() {
    KeyMetadata metadata = kms.describeKey(r -> r.keyId(p384)).keyMetadata();
    assertThat(metadata.keySpec()).isEqualTo(KeySpec.ECC_NIST_P384);
    assertThat(metadata.keyUsage()).isEqualTo(KeyUsageType.SIGN_VERIFY);
    assertThat(metadata.signingAlgorithms()).containsExactly(SigningAlgorithmSpec.ECDSA_SHA_384);
    assertThat(metadata.encryptionAlgorithms()).isEmpty();
    assertThat(metadata.macAlgorithms()).isEmpty();
    assertThat(metadata.currentKeyMaterialId()).isNull();
    KeyMetadata rsa =
        kms.createKey(r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.SIGN_VERIFY))
            .keyMetadata();
    assertThat(rsa.signingAlgorithmsAsStrings())
        .containsExactly(
            "RSASSA_PKCS1_V1_5_SHA_256",
            "RSASSA_PKCS1_V1_5_SHA_384",
            "RSASSA_PKCS1_V1_5_SHA_512",
            "RSASSA_PSS_SHA_256",
            "RSASSA_PSS_SHA_384",
            "RSASSA_PSS_SHA_512");
    assertError(
        () ->
            kms.createKey(
                r -> r.keySpec(KeySpec.ECC_SECG_P256_K1).keyUsage(KeyUsageType.KEY_AGREEMENT)),
        "ValidationException",
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec ECC_SECG_P256K1");
  }

  @Test
  void requestValidationComesFirst() {
    byte[] tooLong = new byte[4097];
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(p384)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)
                        .message(SdkBytes.fromByteArray(tooLong))),
        "ValidationException",
        "1 validation error detected: Value at 'message' failed to satisfy constraint: "
            + "Member must have length less than or equal to 4096");
    assertError(
        () -> kms.sign(r -> r.keyId(p384).message(MESSAGE)),
        "ValidationException",
        "1 validation error detected: Value null at 'signingAlgorithm' failed to satisfy constraint: "
            + "Member must not be null");
    assertError(
        () ->
            kms.verify(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)),
        "ValidationException",
        "1 validation error detected: Value null at 'signature' failed to satisfy constraint: "
            + "Member must not be null");
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId("not-a-key")
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)),
        "NotFoundException",
        "Invalid keyId 'not-a-key'");
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)
                        .messageType(MessageType.EXTERNAL_MU)),
        "ValidationException",
        "MessageType EXTERNAL_MU is valid only with ML_DSA key specs.");
  }

  @Test
  void keyUsageAndAlgorithmMustFitTheKey() {
    String symmetric = kms.createKey(r -> r.description("encrypts")).keyMetadata().keyId();
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(symmetric)
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256)),
        "InvalidKeyUsageException",
        arn(symmetric) + " key usage is ENCRYPT_DECRYPT which is not valid for Sign.");
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_256)),
        "InvalidKeyUsageException",
        "Algorithm ECDSA_SHA_256 is incompatible with key spec ECC_NIST_P384.");
    assertError(
        () ->
            kms.verify(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signature(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PSS_SHA_384)),
        "InvalidKeyUsageException",
        "Algorithm RSASSA_PSS_SHA_384 is incompatible with key spec ECC_NIST_P384.");
    assertError(
        () -> kms.encrypt(r -> r.keyId(p384).plaintext(MESSAGE)),
        "InvalidKeyUsageException",
        arn(p384) + " key usage is SIGN_VERIFY which is not valid for Encrypt.");
    assertError(
        () ->
            kms.verify(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signature(SdkBytes.fromUtf8String("not DER"))
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)),
        "KMSInvalidSignatureException",
        null);
  }

  @Test
  void disabledKeysAndKeysPendingDeletionDoNotSign() {
    kms.disableKey(r -> r.keyId(p384));
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)),
        "DisabledException",
        arn(p384) + " is disabled.");
    // Real KMS answers GetPublicKey for a disabled key (LocalStack's AWS-validated observation).
    assertThat(kms.getPublicKey(r -> r.keyId(p384)).keySpec()).isEqualTo(KeySpec.ECC_NIST_P384);

    kms.scheduleKeyDeletion(r -> r.keyId(p384).pendingWindowInDays(7));
    assertError(
        () ->
            kms.verify(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signature(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)),
        "KMSInvalidStateException",
        arn(p384) + " is pending deletion.");
    assertError(
        () -> kms.getPublicKey(r -> r.keyId(p384)),
        "KMSInvalidStateException",
        arn(p384) + " is pending deletion.");
  }

  @Test
  void theKeyPolicySeesSigningAlgorithmAndMessageType() {
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
            + "\"Action\":[\"kms:PutKeyPolicy\",\"kms:GetPublicKey\",\"kms:Verify\"],\"Resource\":\"*\"},"
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"000000000000\"},\"Action\":\"kms:Sign\",\"Resource\":\"*\","
            + "\"Condition\":{\"StringEquals\":{\"kms:SigningAlgorithm\":\"RSASSA_PSS_SHA_256\",\"kms:MessageType\":\"RAW\"}}}]}";
    String keyId =
        kms.createKey(
                r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.SIGN_VERIFY).policy(policy))
            .keyMetadata()
            .keyId();
    String denied =
        "User: arn:aws:iam::000000000000:root is not authorized to perform: kms:Sign on resource: "
            + arn(keyId)
            + " because no resource-based policy allows the kms:Sign action";

    assertThat(
            kms.sign(
                    r ->
                        r.keyId(keyId)
                            .message(MESSAGE)
                            .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PSS_SHA_256))
                .signature()
                .asByteArray())
        .hasSize(256);
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(keyId)
                        .message(MESSAGE)
                        .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PKCS1_V1_5_SHA_256)),
        "AccessDeniedException",
        denied);
    assertError(
        () ->
            kms.sign(
                r ->
                    r.keyId(keyId)
                        .messageType(MessageType.DIGEST)
                        .message(SdkBytes.fromByteArray(new byte[32]))
                        .signingAlgorithm(SigningAlgorithmSpec.RSASSA_PSS_SHA_256)),
        "AccessDeniedException",
        denied);
  }

  @Test
  void getPublicKeyAnswersForEachAsymmetricUsage() throws Exception {
    GetPublicKeyResponse signing = kms.getPublicKey(r -> r.keyId(p384));
    assertThat(signing.keyId()).isEqualTo(arn(p384));
    assertThat(signing.keySpec()).isEqualTo(KeySpec.ECC_NIST_P384);
    assertThat(signing.customerMasterKeySpecAsString()).isEqualTo("ECC_NIST_P384");
    assertThat(signing.keyUsage()).isEqualTo(KeyUsageType.SIGN_VERIFY);
    assertThat(signing.signingAlgorithms()).containsExactly(SigningAlgorithmSpec.ECDSA_SHA_384);
    assertThat(signing.encryptionAlgorithms()).isEmpty();
    assertThat(
            KeyFactory.getInstance("EC")
                .generatePublic(new X509EncodedKeySpec(signing.publicKey().asByteArray())))
        .satisfies(k -> assertThat(k.getAlgorithm()).isEqualTo("EC"));

    String agreement =
        kms.createKey(r -> r.keySpec(KeySpec.ECC_NIST_P256).keyUsage(KeyUsageType.KEY_AGREEMENT))
            .keyMetadata()
            .keyId();
    GetPublicKeyResponse ecdh = kms.getPublicKey(r -> r.keyId(agreement));
    assertThat(ecdh.keyAgreementAlgorithms()).containsExactly(KeyAgreementAlgorithmSpec.ECDH);
    assertThat(ecdh.signingAlgorithms()).isEmpty();

    // An RSA encryption key's public key encrypts offline what KMS then decrypts.
    String rsa =
        kms.createKey(r -> r.keySpec(KeySpec.RSA_3072).keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
            .keyMetadata()
            .keyId();
    GetPublicKeyResponse encryption = kms.getPublicKey(r -> r.keyId(rsa));
    assertThat(encryption.encryptionAlgorithms())
        .containsExactly(
            EncryptionAlgorithmSpec.RSAES_OAEP_SHA_1, EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256);
    PublicKey publicKey =
        KeyFactory.getInstance("RSA")
            .generatePublic(new X509EncodedKeySpec(encryption.publicKey().asByteArray()));
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(
        Cipher.ENCRYPT_MODE,
        publicKey,
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
    byte[] ciphertext = oaep.doFinal("offline".getBytes(StandardCharsets.UTF_8));
    assertThat(
            kms.decrypt(
                    r ->
                        r.keyId(rsa)
                            .encryptionAlgorithm(EncryptionAlgorithmSpec.RSAES_OAEP_SHA_256)
                            .ciphertextBlob(SdkBytes.fromByteArray(ciphertext)))
                .plaintext()
                .asUtf8String())
        .isEqualTo("offline");

    String symmetric = kms.createKey(r -> r.description("no public key")).keyMetadata().keyId();
    assertError(
        () -> kms.getPublicKey(r -> r.keyId(symmetric)),
        "UnsupportedOperationException",
        arn(symmetric) + " key spec is SYMMETRIC_DEFAULT which is not valid for GetPublicKey.");
  }

  @Test
  void signAndVerifyAreAuditedWithoutTheMessage() {
    kms.sign(
        r -> r.keyId(p384).message(MESSAGE).signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384));
    assertError(
        () ->
            kms.verify(
                r ->
                    r.keyId(p384)
                        .message(MESSAGE)
                        .signature(SdkBytes.fromByteArray(new byte[8]))
                        .signingAlgorithm(SigningAlgorithmSpec.ECDSA_SHA_384)),
        "KMSInvalidSignatureException",
        null);

    AuditEvent sign =
        server.auditLog().events().stream()
            .filter(e -> e.eventName().equals("Sign"))
            .findFirst()
            .orElseThrow();
    assertThat(sign.toJson())
        .contains("\"signingAlgorithm\":\"ECDSA_SHA_384\"")
        .doesNotContain(MESSAGE.asUtf8String(), "signature\":");
    assertThat(sign.resources()).containsExactly(arn(p384));
    AuditEvent verify =
        server.auditLog().events().stream()
            .filter(e -> e.eventName().equals("Verify"))
            .findFirst()
            .orElseThrow();
    assertThat(verify.errorCode()).isEqualTo("KMSInvalidSignatureException");
  }
}
