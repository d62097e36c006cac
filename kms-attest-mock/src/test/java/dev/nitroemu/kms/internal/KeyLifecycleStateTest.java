package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rotation bookkeeping, imported-material expiry and their persistence, below the operations. */
class KeyLifecycleStateTest {
  private static final String ACCOUNT = "111122223333";
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

  @TempDir Path dir;

  @Test
  void dueRotationsAreTheMissedScheduleDatesOfAnEnabledKeyOnly() {
    KmsKey key = symmetric().withRotation(KeyRotation.NONE.enable(90, now));

    assertThat(KeyMaintenance.dueRotations(key, now.plus(Duration.ofDays(89)))).isEmpty();
    assertThat(KeyMaintenance.dueRotations(key, now.plus(Duration.ofDays(270))))
        .containsExactly(
            now.plus(Duration.ofDays(90)),
            now.plus(Duration.ofDays(180)),
            now.plus(Duration.ofDays(270)));
    assertThat(
            KeyMaintenance.dueRotations(
                key.withState(KeyState.DISABLED, null, null), now.plus(Duration.ofDays(400))))
        .isEmpty();
    assertThat(KeyMaintenance.dueRotations(symmetric(), now.plus(Duration.ofDays(4000)))).isEmpty();
    List<Instant> centuries =
        KeyMaintenance.dueRotations(key, now.plus(Duration.ofDays(90L * 5000)));
    assertThat(centuries).hasSize(KeyMaintenance.MAX_CATCH_UP);
    assertThat(centuries.get(centuries.size() - 1))
        .isEqualTo(now.plus(Duration.ofDays(90L * 5000)));
  }

  @Test
  void rotationsKeepEveryMaterialAndMoveTheScheduleBase() {
    KmsKey key = symmetric().withRotation(KeyRotation.NONE.enable(90, now));
    KeyMaterial first = key.currentMaterial();
    KeyMaterial next =
        KeyMaterial.rotated(
            KmsKeySpec.SYMMETRIC_DEFAULT, secret(), now.plus(Duration.ofDays(90)), "AUTOMATIC");

    KmsKey rotated = KeyMaintenance.withRotations(key, List.of(next));

    assertThat(rotated.materials())
        .extracting(KeyMaterial::state)
        .containsExactly(KeyMaterial.State.NON_CURRENT, KeyMaterial.State.CURRENT);
    assertThat(rotated.material(first.id()).secretKey()).isEqualTo(first.secretKey());
    assertThat(rotated.keyMaterialId()).isEqualTo(next.id());
    assertThat(rotated.rotation().nextRotationDate()).isEqualTo(now.plus(Duration.ofDays(180)));
    assertThat(KeyMaintenance.withRotations(rotated, List.of(next)).materials()).hasSize(2);
  }

  @Test
  void expiredImportedMaterialIsDeletedAndTheKeyWaitsForItAgain() {
    byte[] material = secret();
    String id = KeyMaterial.importedId("1234abcd-12ab-34cd-56ef-1234567890ab", material);
    KmsKey external =
        KeyDraft.newKey(
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                ACCOUNT,
                "eu-west-1",
                "aws",
                now,
                "",
                KmsKeySpec.ENCRYPT_DECRYPT,
                KmsKeySpec.SYMMETRIC_DEFAULT,
                policy(),
                KeyPolicy.parse(policy()))
            .awaitingImport();
    List<KeyMaterial> imported =
        List.of(
            new KeyMaterial(
                id,
                KmsKeySpec.SYMMETRIC_DEFAULT,
                material,
                null,
                KeyMaterial.State.CURRENT,
                null,
                null,
                new KeyMaterial.Imported(
                    "first", "KEY_MATERIAL_EXPIRES", now.plus(Duration.ofHours(1)))));
    KmsKey enabled = external.withMaterials(imported, KeyMaintenance.stateFor(external, imported));
    assertThat(enabled.state()).isEqualTo(KeyState.ENABLED);

    assertThat(KeyMaintenance.expire(enabled, now.plus(Duration.ofMinutes(59)))).isSameAs(enabled);
    KmsKey expired = KeyMaintenance.expire(enabled, now.plus(Duration.ofHours(1)));

    assertThat(expired.state()).isEqualTo(KeyState.PENDING_IMPORT);
    assertThat(expired.currentMaterial().available()).isFalse();
    assertThat(expired.currentMaterial().id()).isEqualTo(id);
    assertThat(expired.currentMaterial().importState()).isEqualTo("PENDING_IMPORT");
    assertThat(expired.currentMaterial().imported().description()).isEqualTo("first");
    KmsKey pendingDeletion =
        enabled.withState(KeyState.PENDING_DELETION, now.plus(Duration.ofDays(7)), 7);
    assertThat(KeyMaintenance.expire(pendingDeletion, now.plus(Duration.ofHours(2))).state())
        .isEqualTo(KeyState.PENDING_DELETION);
  }

