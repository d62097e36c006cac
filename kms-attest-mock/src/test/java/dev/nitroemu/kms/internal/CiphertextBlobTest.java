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
  private final KeyMaterial material = material();
  private final SecretKey key = material.secretKey();
  private final byte[] plaintext = "attack at dawn".getBytes(StandardCharsets.UTF_8);
  private final Map<String, String> context = Map.of("purpose", "test", "tenant", "a");

  @Test
  void blobCarriesItsKeyIdAndDecryptsWithTheSameContext() {
    byte[] blob = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);

    CiphertextBlob parsed = CiphertextBlob.parse(blob);

    assertThat(parsed.keyId()).isEqualTo(keyId);
    assertThat(parsed.materialId()).isEqualTo(material.id());
    assertThat(parsed.decrypt(key, context)).isEqualTo(plaintext);
    assertThat(blob).hasSize(plaintext.length + CiphertextBlob.OVERHEAD);
    assertThat(blob[0]).isEqualTo((byte) CiphertextBlob.VERSION);
  }

  @Test
  void twoEncryptionsOfTheSamePlaintextDiffer() {
    byte[] first = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);
    byte[] second = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);

    assertThat(first).isNotEqualTo(second);
  }

  @Test
  void everyFlippedByteIsAnInvalidCiphertext() {
    byte[] blob = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);
    for (int i = 0; i < blob.length; i++) {
      for (int mask : new int[] {0x01, 0x80, 0xff}) {
        byte[] tampered = blob.clone();
        tampered[i] ^= (byte) mask;
        KmsError error =
            catchThrowableOfType(
                KmsError.class, () -> CiphertextBlob.parse(tampered).decrypt(key, context));
        assertThat(error).as("byte %d flipped with %02x", i, mask).isNotNull();
        assertThat(error.type()).isEqualTo("InvalidCiphertextException");
        assertThat(error.getMessage()).isNull();
      }
    }
  }

  @Test
  void aDifferentContextIsAnInvalidCiphertext() {
    byte[] blob = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);
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
    byte[] blob = CiphertextBlob.encrypt(keyId, material, plaintext, forward, random);

    assertThat(CiphertextBlob.parse(blob).decrypt(key, backward)).isEqualTo(plaintext);
    assertThat(CiphertextBlob.canonicalContext(forward))
        .isEqualTo(CiphertextBlob.canonicalContext(backward));
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
    byte[] blob = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);

    assertInvalid(() -> CiphertextBlob.parse(blob).decrypt(aesKey(), context));
  }

  @Test
  void truncatedOversizedAndForeignBlobsAreRejectedBeforeDecryption() {
    byte[] blob = CiphertextBlob.encrypt(keyId, material, plaintext, context, random);
    byte[] truncated = java.util.Arrays.copyOf(blob, CiphertextBlob.OVERHEAD - 1);
    byte[] oversized = new byte[CiphertextBlob.MAX_LENGTH + 1];
    System.arraycopy(blob, 0, oversized, 0, blob.length);
    byte[] realKmsStyle = blob.clone();
    System.arraycopy(new byte[] {0x01, 0x02, 0x02, 0x00, 0x78}, 0, realKmsStyle, 0, 5);

    assertInvalid(() -> CiphertextBlob.parse(truncated));
    assertInvalid(() -> CiphertextBlob.parse(oversized));
    assertInvalid(() -> CiphertextBlob.parse(realKmsStyle));
    assertInvalid(() -> CiphertextBlob.parse(new byte[0]));
  }

  @Test
  void largestPlaintextFitsTheKmsBlobLimit() {
    byte[] large = new byte[4096];
    random.nextBytes(large);

    byte[] blob = CiphertextBlob.encrypt(keyId, material, large, Map.of(), random);

    assertThat(blob.length).isLessThanOrEqualTo(CiphertextBlob.MAX_LENGTH);
    assertThat(CiphertextBlob.parse(blob).decrypt(key, Map.of())).isEqualTo(large);
  }

  @Test
  void aMultiRegionKeyIdRoundTrips() {
    String mrk = "mrk-0123456789abcdef0123456789abcdef";
    byte[] blob = CiphertextBlob.encrypt(mrk, material, plaintext, context, random);

    CiphertextBlob parsed = CiphertextBlob.parse(blob);

    assertThat(parsed.keyId()).isEqualTo(mrk);
    assertThat(blob[1]).isEqualTo((byte) 1);
    assertThat(parsed.decrypt(key, context)).isEqualTo(plaintext);
  }

  @Test
  void theBlobNamesTheMaterialOfARotatedKey() {
    KmsKey original =
        KeyDraft.newKey(
                keyId,
                "111122223333",
                "eu-west-1",
                "aws",
                java.time.Instant.now(),
                "",
                "ENCRYPT_DECRYPT",
                KmsKeySpec.SYMMETRIC_DEFAULT,
                KeyPolicy.defaultPolicyJson("111122223333"),
                KeyPolicy.parse(KeyPolicy.defaultPolicyJson("111122223333")))
            .generated(new byte[32], null);
    byte[] before =
        CiphertextBlob.encrypt(keyId, original.currentMaterial(), plaintext, context, random);
    KmsKey rotated = KeyMaintenance.rotate(original, material);
    byte[] after =
        CiphertextBlob.encrypt(keyId, rotated.currentMaterial(), plaintext, context, random);

    CiphertextBlob old = CiphertextBlob.parse(before);
    assertThat(old.materialOf(rotated).id()).isEqualTo(original.currentMaterial().id());
    assertThat(old.decrypt(old.materialOf(rotated).secretKey(), context)).isEqualTo(plaintext);
    assertThat(CiphertextBlob.parse(after).materialOf(rotated)).isSameAs(material);
    assertThat(CiphertextBlob.parse(after).materialOf(original)).isNull();
  }

  @Test
  void aFormatOneBlobStillDecryptsWithTheFirstMaterial() throws Exception {
    byte[] v1 = formatOneBlob(keyId, key, plaintext, context);

    CiphertextBlob parsed = CiphertextBlob.parse(v1);

    assertThat(parsed.keyId()).isEqualTo(keyId);
    assertThat(parsed.materialId()).isNull();
    assertThat(parsed.decrypt(key, context)).isEqualTo(plaintext);
    assertInvalid(() -> parsed.decrypt(key, Map.of()));
  }

  /** The version 1 layout, as the mock wrote it before key rotation existed. */
  private byte[] formatOneBlob(String id, SecretKey aes, byte[] data, Map<String, String> ec)
      throws Exception {
    byte[] blob = new byte[33 + data.length + 16];
    java.nio.ByteBuffer header = java.nio.ByteBuffer.wrap(blob);
    UUID uuid = UUID.fromString(id);
    header
        .put((byte) 1)
        .putLong(uuid.getMostSignificantBits())
        .putLong(uuid.getLeastSignificantBits());
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(blob, 0, 17);
    header.putInt((int) crc.getValue());
    byte[] nonce = new byte[12];
    random.nextBytes(nonce);
    header.put(nonce);
    javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(
        javax.crypto.Cipher.ENCRYPT_MODE, aes, new javax.crypto.spec.GCMParameterSpec(128, nonce));
    gcm.updateAAD("nitro-emu kms ciphertext".getBytes(StandardCharsets.US_ASCII));
    gcm.updateAAD(blob, 0, 33);
    gcm.updateAAD(CiphertextBlob.canonicalContext(ec));
    gcm.doFinal(data, 0, data.length, blob, 33);
    return blob;
  }

  private KeyMaterial material() {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return KeyMaterial.generated(KmsKeySpec.SYMMETRIC_DEFAULT, bytes, null);
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
