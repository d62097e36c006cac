package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsErrors.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.GenerateMacResponse;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.MacAlgorithmSpec;
import software.amazon.awssdk.services.kms.model.Tag;

/** GenerateMac and VerifyMac through the unmodified AWS SDK, for the four HMAC key specs. */
@Timeout(60)
class KmsMacTest {
  private static final SdkBytes MESSAGE = SdkBytes.fromUtf8String("some important message");

  private KmsMockServer server;
  private KmsClient kms;

  @BeforeEach
  void start() throws IOException {
    server = KmsMockServer.builder().build().start();
    kms = KmsTestClients.client(server);
  }

  @AfterEach
  void stop() {
    kms.close();
    server.close();
  }

  private String arn(String keyId) {
    return "arn:aws:kms:us-east-1:000000000000:key/" + keyId;
  }

  @ParameterizedTest
  @CsvSource({
    "HMAC_224, HMAC_SHA_224, HmacSHA224",
    "HMAC_256, HMAC_SHA_256, HmacSHA256",
    "HMAC_384, HMAC_SHA_384, HmacSHA384",
    "HMAC_512, HMAC_SHA_512, HmacSHA512"
  })
  void macsAreHmacsOfTheKeyMaterial(KeySpec spec, MacAlgorithmSpec algorithm, String jcaName)
      throws Exception {
    // LocalStack's _custom_key_material_ tag lets the test know the key, so the MAC is checked by
    // JCA.
    byte[] material = ("key material for " + spec).getBytes();
    String keyId =
        kms.createKey(
                r ->
                    r.keySpec(spec)
                        .keyUsage(KeyUsageType.GENERATE_VERIFY_MAC)
                        .tags(
                            Tag.builder()
                                .tagKey("_custom_key_material_")
                                .tagValue(Base64.getEncoder().encodeToString(material))
                                .build()))
            .keyMetadata()
            .keyId();
    Mac jca = Mac.getInstance(jcaName);
    jca.init(new SecretKeySpec(material, jcaName));

    GenerateMacResponse generated =
        kms.generateMac(r -> r.keyId(keyId).macAlgorithm(algorithm).message(MESSAGE));

    assertThat(generated.mac().asByteArray()).isEqualTo(jca.doFinal(MESSAGE.asByteArray()));
    assertThat(generated.keyId()).isEqualTo(arn(keyId));
    assertThat(generated.macAlgorithm()).isEqualTo(algorithm);
    assertThat(
            kms.verifyMac(
                    r ->
                        r.keyId(keyId)
                            .macAlgorithm(algorithm)
                            .message(MESSAGE)
                            .mac(generated.mac()))
                .macValid())
        .isTrue();
    assertError(
        () ->
            kms.verifyMac(
                r ->
                    r.keyId(keyId)
                        .macAlgorithm(algorithm)
                        .message(SdkBytes.fromUtf8String("some different important message"))
                        .mac(generated.mac())),
        "KMSInvalidMacException",
        null);
  }

  @Test
  void generatedKeysHaveTheirOwnMaterialAndMetadata() {
    KeyMetadata metadata =
        kms.createKey(
                r ->
                    r.keySpec(KeySpec.HMAC_384)
                        .keyUsage(KeyUsageType.GENERATE_VERIFY_MAC)
                        .description("test key"))
            .keyMetadata();
    String other =
        kms.createKey(r -> r.keySpec(KeySpec.HMAC_384).keyUsage(KeyUsageType.GENERATE_VERIFY_MAC))
            .keyMetadata()
            .keyId();

    assertThat(metadata.keyUsage()).isEqualTo(KeyUsageType.GENERATE_VERIFY_MAC);
    assertThat(metadata.macAlgorithms()).containsExactly(MacAlgorithmSpec.HMAC_SHA_384);
    assertThat(metadata.encryptionAlgorithms()).isEmpty();
    assertThat(kms.describeKey(r -> r.keyId(metadata.keyId())).keyMetadata()).isEqualTo(metadata);
    SdkBytes mac =
        kms.generateMac(
                r ->
                    r.keyId(metadata.keyId())
                        .macAlgorithm(MacAlgorithmSpec.HMAC_SHA_384)
                        .message(MESSAGE))
            .mac();
    assertThat(mac.asByteArray()).hasSize(48);
    assertError(
        () ->
            kms.verifyMac(
                r ->
                    r.keyId(other)
                        .macAlgorithm(MacAlgorithmSpec.HMAC_SHA_384)
                        .message(MESSAGE)
                        .mac(mac)),
        "KMSInvalidMacException",
        null);
  }