  @Test
  void everyLifecyclePartSurvivesTheStateDirectory() throws IOException {
    String mrk = "mrk-" + UUID.randomUUID().toString().replace("-", "");
    KmsKey key =
        KeyDraft.newKey(
                mrk,
                ACCOUNT,
                "eu-west-1",
                "aws",
                now,
                "all parts",
                KmsKeySpec.ENCRYPT_DECRYPT,
                KmsKeySpec.SYMMETRIC_DEFAULT,
                policy(),
                KeyPolicy.parse(policy()))
            .generated(secret(), null)
            .withRotation(KeyRotation.NONE.enable(120, now).countOnDemand())
            .withMultiRegion(new MultiRegionRole("us-east-1", 3))
            .withImportParameters(
                List.of(
                    new ImportParameters(
                        "00112233445566778899aabbccddeeff",
                        "RSAES_OAEP_SHA_256",
                        "RSA_2048",
                        new byte[] {1, 2, 3},
                        now.plus(Duration.ofHours(24)))));
    key =
        KeyMaintenance.rotate(
            key, KeyMaterial.rotated(KmsKeySpec.SYMMETRIC_DEFAULT, secret(), now, "ON_DEMAND"));
    KmsGrant grant =
        new KmsGrant(
            "ab".repeat(32),
            mrk,
            ACCOUNT,
            "named",
            now,
            "arn:aws:iam::" + ACCOUNT + ":role/app",
            null,
            ACCOUNT,
            List.of("Decrypt", "DescribeKey"),
            Map.of("purpose", "test"),
            null);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
      assertThat(store.addGrant(grant, 10)).isTrue();
    }

