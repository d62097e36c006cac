package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class CiphertextBlobTest {
  private final SecureRandom random = new SecureRandom();
  private final String keyId = UUID.randomUUID().toString();
  private final SecretKey key = aesKey();
  private final byte[] plaintext = "attack at dawn".getBytes(StandardCharsets.UTF_8);
  private final Map<String, String> context = Map.of("purpose", "test", "tenant", "a");

  @Test
  void blobCarriesItsKeyIdAndDecryptsWithTheSameContext() {
    byte[] blob = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);

    CiphertextBlob parsed = CiphertextBlob.parse(blob);

    assertThat(parsed.keyId()).isEqualTo(keyId);
    assertThat(parsed.decrypt(key, context)).isEqualTo(plaintext);
    assertThat(blob).hasSize(plaintext.length + CiphertextBlob.OVERHEAD);
    assertThat(blob[0]).isEqualTo((byte) CiphertextBlob.VERSION);
  }

  @Test
  void twoEncryptionsOfTheSamePlaintextDiffer() {
    byte[] first = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);
    byte[] second = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);

    assertThat(first).isNotEqualTo(second);
  }

  @Test
  void everyFlippedByteIsAnInvalidCiphertext() {
    byte[] blob = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);
    for (int i = 0; i < blob.length; i++) {
      for (int mask : new int[] {0x01, 0x80, 0xff}) {
        byte[] tampered = blob.clone();
        tampered[i] ^= (byte) mask;
        KmsError error =
            catchThrowableOfType(KmsError.class, () -> CiphertextBlob.parse(tampered).decrypt(key, context));
        assertThat(error).as("byte %d flipped with %02x", i, mask).isNotNull();
        assertThat(error.type()).isEqualTo("InvalidCiphertextException");
        assertThat(error.getMessage()).isNull();
      }
    }
  }

  @Test
  void aDifferentContextIsAnInvalidCiphertext() {
    byte[] blob = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);
    CiphertextBlob parsed = CiphertextBlob.parse(blob);

    assertInvalid(() -> parsed.decrypt(key, Map.of()));
    assertInvalid(() -> parsed.decrypt(key, Map.of("purpose", "test")));
    assertInvalid(() -> parsed.decrypt(key, Map.of("purpose", "test", "tenant", "A")));
    assertInvalid(() -> parsed.decrypt(key, Map.of("purpose", "test", "tenant", "a", "extra", "")));
  }

  @Test
  void contextOrderDoesNotMatter() {
    Map<String, String> forward = new LinkedHashMap<>();
    forward.put("a", "1");
    forward.put("b", "2");
    Map<String, String> backward = new LinkedHashMap<>();
    backward.put("b", "2");
    backward.put("a", "1");
    byte[] blob = CiphertextBlob.encrypt(keyId, key, plaintext, forward, random);

    assertThat(CiphertextBlob.parse(blob).decrypt(key, backward)).isEqualTo(plaintext);
    assertThat(CiphertextBlob.canonicalContext(forward)).isEqualTo(CiphertextBlob.canonicalContext(backward));
  }

  @Test
  void canonicalContextKeepsKeyAndValueBoundariesApart() {
    assertThat(CiphertextBlob.canonicalContext(Map.of("ab", "c")))
        .isNotEqualTo(CiphertextBlob.canonicalContext(Map.of("a", "bc")));
    assertThat(CiphertextBlob.canonicalContext(Map.of()))
        .isNotEqualTo(CiphertextBlob.canonicalContext(Map.of("", "")));
  }

  @Test
  void anotherKeyCannotDecrypt() {
    byte[] blob = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);

    assertInvalid(() -> CiphertextBlob.parse(blob).decrypt(aesKey(), context));
  }

  @Test
  void truncatedOversizedAndForeignBlobsAreRejectedBeforeDecryption() {
    byte[] blob = CiphertextBlob.encrypt(keyId, key, plaintext, context, random);
    byte[] truncated = java.util.Arrays.copyOf(blob, CiphertextBlob.OVERHEAD - 1);
    byte[] oversized = new byte[CiphertextBlob.MAX_LENGTH + 1];
    System.arraycopy(blob, 0, oversized, 0, blob.length);
    byte[] realKmsStyle = blob.clone();
    realKmsStyle[0] = 0x02;

    assertInvalid(() -> CiphertextBlob.parse(truncated));
    assertInvalid(() -> CiphertextBlob.parse(oversized));
    assertInvalid(() -> CiphertextBlob.parse(realKmsStyle));
    assertInvalid(() -> CiphertextBlob.parse(new byte[0]));
  }

  @Test
  void largestPlaintextFitsTheKmsBlobLimit() {
    byte[] large = new byte[4096];
    random.nextBytes(large);

    byte[] blob = CiphertextBlob.encrypt(keyId, key, large, Map.of(), random);

    assertThat(blob.length).isLessThanOrEqualTo(CiphertextBlob.MAX_LENGTH);
    assertThat(CiphertextBlob.parse(blob).decrypt(key, Map.of())).isEqualTo(large);
  }

  private static void assertInvalid(Runnable action) {
    KmsError error = catchThrowableOfType(KmsError.class, action::run);
    assertThat(error).isNotNull();
    assertThat(error.type()).isEqualTo("InvalidCiphertextException");
  }

  private SecretKey aesKey() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return new SecretKeySpec(bytes, "AES");
  }
}
