package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.KeyAgreement;
import org.junit.jupiter.api.Test;

/**
 * Operations with a Recipient: attestation verified first, PCR conditions enforced, secrets sealed
 * with CMS.
 */
class AttestedOperationsTest {
  private static final String ZEROS = "0".repeat(96);

  private final MutableTestClock clock = new MutableTestClock(Instant.now());
  private final EmulatorRootCa root = EmulatorRootCa.generate(clock);
  private final SoftwareNsm enclave = SoftwareNsm.builder().rootCa(root).clock(clock).build();
  private static final KeyPair enclaveKey = rsaKeyPair();
  private final KmsTestBed bed = KmsTestBed.trusting(root.certificate(), clock);
  private final String pcr0 = HexFormat.of().formatHex(enclave.describePcr(0).data());
  private final String keyId = bed.createKey(createWithPolicy(pcr0, null)).get("KeyId").textValue();
  private final byte[] secret =
      "database password".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  private final String blob = bed.encrypt(keyId, secret, null);

  @Test
  void anAttestedDecryptReturnsOnlyCiphertextForRecipientWhichTheEnclaveOpens() {
    KmsResult result =
        bed.call("Decrypt", "{\"CiphertextBlob\": \"" + blob + "\", " + recipient(enclave) + "}");
    JsonNode response = result.response();

    assertThat(response.has("Plaintext")).isFalse();
    assertThat(response.has("KeyMaterialId")).isFalse();
    assertThat(response.get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
    assertThat(response.get("EncryptionAlgorithm").textValue()).isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(open(response)).isEqualTo(secret);
    assertThat(result.recipient().moduleId()).isEqualTo(enclave.moduleId());
    assertThat(result.recipient().pcrs().get(0)).isEqualTo(enclave.describePcr(0).data());
  }

  @Test
  void decryptWithoutAttestationFailsTheAttestationCondition() {
    KmsError error = bed.error("Decrypt", "{\"CiphertextBlob\": \"" + blob + "\"}");

    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage())
        .isEqualTo(
            "User: arn:aws:iam::111122223333:root is not authorized to perform: "
                + "kms:Decrypt on resource: "
                + bed.arn(keyId)
                + " because no resource-based policy allows the kms:Decrypt "
                + "action");
  }

  @Test
  void anEnclaveWithAnotherImageIsDenied() {
    byte[] otherImage = new byte[48];
    Arrays.fill(otherImage, (byte) 0x5a);
    SoftwareNsm other =
        SoftwareNsm.builder()
            .rootCa(root)
            .clock(clock)
            .profile(EnclaveProfile.builder().pcr(0, otherImage).build())
            .build();

    KmsError error =
        bed.error("Decrypt", "{\"CiphertextBlob\": \"" + blob + "\", " + recipient(other) + "}");

    assertThat(error.type()).isEqualTo("AccessDeniedException");
    assertThat(error.getMessage()).contains("kms:Decrypt");
  }

  @Test
  void aDebugEnclaveIsDeniedUnlessThePolicyAllowsZeroPcrs() {
    SoftwareNsm debug =
        SoftwareNsm.builder()
            .rootCa(root)
            .clock(clock)
            .profile(EnclaveProfile.builder().debug(true).build())
            .build();
    String permissive = bed.createKey(createWithPolicy(pcr0, ZEROS)).get("KeyId").textValue();
    String permissiveBlob = bed.encrypt(permissive, secret, null);

    assertThat(
            bed.error("Decrypt", "{\"CiphertextBlob\": \"" + blob + "\", " + recipient(debug) + "}")
                .type())
        .isEqualTo("AccessDeniedException");
    JsonNode allowed =
        bed.call(
                "Decrypt",
                "{\"CiphertextBlob\": \"" + permissiveBlob + "\", " + recipient(debug) + "}")
            .response();
    assertThat(open(allowed)).isEqualTo(secret);
  }

  @Test
  void documentsTheKmsCannotVerifyAreRefusedBeforeThePolicyIsConsulted() {
    SoftwareNsm untrusted = SoftwareNsm.builder().clock(clock).build();
    String openPolicyKey = bed.symmetricKey();
    String openBlob = bed.encrypt(openPolicyKey, secret, null);

    KmsError unknownRoot =
        bed.error(
            "Decrypt", "{\"CiphertextBlob\": \"" + openBlob + "\", " + recipient(untrusted) + "}");
    String stale = recipient(enclave);
    clock.advance(Duration.ofMinutes(6));
    KmsError tooOld =
        bed.error("Decrypt", "{\"CiphertextBlob\": \"" + openBlob + "\", " + stale + "}");
    KmsError badAlgorithm =
        bed.error(
            "Decrypt",
            "{\"CiphertextBlob\": \""
                + openBlob
                + "\", "
                + recipient(enclave).replace("RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1")
                + "}");

    assertThat(unknownRoot.type()).isEqualTo("AccessDeniedException");
    assertThat(tooOld.type()).isEqualTo("AccessDeniedException");
    assertThat(unknownRoot.getMessage())
        .isNotEqualTo(tooOld.getMessage())
        .doesNotContain("resource-based policy");
    assertThat(badAlgorithm.type()).isEqualTo("ValidationException");
  }