    try (KeyStore reopened = KeyStore.open(dir)) {
      KmsKey back = reopened.find(mrk, now);
      assertThat(back.materials())
          .extracting(KeyMaterial::id)
          .containsExactlyElementsOf(key.materials().stream().map(KeyMaterial::id).toList());
      assertThat(back.materials().get(1).rotationType()).isEqualTo("ON_DEMAND");
      assertThat(back.rotation()).isEqualTo(key.rotation());
      assertThat(back.multiRegion()).isEqualTo(new MultiRegionRole("us-east-1", 3));
      assertThat(back.importParameters())
          .singleElement()
          .satisfies(p -> assertThat(p.privateKey()).containsExactly(1, 2, 3));
      assertThat(reopened.grants(mrk)).containsExactly(grant);
    }
  }

  @Test
  void aFormatOneDirectoryIsReadAndUpgraded() throws IOException {
    String keyId = UUID.randomUUID().toString();
    byte[] secret = secret();
    Files.createDirectories(dir.resolve("keys"));
    Files.createDirectories(dir.resolve("aliases"));
    Files.writeString(dir.resolve("kms-state.json"), "{\"format\": 1}");
    Files.writeString(
        dir.resolve("keys").resolve(keyId + ".json"),
        "{\"format\": 1, \"keyId\": \""
            + keyId
            + "\","
            + " \"accountId\": \""
            + ACCOUNT
            + "\", \"region\": \"eu-west-1\", \"partition\": \"aws\", \"creationDate\": \""
            + now
            + "\", \"description\": \"old\", \"keyUsage\": \"ENCRYPT_DECRYPT\", \"keySpec\": \"SYMMETRIC_DEFAULT\","
            + " \"keyState\": \"Enabled\", \"deletionDate\": null, \"pendingWindowInDays\": null, \"policy\": "
            + KmsTestBed.JSON.valueToTree(policy())
            + ", \"secret\": \""
            + Base64.getEncoder().encodeToString(secret)
            + "\", \"publicKey\": null}");

    try (KeyStore store = KeyStore.open(dir)) {
      KmsKey key = store.find(keyId, now);
      assertThat(key.origin()).isEqualTo(KmsKey.AWS_KMS);
      assertThat(key.keyMaterialId())
          .isEqualTo(KeyMaterial.generated(KmsKeySpec.SYMMETRIC_DEFAULT, secret, null).id());
      assertThat(key.rotation()).isEqualTo(KeyRotation.NONE);
    }
    assertThat(
            KmsTestBed.JSON.readTree(dir.resolve("kms-state.json").toFile()).get("format").asInt())
        .isEqualTo(2);
    Files.writeString(dir.resolve("kms-state.json"), "{\"format\": 3}");
    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("unsupported format 3");
  }

  @Test
  void grantsPermitTheirOperationsWithinTheirConstraint() {
    KmsGrant subset =
        new KmsGrant(
            "cd".repeat(32),
            "k",
            ACCOUNT,
            null,
            now,
            "g",
            null,
            ACCOUNT,
            List.of("Decrypt", "DescribeKey", "CreateGrant"),
            Map.of("a", "1"),
            null);
    KmsGrant equals =
        new KmsGrant(
            "ef".repeat(32),
            "k",
            ACCOUNT,
            null,
            now,
            "g",
            null,
            ACCOUNT,
            List.of("Encrypt"),
            null,
            Map.of("a", "1"));

    assertThat(Grants.permits(subset, "kms:Decrypt", Map.of("a", "1", "b", "2"))).isTrue();
    assertThat(Grants.permits(subset, "kms:Decrypt", Map.of("a", "2"))).isFalse();
    assertThat(Grants.permits(subset, "kms:DescribeKey", Map.of())).isTrue();
    assertThat(Grants.permits(subset, "kms:Encrypt", Map.of("a", "1"))).isFalse();
    assertThat(Grants.permits(subset, "kms:CreateGrant", Map.of("a", "1"))).isFalse();
    assertThat(Grants.permits(equals, "kms:Encrypt", Map.of("a", "1"))).isTrue();
    assertThat(Grants.permits(equals, "kms:Encrypt", Map.of("a", "1", "b", "2"))).isFalse();
  }

  @Test
  void grantTokensNameTheirGrantAndOthersAreRefused() {
    String grantId = Grants.newGrantId(RANDOM);
    String token = Grants.newToken(grantId, RANDOM);

    assertThat(Grants.grantIdOf(token)).isEqualTo(grantId);
    assertThat(token).startsWith("AQpA").isNotEqualTo(Grants.newToken(grantId, RANDOM));
    for (String bad : List.of("", "AQpA", token.substring(1), "not base64!", token + "AA")) {
      assertThatThrownBy(() -> Grants.grantIdOf(bad))
          .isInstanceOf(KmsError.class)
          .extracting(e -> ((KmsError) e).type())
          .isEqualTo("InvalidGrantTokenException");
    }
  }

  @Test
  void granteesMatchAsPolicyPrincipalsDo() {
    String session = "arn:aws:sts::" + ACCOUNT + ":assumed-role/app/i-0abc";
    assertThat(
            PolicyEvaluator.principalMatches(
                "arn:aws:iam::" + ACCOUNT + ":role/app", session, ACCOUNT))
        .isTrue();
    assertThat(PolicyEvaluator.principalMatches(ACCOUNT, session, ACCOUNT)).isTrue();
    assertThat(PolicyEvaluator.principalMatches(session, session, ACCOUNT)).isTrue();
    assertThat(
            PolicyEvaluator.principalMatches(
                "arn:aws:iam::" + ACCOUNT + ":role/other", session, ACCOUNT))
        .isFalse();
    assertThat(PolicyEvaluator.principalMatches("444455556666", session, ACCOUNT)).isFalse();
    assertThat(PolicyEvaluator.principalMatches(null, session, ACCOUNT)).isFalse();
  }

  private KmsKey symmetric() {
    return KeyDraft.newKey(
            UUID.randomUUID().toString(),
            ACCOUNT,
            "eu-west-1",
            "aws",
            now,
            "",
            KmsKeySpec.ENCRYPT_DECRYPT,
            KmsKeySpec.SYMMETRIC_DEFAULT,
            policy(),
            KeyPolicy.parse(policy()))
        .generated(secret(), null);
  }

  private static String policy() {
    return KeyPolicy.defaultPolicyJson(ACCOUNT);
  }

  private static byte[] secret() {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return secret;
  }
}