  @Test
  void refusalsAreKmsErrors() {
    String hmac =
        kms.createKey(r -> r.keySpec(KeySpec.HMAC_224).keyUsage(KeyUsageType.GENERATE_VERIFY_MAC))
            .keyMetadata()
            .keyId();
    String symmetric = kms.createKey(r -> r.description("encrypts")).keyMetadata().keyId();

    assertError(
        () ->
            kms.generateMac(
                r -> r.keyId(hmac).macAlgorithm(MacAlgorithmSpec.HMAC_SHA_256).message(MESSAGE)),
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.");
    assertError(
        () -> kms.generateMac(r -> r.keyId(hmac).macAlgorithm("INVALID").message(MESSAGE)),
        "ValidationException",
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy "
            + "constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]");
    assertError(
        () ->
            kms.generateMac(
                r ->
                    r.keyId(symmetric)
                        .macAlgorithm(MacAlgorithmSpec.HMAC_SHA_256)
                        .message(MESSAGE)),
        "InvalidKeyUsageException",
        arn(symmetric) + " key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.");
    assertError(
        () -> kms.sign(r -> r.keyId(hmac).signingAlgorithm("ECDSA_SHA_256").message(MESSAGE)),
        "InvalidKeyUsageException",
        arn(hmac) + " key usage is GENERATE_VERIFY_MAC which is not valid for Sign.");
    assertError(
        () ->
            kms.generateMac(
                r ->
                    r.keyId("key_id").macAlgorithm(MacAlgorithmSpec.HMAC_SHA_224).message(MESSAGE)),
        "NotFoundException",
        "Invalid keyId 'key_id'");
    assertError(
        () ->
            kms.generateMac(
                r ->
                    r.keyId(hmac)
                        .macAlgorithm(MacAlgorithmSpec.HMAC_SHA_224)
                        .message(SdkBytes.fromByteArray(new byte[4097]))),
        "ValidationException",
        "1 validation error detected: Value at 'message' failed to satisfy constraint: "
            + "Member must have length less than or equal to 4096");
    assertError(
        () -> kms.createKey(r -> r.keySpec(KeySpec.HMAC_256)),
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");

    kms.disableKey(r -> r.keyId(hmac));
    assertError(
        () ->
            kms.generateMac(
                r -> r.keyId(hmac).macAlgorithm(MacAlgorithmSpec.HMAC_SHA_224).message(MESSAGE)),
        "DisabledException",
        arn(hmac) + " is disabled.");
  }

  @Test
  void theKeyPolicySeesTheMacAlgorithm() {
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::000000000000:root\"},"
            + "\"Action\":[\"kms:PutKeyPolicy\",\"kms:VerifyMac\"],\"Resource\":\"*\"},"
            + "{\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"kms:GenerateMac\",\"Resource\":\"*\","
            + "\"Condition\":{\"StringNotEquals\":{\"kms:MacAlgorithm\":\"HMAC_SHA_512\"}}},"
            + "{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"000000000000\"},\"Action\":\"kms:GenerateMac\","
            + "\"Resource\":\"*\"}]}";
    String keyId =
        kms.createKey(
                r ->
                    r.keySpec(KeySpec.HMAC_256)
                        .keyUsage(KeyUsageType.GENERATE_VERIFY_MAC)
                        .policy(policy))
            .keyMetadata()
            .keyId();

    // The policy denies every algorithm but HMAC_SHA_512, so even the key's own algorithm is
    // refused.
    assertError(
        () ->
            kms.generateMac(
                r -> r.keyId(keyId).macAlgorithm(MacAlgorithmSpec.HMAC_SHA_256).message(MESSAGE)),
        "AccessDeniedException",
        "User: arn:aws:iam::000000000000:root is not authorized to perform: kms:GenerateMac"
            + " on resource: "
            + arn(keyId)
            + " with an explicit deny in a resource-based policy");
    // HMAC_SHA_512 passes the policy and then fails on the key spec.
    assertError(
        () ->
            kms.generateMac(
                r -> r.keyId(keyId).macAlgorithm(MacAlgorithmSpec.HMAC_SHA_512).message(MESSAGE)),
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.");
  }
}
