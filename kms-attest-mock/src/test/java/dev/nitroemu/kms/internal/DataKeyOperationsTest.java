package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.KeyAgreement;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.junit.jupiter.api.Test;

class DataKeyOperationsTest {
  private final KmsTestBed bed = KmsTestBed.inMemory();
  private final String keyId = bed.symmetricKey();

  @Test
  void generateDataKeyReturnsAKeyAndItsBlobUnderTheKmsKey() {
    KmsResult result =
        bed.call(
            "GenerateDataKey",
            "{\"KeyId\": \""
                + keyId
                + "\", \"KeySpec\": \"AES_256\", "
                + "\"EncryptionContext\": {\"file\": \"a.txt\"}}");
    JsonNode response = result.response();
    byte[] dataKey = KmsTestBed.bytes(response.get("Plaintext"));

    assertThat(dataKey).hasSize(32);
    assertThat(response.get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
    assertThat(response.get("KeyMaterialId").textValue()).matches("[0-9a-f]{64}");
    assertThat(result.resources()).containsExactly(bed.arn(keyId));
    JsonNode decrypted =
        bed.call(
                "Decrypt",
                "{\"CiphertextBlob\": \""
                    + response.get("CiphertextBlob").textValue()
                    + "\", \"EncryptionContext\": {\"file\": \"a.txt\"}}")
            .response();
    assertThat(KmsTestBed.bytes(decrypted.get("Plaintext"))).isEqualTo(dataKey);
    assertThat(
            bed.error(
                    "Decrypt",
                    "{\"CiphertextBlob\": \"" + response.get("CiphertextBlob").textValue() + "\"}")
                .type())
        .isEqualTo("InvalidCiphertextException");
  }

  @Test
  void dataKeyLengthComesFromKeySpecOrNumberOfBytes() {
    assertThat(dataKeyLength("\"KeySpec\": \"AES_128\"")).isEqualTo(16);
    assertThat(dataKeyLength("\"NumberOfBytes\": 1")).isEqualTo(1);
    assertThat(dataKeyLength("\"NumberOfBytes\": 1024")).isEqualTo(1024);
    String key = "{\"KeyId\": \"" + keyId + "\"";
    assertError(
        "GenerateDataKey",
        key + "}",
        "ValidationException",
        "Please specify either number of bytes or key spec.");
    assertError(
        "GenerateDataKey",
        key + ", \"KeySpec\": \"AES_256\", \"NumberOfBytes\": 32}",
        "ValidationException",
        "Please specify either number of bytes or key spec.");
    assertError(
        "GenerateDataKey",
        key + ", \"NumberOfBytes\": 1025}",
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have "
            + "value less than or equal to 1024");
    assertError(
        "GenerateDataKey",
        key + ", \"NumberOfBytes\": 0}",
        "ValidationException",
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value "
            + "greater than or equal to 1");
    assertError(
        "GenerateDataKey",
        key + ", \"KeySpec\": \"AES_512\"}",
        "ValidationException",
        "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy "
            + "enum value set: [AES_256, AES_128]");
  }

  @Test
  void generateDataKeyWithoutPlaintextReturnsOnlyTheBlob() {
    JsonNode response =
        bed.call(
                "GenerateDataKeyWithoutPlaintext",
                "{\"KeyId\": \"" + keyId + "\", \"KeySpec\": " + "\"AES_256\"}")
            .response();

    assertThat(response.has("Plaintext")).isFalse();
    assertThat(response.get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
    JsonNode decrypted =
        bed.call(
                "Decrypt",
                "{\"CiphertextBlob\": \"" + response.get("CiphertextBlob").textValue() + "\"}")
            .response();
    assertThat(KmsTestBed.bytes(decrypted.get("Plaintext"))).hasSize(32);
  }

  @Test
  void dataKeysNeedAnEnabledSymmetricEncryptionKey() {
    String rsa =
        bed.createKey("{\"KeySpec\": \"RSA_2048\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}")
            .get("KeyId")
            .textValue();
    String ecc =
        bed.createKey("{\"KeySpec\": \"ECC_NIST_P256\", \"KeyUsage\": \"KEY_AGREEMENT\"}")
            .get("KeyId")
            .textValue();

    assertError(
        "GenerateDataKey",
        "{\"KeyId\": \"" + rsa + "\", \"NumberOfBytes\": 32}",
        "InvalidKeyUsageException",
        bed.arn(rsa) + " key usage is ENCRYPT_DECRYPT which is not valid for GenerateDataKey.");
    assertError(
        "GenerateDataKeyPair",
        "{\"KeyId\": \"" + ecc + "\", \"KeyPairSpec\": \"RSA_2048\"}",
        "InvalidKeyUsageException",
        bed.arn(ecc)
            + " key usage is KEY_AGREEMENT which is not valid for "
            + "GenerateDataKeyPair.");
    bed.call("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");
    assertError(
        "GenerateDataKeyWithoutPlaintext",
        "{\"KeyId\": \"" + keyId + "\", \"NumberOfBytes\": 32}",
        "DisabledException",
        bed.arn(keyId) + " is disabled.");
  }

  @Test
  void generateDataKeyPairReturnsMatchingKeysAndTheEncryptedPrivateKey() throws Exception {
    String[][] specs = {
      {"RSA_2048", "RSA", "SHA256withRSA"},
      {"ECC_NIST_P256", "EC", "SHA256withECDSA"},
      {"ECC_NIST_P521", "EC", "SHA512withECDSA"},
      {"ECC_SECG_P256K1", "EC", "SHA256withECDSA"},
      {"ECC_NIST_EDWARDS25519", "Ed25519", "Ed25519"},
    };
    for (String[] spec : specs) {
      JsonNode response =
          bed.call(
                  "GenerateDataKeyPair",
                  "{\"KeyId\": \""
                      + keyId
                      + "\", \"KeyPairSpec\": \""
                      + spec[0]
                      + "\", \"EncryptionContext\": {\"k\": \"v\"}}")
              .response();
      byte[] privateDer = KmsTestBed.bytes(response.get("PrivateKeyPlaintext"));
      byte[] publicDer = KmsTestBed.bytes(response.get("PublicKey"));
      assertThat(response.get("KeyPairSpec").textValue()).isEqualTo(spec[0]);
      assertThat(response.get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
      assertThat(response.has("KeyMaterialId")).isTrue();

      KeyFactory factory =
          spec[0].equals("ECC_SECG_P256K1")
              ? KeyFactory.getInstance(spec[1], new BouncyCastleProvider())
              : KeyFactory.getInstance(spec[1]);
      PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(privateDer));
      PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(publicDer));
      assertThat(signsAndVerifies(spec, privateKey, publicKey)).as(spec[0]).isTrue();

      JsonNode decrypted =
          bed.call(
                  "Decrypt",
                  "{\"CiphertextBlob\": \""
                      + response.get("PrivateKeyCiphertextBlob").textValue()
                      + "\", \"EncryptionContext\": {\"k\": \"v\"}}")
              .response();
      assertThat(KmsTestBed.bytes(decrypted.get("Plaintext"))).isEqualTo(privateDer);
    }
  }

  @Test
  void generateDataKeyPairValidatesItsSpec() {
    assertError(
        "GenerateDataKeyPair",
        "{\"KeyId\": \"" + keyId + "\"}",
        "ValidationException",
        "1 validation error detected: Value null at 'keyPairSpec' failed to satisfy constraint: Member must not be null");
    assertError(
        "GenerateDataKeyPair",
        "{\"KeyId\": \"" + keyId + "\", \"KeyPairSpec\": \"RSA_1024\"}",
        "ValidationException",
        null);
    assertError(
        "GenerateDataKeyPair",
        "{\"KeyId\": \"" + keyId + "\", \"KeyPairSpec\": \"SM2\"}",
        "UnsupportedOperationException",
        "KeyPairSpec SM2 is supported only in China Regions.");
  }

  @Test
  void generateRandomReturnsFreshBytesWithinLimits() {
    byte[] first =
        KmsTestBed.bytes(
            bed.call("GenerateRandom", "{\"NumberOfBytes\": 1024}").response().get("Plaintext"));
    byte[] second =
        KmsTestBed.bytes(
            bed.call("GenerateRandom", "{\"NumberOfBytes\": 1024}").response().get("Plaintext"));

    assertThat(first).hasSize(1024).isNotEqualTo(second);
    assertThat(
            KmsTestBed.bytes(
                bed.call("GenerateRandom", "{\"NumberOfBytes\": 1}").response().get("Plaintext")))
        .hasSize(1);
    assertThat(bed.call("GenerateRandom", "{\"NumberOfBytes\": 8}").resources()).isEmpty();
    assertError("GenerateRandom", "{}", "ValidationException", "NumberOfBytes is required.");
    assertError(
        "GenerateRandom",
        "{\"NumberOfBytes\": 1025}",
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have "
            + "value less than or equal to 1024");
    assertError(
        "GenerateRandom",
        "{\"NumberOfBytes\": 16, \"CustomKeyStoreId\": \"cks-1234567890abcdef0\"}",
        "CustomKeyStoreNotFoundException",
        null);
  }

  @Test
  void deriveSharedSecretReturnsTheRawEcdhSecret() throws Exception {
    String ecc =
        bed.createKey("{\"KeySpec\": \"ECC_NIST_P256\", \"KeyUsage\": \"KEY_AGREEMENT\"}")
            .get("KeyId")
            .textValue();
    KeyPair peer = ecKeyPair("secp256r1");

    JsonNode response =
        bed.call(
                "DeriveSharedSecret",
                "{\"KeyId\": \""
                    + ecc
                    + "\", \"KeyAgreementAlgorithm\": "
                    + "\"ECDH\", \"PublicKey\": \""
                    + KmsTestBed.b64(peer.getPublic().getEncoded())
                    + "\"}")
            .response();

    KeyAgreement local = KeyAgreement.getInstance("ECDH");
    local.init(peer.getPrivate());
    local.doPhase(bed.store.find(ecc, bed.clock.instant()).publicKey(), true);
    assertThat(KmsTestBed.bytes(response.get("SharedSecret")))
        .hasSize(32)
        .isEqualTo(local.generateSecret());
    assertThat(response.get("KeyId").textValue()).isEqualTo(bed.arn(ecc));
    assertThat(response.get("KeyAgreementAlgorithm").textValue()).isEqualTo("ECDH");
    assertThat(response.get("KeyOrigin").textValue()).isEqualTo("AWS_KMS");
  }

  @Test
  void deriveSharedSecretRefusesForeignCurvesBadPointsAndOtherKeys() throws Exception {
    String ecc =
        bed.createKey("{\"KeySpec\": \"ECC_NIST_P256\", \"KeyUsage\": \"KEY_AGREEMENT\"}")
            .get("KeyId")
            .textValue();
    byte[] p384 = ecKeyPair("secp384r1").getPublic().getEncoded();
    byte[] offCurve = ecKeyPair("secp256r1").getPublic().getEncoded();
    offCurve[offCurve.length - 1] ^= 0x01;
    String prefix =
        "{\"KeyId\": \"" + ecc + "\", \"KeyAgreementAlgorithm\": \"ECDH\", \"PublicKey\": \"";

    assertError(
        "DeriveSharedSecret", prefix + KmsTestBed.b64(p384) + "\"}", "ValidationException", null);
    assertError(
        "DeriveSharedSecret",
        prefix + KmsTestBed.b64(offCurve) + "\"}",
        "ValidationException",
        null);
    assertError("DeriveSharedSecret", prefix + "AAECAw==\"}", "ValidationException", null);
    assertError(
        "DeriveSharedSecret",
        "{\"KeyId\": \"" + ecc + "\", \"PublicKey\": \"AAECAw==\"}",
        "ValidationException",
        "1 validation error detected: Value null at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must "
            + "not be null");
    assertError(
        "DeriveSharedSecret",
        "{\"KeyId\": \""
            + keyId
            + "\", \"KeyAgreementAlgorithm\": \"ECDH\", "
            + "\"PublicKey\": \""
            + KmsTestBed.b64(p384)
            + "\"}",
        "InvalidKeyUsageException",
        bed.arn(keyId)
            + " key usage is ENCRYPT_DECRYPT which is not valid for DeriveSharedSecret.");
  }

  private int dataKeyLength(String members) {
    return KmsTestBed.bytes(
            bed.call("GenerateDataKey", "{\"KeyId\": \"" + keyId + "\", " + members + "}")
                .response()
                .get("Plaintext"))
        .length;
  }

  private static boolean signsAndVerifies(String[] spec, PrivateKey privateKey, PublicKey publicKey)
      throws Exception {
    boolean bc = spec[0].equals("ECC_SECG_P256K1");
    Signature signer =
        bc
            ? Signature.getInstance(spec[2], new BouncyCastleProvider())
            : Signature.getInstance(spec[2]);
    signer.initSign(privateKey);
    signer.update(new byte[] {1, 2, 3});
    byte[] signature = signer.sign();
    Signature verifier =
        bc
            ? Signature.getInstance(spec[2], new BouncyCastleProvider())
            : Signature.getInstance(spec[2]);
    verifier.initVerify(publicKey);
    verifier.update(new byte[] {1, 2, 3});
    return verifier.verify(signature);
  }

  private static KeyPair ecKeyPair(String curve) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec(curve));
    return generator.generateKeyPair();
  }

  private void assertError(String operation, String body, String type, String message) {
    KmsError error = bed.error(operation, body);
    assertThat(error.type()).as(operation + " " + body).isEqualTo(type);
    if (message != null) {
      assertThat(error.getMessage()).isEqualTo(message);
    }
  }
}
