package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.spec.MGF1ParameterSpec;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;
import org.junit.jupiter.api.Test;

class CryptoOperationsTest {
  private static final String PLAINTEXT_B64 =
      KmsTestBed.b64("secret data".getBytes(StandardCharsets.UTF_8));
  private final KmsTestBed bed = KmsTestBed.inMemory();
  private final String keyId = bed.symmetricKey();

  @Test
  void decryptFindsTheKeyFromTheBlobAlone() {
    JsonNode encrypted =
        bed.call(
                "Encrypt",
                "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"" + PLAINTEXT_B64 + "\"}")
            .response();
    assertThat(encrypted.get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
    assertThat(encrypted.get("EncryptionAlgorithm").textValue()).isEqualTo("SYMMETRIC_DEFAULT");

    KmsResult decrypted =
        bed.call(
            "Decrypt",
            "{\"CiphertextBlob\": \"" + encrypted.get("CiphertextBlob").textValue() + "\"}");

    assertThat(decrypted.response().get("Plaintext").textValue()).isEqualTo(PLAINTEXT_B64);
    assertThat(decrypted.response().get("KeyId").textValue()).isEqualTo(bed.arn(keyId));
    assertThat(decrypted.response().get("EncryptionAlgorithm").textValue())
        .isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(decrypted.response().get("KeyMaterialId").textValue())
        .isEqualTo(bed.store.find(keyId, bed.clock.instant()).keyMaterialId());
    assertThat(decrypted.response().has("CiphertextForRecipient")).isFalse();
    assertThat(decrypted.resources()).containsExactly(bed.arn(keyId));
  }

  @Test
  void decryptWithTheWrongKeyIdIsAnIncorrectKey() {
    String blob = bed.encrypt(keyId, new byte[] {1}, null);
    String other = bed.symmetricKey();
    bed.call("CreateAlias", "{\"AliasName\": \"alias/mine\", \"TargetKeyId\": \"" + keyId + "\"}");

    assertThat(
            bed.call("Decrypt", "{\"CiphertextBlob\": \"" + blob + "\", \"KeyId\": \"alias/mine\"}")
                .response()
                .get("Plaintext")
                .textValue())
        .isEqualTo("AQ==");
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \"" + blob + "\", \"KeyId\": \"" + other + "\"}",
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.");
  }

  @Test
  void theEncryptionContextMustMatchExactly() {
    String blob =
        bed.encrypt(keyId, new byte[] {1, 2}, "{\"tenant\": \"a\", \"purpose\": \"backup\"}");

    assertThat(
            bed.call(
                    "Decrypt",
                    "{\"CiphertextBlob\": \""
                        + blob
                        + "\", \"EncryptionContext\": {\"purpose\": \"backup\", \"tenant\": \"a\"}}")
                .response()
                .get("Plaintext")
                .textValue())
        .isEqualTo("AQI=");
    for (String context :
        new String[] {
          "{}",
          "{\"tenant\": \"a\"}",
          "{\"tenant\": \"A\", \"purpose\": \"backup\"}",
          "{\"tenant\": \"a\", \"purpose\": \"backup\", \"x\": \"y\"}"
        }) {
      KmsError error =
          bed.error(
              "Decrypt",
              "{\"CiphertextBlob\": \"" + blob + "\", \"EncryptionContext\": " + context + "}");
      assertThat(error.type()).as(context).isEqualTo("InvalidCiphertextException");
      assertThat(error.getMessage()).isNull();
    }
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \"" + blob + "\", \"EncryptionContext\": {\"tenant\": 1}}",
        "SerializationException",
        null);
  }

  @Test
  void everyFlippedByteOfABlobFailsDecryptWithInvalidCiphertext() {
    byte[] blob =
        Base64.getDecoder()
            .decode(bed.encrypt(keyId, "x".repeat(20).getBytes(StandardCharsets.UTF_8), null));
    for (int i = 0; i < blob.length; i++) {
      byte[] tampered = blob.clone();
      tampered[i] ^= 0x01;
      KmsError error =
          bed.error("Decrypt", "{\"CiphertextBlob\": \"" + KmsTestBed.b64(tampered) + "\"}");
      assertThat(error.type()).as("byte %d", i).isEqualTo("InvalidCiphertextException");
    }
  }