  @Test
  void attestedGenerateDataKeySealsTheKeyButStillReturnsItsBlob() {
    JsonNode response =
        bed.call(
                "GenerateDataKey",
                "{\"KeyId\": \""
                    + keyId
                    + "\", \"KeySpec\": \"AES_256\", "
                    + recipient(enclave)
                    + "}")
            .response();
    byte[] dataKey = open(response);

    assertThat(response.has("Plaintext")).isFalse();
    assertThat(response.has("KeyMaterialId")).isFalse();
    assertThat(dataKey).hasSize(32);
    JsonNode again =
        bed.call(
                "Decrypt",
                "{\"CiphertextBlob\": \""
                    + response.get("CiphertextBlob").textValue()
                    + "\", "
                    + recipient(enclave)
                    + "}")
            .response();
    assertThat(open(again)).isEqualTo(dataKey);
    assertThat(
            bed.error("GenerateDataKey", "{\"KeyId\": \"" + keyId + "\", \"KeySpec\": \"AES_256\"}")
                .type())
        .isEqualTo("AccessDeniedException");
  }

  @Test
  void attestedGenerateDataKeyPairSealsThePrivateKey() throws Exception {
    KmsResult result =
        bed.call(
            "GenerateDataKeyPair",
            "{\"KeyId\": \""
                + keyId
                + "\", \"KeyPairSpec\": "
                + "\"ECC_NIST_P256\", "
                + recipient(enclave)
                + "}");
    JsonNode response = result.response();

    assertThat(response.has("PrivateKeyPlaintext")).isFalse();
    assertThat(response.has("KeyMaterialId")).isFalse();
    assertThat(response.has("PrivateKeyCiphertextBlob")).isTrue();
    PrivateKey privateKey =
        KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(open(response)));
    assertThat(privateKey.getAlgorithm()).isEqualTo("EC");
    assertThat(result.recipient().moduleId()).isEqualTo(enclave.moduleId());
  }

  @Test
  void attestedGenerateRandomSealsTheBytes() {
    KmsResult result =
        bed.call("GenerateRandom", "{\"NumberOfBytes\": 48, " + recipient(enclave) + "}");

    assertThat(result.response().has("Plaintext")).isFalse();
    assertThat(open(result.response())).hasSize(48);
    assertThat(result.recipient()).isNotNull();
  }

  @Test
  void attestedDeriveSharedSecretSealsTheSecret() throws Exception {
    String ecc =
        bed.createKey(
                createWithPolicy(pcr0, null)
                    .replace(
                        "{\"Policy\"",
                        "{\"KeySpec\": \"ECC_NIST_P384\", \"KeyUsage\": \"KEY_AGREEMENT\", \"Policy\""))
            .get("KeyId")
            .textValue();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair peer = generator.generateKeyPair();

    JsonNode response =
        bed.call(
                "DeriveSharedSecret",
                "{\"KeyId\": \""
                    + ecc
                    + "\", \"KeyAgreementAlgorithm\": "
                    + "\"ECDH\", \"PublicKey\": \""
                    + KmsTestBed.b64(peer.getPublic().getEncoded())
                    + "\", "
                    + recipient(enclave)
                    + "}")
            .response();

    KeyAgreement local = KeyAgreement.getInstance("ECDH");
    local.init(peer.getPrivate());
    local.doPhase(bed.store.find(ecc, clock.instant()).publicKey(), true);
    assertThat(response.has("SharedSecret")).isFalse();
    assertThat(open(response)).isEqualTo(local.generateSecret());
  }

  @Test
  void recipientIsIgnoredWhereKmsDoesNotSupportIt() {
    KmsResult result =
        bed.call(
            "Encrypt",
            "{\"KeyId\": \""
                + keyId
                + "\", \"Plaintext\": \"AQ==\", \"Recipient\": "
                + "{\"AttestationDocument\": \"garbage\"}}");

    assertThat(result.response().has("CiphertextBlob")).isTrue();
    assertThat(result.recipient()).isNull();
  }

  /**
   * A CreateKey body whose policy lets the root administer and encrypt, and decrypt only with PCR0
   * attested.
   */
  private static String createWithPolicy(String pcr0, String alsoAllowed) {
    String values =
        alsoAllowed == null ? "\"" + pcr0 + "\"" : "[\"" + pcr0 + "\", \"" + alsoAllowed + "\"]";
    String policy =
        "{\"Version\": \"2012-10-17\", \"Statement\": ["
            + "{\"Sid\": \"Admin\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, "
            + "\"Action\": [\"kms:PutKeyPolicy\", \"kms:GetKeyPolicy\", \"kms:DescribeKey\", \"kms:Encrypt\"], "
            + "\"Resource\": \"*\"}, "
            + "{\"Sid\": \"Enclave\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"arn:aws:iam::111122223333:root\"}, "
            + "\"Action\": [\"kms:Decrypt\", \"kms:GenerateDataKey\", \"kms:GenerateDataKeyPair\", "
            + "\"kms:DeriveSharedSecret\"], \"Resource\": \"*\", \"Condition\": {\"StringEqualsIgnoreCase\": "
            + "{\"kms:RecipientAttestation:ImageSha384\": "
            + values
            + "}}}]}";
    return "{\"Policy\": " + KmsTestBed.JSON.valueToTree(policy) + "}";
  }

  private String recipient(SoftwareNsm nsm) {
    byte[] document = nsm.attestation(null, null, enclaveKey.getPublic().getEncoded());
    return "\"Recipient\": {\"KeyEncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\", \"AttestationDocument\": \""
        + KmsTestBed.b64(document)
        + "\"}";
  }

  private byte[] open(JsonNode response) {
    return CmsEnvelope.open(
        KmsTestBed.bytes(response.get("CiphertextForRecipient")), enclaveKey.getPrivate());
  }

  private static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
