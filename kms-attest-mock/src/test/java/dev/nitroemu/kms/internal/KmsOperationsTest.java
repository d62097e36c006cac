package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KmsOperationsTest {
  @TempDir Path stateDirectory;

  @Test
  void unknownOperationsAreRefusedByName() {
    KmsTestBed bed = KmsTestBed.inMemory();

    KmsError customKeyStore = bed.error("ConnectCustomKeyStore", "{}");
    KmsError nonsense = bed.error("Frobnicate", "{}");

    assertThat(customKeyStore.type()).isEqualTo("UnknownOperationException");
    assertThat(nonsense.type()).isEqualTo("UnknownOperationException");
    assertThat(nonsense.status()).isEqualTo(400);
  }

  @Test
  void everyListedOperationIsHandled() {
    KmsTestBed bed = KmsTestBed.inMemory();
    for (String operation : KmsOperations.OPERATIONS) {
      try {
        bed.call(operation, "{}");
      } catch (KmsError e) {
        assertThat(e.type()).as(operation).isNotEqualTo("UnknownOperationException");
      }
    }
  }

  @Test
  void keysAliasesAndPoliciesSurviveARestartOfTheOperations() throws IOException {
    MutableTestClock clock = new MutableTestClock(Instant.now());
    String keyId;
    String blob;
    String policy =
        KeyManagementOperationsTest.policy("arn:aws:iam::111122223333:root", "kms:*")
            .replace("\"Version\"", "\"Id\": \"restarted\", \"Version\"");
    try (KmsTestBed before = KmsTestBed.over(KeyStore.open(stateDirectory), clock)) {
      keyId = before.symmetricKey();
      before.call(
          "CreateAlias", "{\"AliasName\": \"alias/durable\", \"TargetKeyId\": \"" + keyId + "\"}");
      before.call(
          "PutKeyPolicy",
          "{\"KeyId\": \""
              + keyId
              + "\", \"Policy\": "
              + KmsTestBed.JSON.valueToTree(policy)
              + "}");
      blob = before.encrypt("alias/durable", new byte[] {4, 2}, "{\"run\": \"1\"}");
      before.call("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");
    }

    try (KmsTestBed after = KmsTestBed.over(KeyStore.open(stateDirectory), clock)) {
      assertThat(
              after
                  .error(
                      "Decrypt",
                      "{\"CiphertextBlob\": \""
                          + blob
                          + "\", \"EncryptionContext\": {\"run\": \"1\"}}")
                  .type())
          .isEqualTo("DisabledException");
      after.call("EnableKey", "{\"KeyId\": \"" + keyId + "\"}");
      JsonNode decrypted =
          after
              .call(
                  "Decrypt",
                  "{\"CiphertextBlob\": \""
                      + blob
                      + "\", \"KeyId\": \"alias/durable\", "
                      + "\"EncryptionContext\": {\"run\": \"1\"}}")
              .response();
      assertThat(decrypted.get("Plaintext").textValue()).isEqualTo("BAI=");
      assertThat(
              after
                  .call("GetKeyPolicy", "{\"KeyId\": \"" + keyId + "\"}")
                  .response()
                  .get("Policy")
                  .textValue())
          .isEqualTo(policy);
    }
  }

  @Test
  void aStateDirectoryThatCannotBeWrittenGivesAnInternalErrorAndChangesNothing()
      throws IOException {
    MutableTestClock clock = new MutableTestClock(Instant.now());
    try (KmsTestBed bed = KmsTestBed.over(KeyStore.open(stateDirectory), clock)) {
      String keyId = bed.symmetricKey();
      deleteRecursively(stateDirectory.resolve("keys"));

      KmsError error = bed.error("DisableKey", "{\"KeyId\": \"" + keyId + "\"}");

      assertThat(error.type()).isEqualTo("KMSInternalException");
      assertThat(error.status()).isEqualTo(500);
      assertThat(error.getMessage()).doesNotContain(stateDirectory.toString());
      assertThat(
              bed.call("DescribeKey", "{\"KeyId\": \"" + keyId + "\"}")
                  .response()
                  .get("KeyMetadata")
                  .get("KeyState")
                  .textValue())
          .isEqualTo("Enabled");
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    try (Stream<Path> files = Files.walk(path)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