  @Test
  void plaintextAndCiphertextSizesAreBounded() {
    String max = KmsTestBed.b64(new byte[4096]);
    String tooLong = KmsTestBed.b64(new byte[4097]);

    assertThat(bed.encrypt(keyId, new byte[4096], null)).isNotEmpty();
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"" + tooLong + "\"}",
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less "
            + "than or equal to 4096");
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"\"}",
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length "
            + "greater than or equal to 1");
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\"}",
        "ValidationException",
        "1 validation error detected: Value null at 'plaintext' failed to satisfy constraint: Member must not be null");
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"not base64!\"}",
        "SerializationException",
        null);
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \"" + KmsTestBed.b64(new byte[6145]) + "\"}",
        "ValidationException",
        "1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length "
            + "less than or equal to 6144");
    assertError(
        "Decrypt",
        "{}",
        "ValidationException",
        "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be "
            + "null");
    assertError(
        "Decrypt", "{\"CiphertextBlob\": \"" + max + "\"}", "InvalidCiphertextException", null);
  }

  @Test
  void rsaKeysEncryptWithOaepAndNeedKeyIdAndAlgorithmToDecrypt() {
    String rsa =
        bed.createKey("{\"KeySpec\": \"RSA_2048\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}")
            .get("KeyId")
            .textValue();
    for (String algorithm : new String[] {"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}) {
      JsonNode encrypted =
          bed.call(
                  "Encrypt",
                  "{\"KeyId\": \""
                      + rsa
                      + "\", \"Plaintext\": \""
                      + PLAINTEXT_B64
                      + "\", \"EncryptionAlgorithm\": \""
                      + algorithm
                      + "\"}")
              .response();
      String blob = encrypted.get("CiphertextBlob").textValue();
      assertThat(Base64.getDecoder().decode(blob)).hasSize(256);
      assertThat(encrypted.get("EncryptionAlgorithm").textValue()).isEqualTo(algorithm);

      JsonNode decrypted =
          bed.call(
                  "Decrypt",
                  "{\"CiphertextBlob\": \""
                      + blob
                      + "\", \"KeyId\": \""
                      + rsa
                      + "\", \"EncryptionAlgorithm\": \""
                      + algorithm
                      + "\"}")
              .response();
      assertThat(decrypted.get("Plaintext").textValue()).isEqualTo(PLAINTEXT_B64);
      assertThat(decrypted.has("KeyMaterialId")).isFalse();
      assertError(
          "Decrypt", "{\"CiphertextBlob\": \"" + blob + "\"}", "InvalidCiphertextException", null);
      assertError(
          "Decrypt",
          "{\"CiphertextBlob\": \"" + blob + "\", \"KeyId\": \"" + rsa + "\"}",
          "InvalidKeyUsageException",
          "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.");
    }
  }

  @Test
  void rsaCiphertextsMadeOutsideKmsDecryptWithSha256ForOaepAndMgf1() throws Exception {
    String rsa =
        bed.createKey("{\"KeySpec\": \"RSA_3072\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}")
            .get("KeyId")
            .textValue();
    Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
    oaep.init(
        Cipher.ENCRYPT_MODE,
        bed.store.find(rsa, bed.clock.instant()).publicKey(),
        new OAEPParameterSpec(
            "SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT),
        new SecureRandom());
    String blob = KmsTestBed.b64(oaep.doFinal(new byte[] {42}));

    JsonNode decrypted =
        bed.call(
                "Decrypt",
                "{\"CiphertextBlob\": \""
                    + blob
                    + "\", \"KeyId\": \""
                    + bed.arn(rsa)
                    + "\", \"EncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\"}")
            .response();

    assertThat(decrypted.get("Plaintext").textValue()).isEqualTo("Kg==");
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \""
            + blob
            + "\", \"KeyId\": \""
            + rsa
            + "\", \"EncryptionAlgorithm\": \"RSAES_OAEP_SHA_1\"}",
        "InvalidCiphertextException",
        null);
  }

  @Test
  void keysRefuseAlgorithmsAndInputsTheyCannotHandle() {
    String rsa =
        bed.createKey("{\"KeySpec\": \"RSA_2048\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}")
            .get("KeyId")
            .textValue();
    String ecc =
        bed.createKey("{\"KeySpec\": \"ECC_NIST_P256\", \"KeyUsage\": \"KEY_AGREEMENT\"}")
            .get("KeyId")
            .textValue();
    String sha256 = ", \"EncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\"}";

    assertError(
        "Encrypt",
        "{\"KeyId\": \""
            + rsa
            + "\", \"Plaintext\": \""
            + KmsTestBed.b64(new byte[191])
            + "\""
            + sha256,
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.");
    assertThat(
            bed.call(
                    "Encrypt",
                    "{\"KeyId\": \""
                        + rsa
                        + "\", \"Plaintext\": \""
                        + KmsTestBed.b64(new byte[190])
                        + "\""
                        + sha256)
                .response()
                .has("CiphertextBlob"))
        .isTrue();
    assertError(
        "Encrypt",
        "{\"KeyId\": \""
            + rsa
            + "\", \"Plaintext\": \"AQ==\", \"EncryptionContext\": {\"a\": \"b\"}"
            + sha256,
        "ValidationException",
        null);
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\"" + sha256,
        "InvalidKeyUsageException",
        "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.");
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\", \"EncryptionAlgorithm\": \"AES\"}",
        "ValidationException",
        null);
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + ecc + "\", \"Plaintext\": \"AQ==\"}",
        "InvalidKeyUsageException",
        bed.arn(ecc) + " key usage is KEY_AGREEMENT which is not valid for Encrypt.");
  }

  @Test
  void reEncryptMovesCiphertextToAnotherKeyAndContext() {
    String destination = bed.symmetricKey();
    String blob = bed.encrypt(keyId, new byte[] {9, 9}, "{\"v\": \"1\"}");

    KmsResult result =
        bed.call(
            "ReEncrypt",
            "{\"CiphertextBlob\": \""
                + blob
                + "\", \"SourceEncryptionContext\": "
                + "{\"v\": \"1\"}, \"DestinationKeyId\": \""
                + destination
                + "\", \"DestinationEncryptionContext\": {\"v\": \"2\"}}");

    JsonNode response = result.response();
    assertThat(response.get("SourceKeyId").textValue()).isEqualTo(bed.arn(keyId));
    assertThat(response.get("KeyId").textValue()).isEqualTo(bed.arn(destination));
    assertThat(response.get("SourceEncryptionAlgorithm").textValue())
        .isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(response.get("DestinationEncryptionAlgorithm").textValue())
        .isEqualTo("SYMMETRIC_DEFAULT");
    assertThat(response.get("DestinationKeyMaterialId").textValue()).matches("[0-9a-f]{64}");
    assertThat(result.resources()).containsExactly(bed.arn(keyId), bed.arn(destination));
    String moved = response.get("CiphertextBlob").textValue();
    JsonNode decrypted =
        bed.call(
                "Decrypt",
                "{\"CiphertextBlob\": \""
                    + moved
                    + "\", \"EncryptionContext\": "
                    + "{\"v\": \"2\"}}")
            .response();
    assertThat(decrypted.get("Plaintext").textValue()).isEqualTo("CQk=");
    assertThat(decrypted.get("KeyId").textValue()).isEqualTo(bed.arn(destination));
    assertError(
        "ReEncrypt",
        "{\"CiphertextBlob\": \"" + blob + "\", \"DestinationKeyId\": \"" + destination + "\"}",
        "InvalidCiphertextException",
        null);
    assertError(
        "ReEncrypt",
        "{\"CiphertextBlob\": \"" + blob + "\"}",
        "ValidationException",
        "1 validation error detected: Value null at 'destinationKeyId' failed to satisfy constraint: Member must not "
            + "be null");
  }

  @Test
  void reEncryptWorksFromAndToRsaKeys() {
    String rsa =
        bed.createKey("{\"KeySpec\": \"RSA_2048\", \"KeyUsage\": \"ENCRYPT_DECRYPT\"}")
            .get("KeyId")
            .textValue();
    String blob = bed.encrypt(keyId, new byte[] {5}, null);

    JsonNode toRsa =
        bed.call(
                "ReEncrypt",
                "{\"CiphertextBlob\": \""
                    + blob
                    + "\", \"DestinationKeyId\": \""
                    + rsa
                    + "\", \"DestinationEncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\"}")
            .response();
    assertThat(toRsa.has("DestinationKeyMaterialId")).isFalse();
    String rsaBlob = toRsa.get("CiphertextBlob").textValue();
    JsonNode back =
        bed.call(
                "ReEncrypt",
                "{\"CiphertextBlob\": \""
                    + rsaBlob
                    + "\", \"SourceKeyId\": \""
                    + rsa
                    + "\", \"SourceEncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\", \"DestinationKeyId\": \""
                    + keyId
                    + "\"}")
            .response();

    assertThat(
            bed.call(
                    "Decrypt",
                    "{\"CiphertextBlob\": \"" + back.get("CiphertextBlob").textValue() + "\"}")
                .response()
                .get("Plaintext")
                .textValue())
        .isEqualTo("BQ==");
  }

  @Test
  void dryRunsCheckEverythingButChangeNothing() {
    String blob = bed.encrypt(keyId, new byte[] {1}, null);

    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\", \"DryRun\": true}",
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.");
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \"" + blob + "\", \"DryRun\": true}",
        "DryRunOperationException",
        null);
    assertError(
        "Decrypt",
        "{\"CiphertextBlob\": \""
            + blob
            + "\", \"EncryptionContext\": {\"a\": \"b\"}, "
            + "\"DryRun\": true}",
        "InvalidCiphertextException",
        null);
    assertError(
        "Decrypt",
        "{\"KeyId\": \""
            + keyId
            + "\", \"DryRun\": true, \"DryRunModifiers\": "
            + "[\"IGNORE_CIPHERTEXT\"]}",
        "DryRunOperationException",
        null);
    assertError(
        "Decrypt",
        "{\"DryRun\": true, \"DryRunModifiers\": [\"IGNORE_CIPHERTEXT\"]}",
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null");
    bed.call("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");
    assertError(
        "Encrypt",
        "{\"KeyId\": \"" + keyId + "\", \"Plaintext\": \"AQ==\", \"DryRun\": true}",
        "DisabledException",
        null);
  }

  @Test
  void anotherAccountCannotDecryptOrUseTheKey() {
    String blob = bed.encrypt(keyId, new byte[] {1}, null);

    assertError(
        KmsTestBed.OTHER_ACCOUNT,
        "Decrypt",
        "{\"CiphertextBlob\": \"" + blob + "\"}",
        "AccessDeniedException",
        "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are "
            + "not allowed to access.");
    assertError(
        KmsTestBed.OTHER_ACCOUNT,
        "Encrypt",
        "{\"KeyId\": \"" + bed.arn(keyId) + "\", \"Plaintext\": \"AQ==\"}",
        "NotFoundException",
        "Key '" + bed.arn(keyId) + "' does not exist");
  }

  private void assertError(String operation, String body, String type, String message) {
    assertError(KmsTestBed.ROOT, operation, body, type, message);
  }

  private void assertError(
      CallerIdentity caller, String operation, String body, String type, String message) {
    KmsError error = bed.error(caller, operation, body);
    assertThat(error.type()).as(operation + " " + body).isEqualTo(type);
    if (message != null) {
      assertThat(error.getMessage()).isEqualTo(message);
    }
  }
}
