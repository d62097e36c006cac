package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.RotationType;
import software.amazon.awssdk.services.kms.model.RotationsListEntry;

/**
 * The KMS mock rotates keys on the environment's clock: {@link EmulatorControls#advanceClock} moves
 * it.
 */
@Timeout(60)
class KmsKeyRotationClockTest {

  @Test
  void advancingTheEmulatorClockRotatesKeysAndEarlierCiphertextsStillDecrypt() throws Exception {
    try (EnclaveEnvironment env = EnclaveEnvironment.builder().start()) {
      KmsClient kms = env.kmsClient();
      String keyId =
          kms.createKey(r -> r.description("rotated by the emulator clock")).keyMetadata().keyId();
      kms.enableKeyRotation(r -> r.keyId(keyId).rotationPeriodInDays(90));
      SdkBytes before =
          kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromUtf8String("day 0")))
              .ciphertextBlob();
      assertThat(kms.listKeyRotations(r -> r.keyId(keyId)).rotations()).isEmpty();

      env.controls().advanceClock(Duration.ofDays(91));

      List<RotationsListEntry> rotations = kms.listKeyRotations(r -> r.keyId(keyId)).rotations();
      assertThat(rotations)
          .singleElement()
          .extracting(RotationsListEntry::rotationType)
          .isEqualTo(RotationType.AUTOMATIC);
      assertThat(kms.describeKey(r -> r.keyId(keyId)).keyMetadata().currentKeyMaterialId())
          .isEqualTo(rotations.get(0).keyMaterialId());
      assertThat(kms.decrypt(r -> r.ciphertextBlob(before)).plaintext().asUtf8String())
          .isEqualTo("day 0");
      assertThat(env.controls().kmsAuditEvents())
          .extracting(e -> e.eventName())
          .contains("EnableKeyRotation", "ListKeyRotations");
    }
  }
}
