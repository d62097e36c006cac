package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class KeyIdentifiersTest {
  private final KmsTestBed bed = KmsTestBed.inMemory();
  private final KeyIdentifiers ids = new KeyIdentifiers(bed.settings, bed.store);
  private final String keyId = bed.symmetricKey();
  private final Instant now = bed.clock.instant();

  KeyIdentifiersTest() {
    bed.call(
        "CreateAlias", "{\"AliasName\": \"alias/app/db\", \"TargetKeyId\": \"" + keyId + "\"}");
  }

  @Test
  void keyIdKeyArnAliasNameAndAliasArnNameTheSameKey() {
    String aliasArn = "arn:aws:kms:eu-west-1:111122223333:alias/app/db";
    for (String identifier : new String[] {keyId, bed.arn(keyId), "alias/app/db", aliasArn}) {
      assertThat(ids.resolve(identifier, KeyIdentifiers.Forms.ANY, KmsTestBed.ACCOUNT, now).keyId())
          .as(identifier)
          .isEqualTo(keyId);
    }
    assertThat(
            ids.resolve(bed.arn(keyId), KeyIdentifiers.Forms.KEY_ONLY, KmsTestBed.ACCOUNT, now)
                .keyId())
        .isEqualTo(keyId);
  }

  @Test
  void keyOnlyParametersRefuseAliases() {
    assertNotFound(
        "alias/app/db",
        KeyIdentifiers.Forms.KEY_ONLY,
        KmsTestBed.ACCOUNT,
        "Invalid keyId 'alias/app/db'");
    String aliasArn = "arn:aws:kms:eu-west-1:111122223333:alias/app/db";
    assertNotFound(
        aliasArn,
        KeyIdentifiers.Forms.KEY_ONLY,
        KmsTestBed.ACCOUNT,
        "Invalid keyId '" + aliasArn + "'");
  }

  @Test
  void missingKeysAndAliasesGetKmsTexts() {
    String unknown = "0b4e3a3c-5e2a-4c71-9a4f-2a9a8f7f0d11";
    assertNotFound(
        unknown,
        KeyIdentifiers.Forms.ANY,
        KmsTestBed.ACCOUNT,
        "Key '" + bed.arn(unknown) + "' does not exist");
    assertNotFound(
        "fake-key-id", KeyIdentifiers.Forms.ANY, KmsTestBed.ACCOUNT, "Invalid keyId 'fake-key-id'");
    assertNotFound(
        "alias/none",
        KeyIdentifiers.Forms.ANY,
        KmsTestBed.ACCOUNT,
        "Alias arn:aws:kms:eu-west-1:111122223333:alias/none is not found.");
    assertNotFound(
        "arn:aws:kms:us-east-1:111122223333:key/" + keyId,
        KeyIdentifiers.Forms.ANY,
        KmsTestBed.ACCOUNT,
        "Invalid arn us-east-1");
    assertNotFound(
        "arn:aws:kms:eu-west-1:111122223333:key/",
        KeyIdentifiers.Forms.ANY,
        KmsTestBed.ACCOUNT,
        "Invalid keyId 'arn:aws:kms:eu-west-1:111122223333:key/'");
  }

  @Test
  void keysOfAnotherAccountAreInvisibleInEveryForm() {
    String other = KmsTestBed.OTHER_ACCOUNT_ID;
    assertNotFound(
        keyId,
        KeyIdentifiers.Forms.ANY,
        other,
        "Key 'arn:aws:kms:eu-west-1:" + other + ":key/" + keyId + "' does not exist");
    assertNotFound(
        bed.arn(keyId),
        KeyIdentifiers.Forms.ANY,
        other,
        "Key '" + bed.arn(keyId) + "' does not exist");
    assertNotFound(
        "alias/app/db",
        KeyIdentifiers.Forms.ANY,
        other,
        "Alias arn:aws:kms:eu-west-1:" + other + ":alias/app/db is not found.");
    assertNotFound(
        "arn:aws:kms:eu-west-1:111122223333:alias/app/db",
        KeyIdentifiers.Forms.ANY,
        other,
        "Alias arn:aws:kms:eu-west-1:111122223333:alias/app/db is not found.");
    assertThat(ids.keyOfCiphertext(keyId, other, now)).isNull();
    assertThat(ids.keyOfCiphertext(keyId, KmsTestBed.ACCOUNT, now).keyId()).isEqualTo(keyId);
  }

  @Test
  void arnsUseTheRegionsPartition() {
    KmsSettings china =
        new KmsSettings("cn-north-1", KmsTestBed.ACCOUNT, Clock.systemUTC(), new SecureRandom());
    KeyIdentifiers chinaIds = new KeyIdentifiers(china, KeyStore.inMemory());

    assertThat(chinaIds.keyArn("111122223333", keyId))
        .isEqualTo("arn:aws-cn:kms:cn-north-1:111122223333:key/" + keyId);
    assertThat(chinaIds.aliasArn("111122223333", "alias/x"))
        .isEqualTo("arn:aws-cn:kms:cn-north-1:111122223333:alias/x");
    assertThat(
            new KmsSettings(
                    "us-gov-west-1", KmsTestBed.ACCOUNT, Clock.systemUTC(), new SecureRandom())
                .partition())
        .isEqualTo("aws-us-gov");
    assertThat(KeyIdentifiers.isKeyId(keyId)).isTrue();
    assertThat(KeyIdentifiers.isKeyId("mrk-1234")).isFalse();
  }

  private void assertNotFound(
      String identifier, KeyIdentifiers.Forms forms, String account, String message) {
    KmsError error =
        catchThrowableOfType(KmsError.class, () -> ids.resolve(identifier, forms, account, now));
    assertThat(error).as(identifier).isNotNull();
    assertThat(error.type()).isEqualTo("NotFoundException");
    assertThat(error.getMessage()).isEqualTo(message);
    assertThat(error.status()).isEqualTo(400);
  }
}
