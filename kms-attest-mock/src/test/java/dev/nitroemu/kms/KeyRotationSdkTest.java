package dev.nitroemu.kms;

import static dev.nitroemu.kms.KmsTestClients.error;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.GetKeyRotationStatusResponse;
import software.amazon.awssdk.services.kms.model.IncludeKeyMaterial;
import software.amazon.awssdk.services.kms.model.KeyMaterialState;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KeyUsageType;
import software.amazon.awssdk.services.kms.model.ListKeyRotationsResponse;
import software.amazon.awssdk.services.kms.model.OriginType;
import software.amazon.awssdk.services.kms.model.RotationType;
import software.amazon.awssdk.services.kms.model.RotationsListEntry;

/** Key rotation with an unmodified AWS SDK v2 client, the mock's clock moved by months. */
@Timeout(60)
class KeyRotationSdkTest {
  private final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS);
  private final MutableTestClock clock = new MutableTestClock(start);

  @TempDir Path state;

  @Test
  void automaticRotationFollowsTheMockClockAndEveryEarlierCiphertextStillDecrypts()
      throws IOException {
    String keyId;
    SdkBytes first;
    SdkBytes second;
    String firstMaterial;
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      keyId = kms.createKey(r -> r.description("rotating")).keyMetadata().keyId();
      GetKeyRotationStatusResponse off = kms.getKeyRotationStatus(r -> r.keyId(keyId));
      assertThat(off.keyRotationEnabled()).isFalse();
      assertThat(off.keyId()).isEqualTo(keyId);
      assertThat(off.rotationPeriodInDays()).isNull();
      assertThat(off.nextRotationDate()).isNull();

      kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(90));
      GetKeyRotationStatusResponse on = kms.getKeyRotationStatus(r -> r.keyId(keyId));
      assertThat(on.keyRotationEnabled()).isTrue();
      assertThat(on.rotationPeriodInDays()).isEqualTo(90);
      assertThat(on.nextRotationDate()).isEqualTo(start.plus(Duration.ofDays(90)));
      first = encrypt(kms, keyId, "before any rotation");
      firstMaterial = kms.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId();
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations()).isEmpty();

      clock.advance(Duration.ofDays(91));
      second = encrypt(kms, keyId, "after one rotation");
      List<RotationsListEntry> one = kms.listKeyRotations(r -> r.keyId(keyId)).rotations();
      assertThat(one)
          .singleElement()
          .satisfies(
              entry -> {
                assertThat(entry.keyId()).isEqualTo(keyId);
                assertThat(entry.rotationType()).isEqualTo(RotationType.AUTOMATIC);
                assertThat(entry.rotationDate()).isEqualTo(start.plus(Duration.ofDays(90)));
                assertThat(entry.keyMaterialState()).isEqualTo(KeyMaterialState.CURRENT);
                assertThat(entry.keyMaterialId())
                    .isNotEqualTo(firstMaterial)
                    .matches("[0-9a-f]{64}");
              });
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId())
          .isEqualTo(one.get(0).keyMaterialId());

      clock.advance(Duration.ofDays(200));
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations())
          .extracting(RotationsListEntry::rotationDate)
          .containsExactly(
              start.plus(Duration.ofDays(90)),
              start.plus(Duration.ofDays(180)),
              start.plus(Duration.ofDays(270)));
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).nextRotationDate())
          .isEqualTo(start.plus(Duration.ofDays(360)));

      DecryptResponse old = kms.decrypt(r -> r.ciphertextBlob(first));
      assertThat(old.plaintext().asUtf8String()).isEqualTo("before any rotation");
      assertThat(old.keyMaterialId()).isEqualTo(firstMaterial);
      assertThat(kms.decrypt(r -> r.ciphertextBlob(second)).keyMaterialId())
          .isEqualTo(one.get(0).keyMaterialId());

      List<RotationsListEntry> all =
          kms.listKeyRotations(
                  r -> r.keyId(keyId).includeKeyMaterial(IncludeKeyMaterial.ALL_KEY_MATERIAL))
              .rotations();
      assertThat(all).hasSize(4);
      assertThat(all.get(0).keyMaterialId()).isEqualTo(firstMaterial);
      assertThat(all.get(0).rotationDate()).isNull();
      assertThat(all)
          .extracting(RotationsListEntry::keyMaterialState)
          .containsExactly(
              KeyMaterialState.NON_CURRENT,
              KeyMaterialState.NON_CURRENT,
              KeyMaterialState.NON_CURRENT,
              KeyMaterialState.CURRENT);

      ListKeyRotationsResponse page = kms.listKeyRotations(r -> r.keyId(keyId).limit(2));
      assertThat(page.truncated()).isTrue();
      assertThat(page.rotations()).hasSize(2);
      ListKeyRotationsResponse rest =
          kms.listKeyRotations(r -> r.keyId(keyId).limit(2).marker(page.nextMarker()));
      assertThat(rest.truncated()).isFalse();
      assertThat(rest.rotations())
          .singleElement()
          .extracting(RotationsListEntry::rotationDate)
          .isEqualTo(start.plus(Duration.ofDays(270)));
    }

    try (KmsMockServer restarted = server();
        KmsClient kms = client(restarted)) {
      assertThat(kms.decrypt(r -> r.ciphertextBlob(first)).plaintext().asUtf8String())
          .isEqualTo("before any rotation");
      assertThat(kms.decrypt(r -> r.ciphertextBlob(second)).plaintext().asUtf8String())
          .isEqualTo("after one rotation");
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations()).hasSize(3);
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).rotationPeriodInDays())
          .isEqualTo(90);
    }
  }

  @Test
  void theRotationPeriodIsValidatedAndDefaultsTo365Days() throws IOException {
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId = kms.createKey(r -> {}).keyMetadata().keyId();

      AwsErrorDetails tooShort =
          error(() -> kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(89)));
      assertThat(tooShort.errorCode()).isEqualTo("ValidationException");
      assertThat(tooShort.errorMessage())
          .isEqualTo(
              "1 validation error detected: Value '89' at 'rotationPeriodInDays'"
                  + " failed to satisfy constraint: Member must have value greater than or equal to 90");
      assertThat(
              error(() -> kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(2561)))
                  .errorMessage())
          .endsWith("Member must have value less than or equal to 2560");

      kms.enableKeyRotation(r -> r.keyId(keyId));
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).rotationPeriodInDays())
          .isEqualTo(365);
      kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(730));
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).nextRotationDate())
          .isEqualTo(start.plus(Duration.ofDays(730)));

      kms.disableKeyRotation(r -> r.keyId(keyId));
      GetKeyRotationStatusResponse off = kms.getKeyRotationStatus(r -> r.keyId(keyId));
      assertThat(off.keyRotationEnabled()).isFalse();
      assertThat(off.nextRotationDate()).isNull();
      clock.advance(Duration.ofDays(800));
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations()).isEmpty();
      assertThat(server.auditLog().events())
          .filteredOn(e -> e.eventName().equals("EnableKeyRotation"))
          .extracting(e -> e.requestParameters().path("rotationPeriodInDays").asInt(0))
          .containsExactly(89, 2561, 0, 730);
    }
  }

  @Test
  void onDemandRotationIsImmediateCountedAndRefusedNearAnAutomaticOne() throws IOException {
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId = kms.createKey(r -> {}).keyMetadata().keyId();
      SdkBytes before = encrypt(kms, keyId, "old material");

      assertThat(kms.rotateKeyOnDemand(r -> r.keyId(keyId)).keyId()).isEqualTo(keyId);
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations())
          .singleElement()
          .satisfies(
              entry -> {
                assertThat(entry.rotationType()).isEqualTo(RotationType.ON_DEMAND);
                assertThat(entry.rotationDate()).isEqualTo(start);
              });
      assertThat(kms.decrypt(r -> r.ciphertextBlob(before)).plaintext().asUtf8String())
          .isEqualTo("old material");
      for (int i = 1; i < 25; i++) {
        kms.rotateKeyOnDemand(r -> r.keyId(keyId));
      }
      AwsErrorDetails limit = error(() -> kms.rotateKeyOnDemand(r -> r.keyId(keyId)));
      assertThat(limit.errorCode()).isEqualTo("LimitExceededException");
      assertThat(kms.decrypt(r -> r.ciphertextBlob(before)).plaintext().asUtf8String())
          .isEqualTo("old material");

      String other = kms.createKey(r -> {}).keyMetadata().keyId();
      kms.enableKeyRotation(r -> r.keyId(other).rotationPeriodInDays(90));
      clock.advance(Duration.ofDays(90).minusMinutes(10));
      AwsErrorDetails conflict = error(() -> kms.rotateKeyOnDemand(r -> r.keyId(other)));
      assertThat(conflict.errorCode()).isEqualTo("ConflictException");
      kms.disableKey(r -> r.keyId(other));
      AwsErrorDetails disabled = error(() -> kms.rotateKeyOnDemand(r -> r.keyId(other)));
      assertThat(disabled.errorCode()).isEqualTo("DisabledException");
      assertThat(disabled.errorMessage()).isEqualTo(arn(server, other) + " is disabled.");
    }
  }

  @Test
  void aDisabledKeyDoesNotRotateAndRotatesAtOnceWhenEnabledLate() throws IOException {
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId = kms.createKey(r -> {}).keyMetadata().keyId();
      kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(90));
      clock.advance(Duration.ofDays(10));
      kms.disableKey(r -> r.keyId(keyId));
      clock.advance(Duration.ofDays(100));
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations()).isEmpty();
      assertThat(error(() -> kms.enableKeyRotation(r -> r.keyId(keyId))).errorCode())
          .isEqualTo("DisabledException");

      kms.enableKey(r -> r.keyId(keyId));
      Instant enabledAt = clock.instant();
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations())
          .singleElement()
          .extracting(RotationsListEntry::rotationDate)
          .isEqualTo(enabledAt);
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).nextRotationDate())
          .isEqualTo(enabledAt.plus(Duration.ofDays(90)));

      kms.scheduleKeyDeletion(r -> r.keyId(keyId).pendingWindowInDays(7));
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).keyRotationEnabled()).isFalse();
      AwsErrorDetails pending = error(() -> kms.enableKeyRotation(r -> r.keyId(keyId)));
      assertThat(pending.errorCode()).isEqualTo("KMSInvalidStateException");
      assertThat(pending.errorMessage()).isEqualTo(arn(server, keyId) + " is pending deletion.");
    }
  }

  @Test
  void keyPoliciesSeeTheRotationPeriod() throws IOException {
    String policy =
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":"
            + "\"arn:aws:iam::000000000000:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"},{\"Effect\":\"Deny\","
            + "\"Principal\":\"*\",\"Action\":\"kms:EnableKeyRotation\",\"Resource\":\"*\",\"Condition\":"
            + "{\"NumericLessThan\":{\"kms:RotationPeriodInDays\":\"180\"}}}]}";
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String keyId = kms.createKey(r -> r.policy(policy)).keyMetadata().keyId();
      AwsErrorDetails denied =
          error(() -> kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(90)));
      assertThat(denied.errorCode()).isEqualTo("AccessDeniedException");
      assertThat(denied.errorMessage())
          .isEqualTo(
              "User: arn:aws:iam::000000000000:root is not authorized to perform:"
                  + " kms:EnableKeyRotation on resource: "
                  + arn(server, keyId)
                  + " with an explicit deny in a resource-based"
                  + " policy");
      kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(180));
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(keyId)).rotationPeriodInDays())
          .isEqualTo(180);
    }
  }

  @Test
  void keysKmsDoesNotRotateAnswerAsAwsDoes() throws IOException {
    try (KmsMockServer server = server();
        KmsClient kms = client(server)) {
      String rsa =
          kms.createKey(r -> r.keySpec(KeySpec.RSA_2048).keyUsage(KeyUsageType.ENCRYPT_DECRYPT))
              .keyMetadata()
              .keyId();
      assertThat(kms.getKeyRotationStatus(r -> r.keyId(rsa)).keyRotationEnabled()).isFalse();
      for (Runnable call :
          List.<Runnable>of(
              () -> kms.enableKeyRotation(r -> r.keyId(rsa)),
              () -> kms.disableKeyRotation(r -> r.keyId(rsa)),
              () -> kms.rotateKeyOnDemand(r -> r.keyId(rsa)),
              () -> kms.listKeyRotations(r -> r.keyId(rsa)))) {
        AwsErrorDetails unsupported = error(call);
        assertThat(unsupported.errorCode()).isEqualTo("UnsupportedOperationException");
        assertThat(unsupported.errorMessage()).isNull();
      }

      String external = kms.createKey(r -> r.origin(OriginType.EXTERNAL)).keyMetadata().keyId();
      for (Runnable call :
          List.<Runnable>of(
              () -> kms.enableKeyRotation(r -> r.keyId(external)),
              () -> kms.disableKeyRotation(r -> r.keyId(external)),
              () -> kms.getKeyRotationStatus(r -> r.keyId(external)))) {
        AwsErrorDetails origin = error(call);
        assertThat(origin.errorCode()).isEqualTo("UnsupportedOperationException");
        assertThat(origin.errorMessage())
            .isEqualTo(
                arn(server, external)
                    + " origin is EXTERNAL which is not valid for this operation.");
      }
      AwsErrorDetails notFound = error(() -> kms.enableKeyRotation(r -> r.keyId("alias/none")));
      assertThat(notFound.errorCode()).isEqualTo("NotFoundException");
      assertThat(notFound.errorMessage()).isEqualTo("Invalid keyId 'alias/none'");
    }
  }

  private KmsMockServer server() throws IOException {
    return KmsMockServer.builder().clock(clock).stateDirectory(state).build().start();
  }

  private KmsClient client(KmsMockServer server) {
    return KmsTestClients.at(server, server.region(), "test", "test", clock);
  }

  private static SdkBytes encrypt(KmsClient kms, String keyId, String text) {
    return kms.encrypt(
            r -> r.keyId(keyId).plaintext(SdkBytes.fromString(text, StandardCharsets.UTF_8)))
        .ciphertextBlob();
  }

  private static String arn(KmsMockServer server, String keyId) {
    return "arn:aws:kms:" + server.region() + ":" + server.accountId() + ":key/" + keyId;
  }
}
