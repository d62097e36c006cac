package dev.nitroemu.kms.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The mock's ciphertext blob for symmetric KMS keys: authenticated, and carrying the id of its key
 * so that Decrypt needs no KeyId.
 *
 * <p>Layout, format version 1 (all integers big-endian):
 *
 * <pre>
 * offset  length  field
 *      0       1  format version, 0x01
 *      1      16  key id: the key's UUID (most significant 64 bits, then least significant)
 *     17       4  CRC-32C of bytes 0..16, so a damaged header is told apart from an unknown key
 *     21      12  AES-GCM nonce, random per blob
 *     33       n  AES-256-GCM ciphertext of the n-byte plaintext
 *   33+n      16  GCM authentication tag
 * </pre>
 *
 * <p>The GCM additional authenticated data is the ASCII label {@code "nitro-emu kms ciphertext"}, then
 * bytes 0..32 of the blob (version, key id, checksum, nonce), then the canonical encryption context:
 * a 4-byte pair count followed, for each pair in ascending order of the key's UTF-8 bytes, by the
 * 4-byte length and UTF-8 bytes of the key and then of the value. So the blob is bound to its format
 * version, its key and the exact encryption context (only the order of pairs may differ); any changed
 * byte or a different context makes {@link #decrypt} fail with {@code InvalidCiphertextException}.
 * Blobs longer than {@link #MAX_LENGTH} bytes (the KMS limit) are refused before parsing.
 */
public final class CiphertextBlob {
  /** The format version this class writes and reads. */
  public static final int VERSION = 1;
  /** Largest blob KMS accepts, in bytes. */
  public static final int MAX_LENGTH = 6144;

  private static final int KEY_ID_OFFSET = 1;
  private static final int CHECKSUM_OFFSET = 17;
  private static final int NONCE_OFFSET = 21;
  private static final int NONCE_LENGTH = 12;
  private static final int HEADER_LENGTH = 33;
  private static final int TAG_LENGTH = 16;
  /** Bytes a blob adds to its plaintext. */
  public static final int OVERHEAD = HEADER_LENGTH + TAG_LENGTH;

  private static final byte[] AAD_LABEL = "nitro-emu kms ciphertext".getBytes(StandardCharsets.US_ASCII);

  private final byte[] blob;
  private final String keyId;

  private CiphertextBlob(byte[] blob, String keyId) {
    this.blob = blob;
    this.keyId = keyId;
  }

  /**
   * Reads the header of a blob.
   *
   * @throws KmsError InvalidCiphertextException when it is not a well-formed version 1 blob
   */
  public static CiphertextBlob parse(byte[] blob) {
    if (blob == null || blob.length < OVERHEAD || blob.length > MAX_LENGTH || blob[0] != VERSION) {
      throw invalid();
    }
    if (ByteBuffer.wrap(blob, CHECKSUM_OFFSET, 4).getInt() != checksum(blob)) {
      throw invalid();
    }
    ByteBuffer id = ByteBuffer.wrap(blob, KEY_ID_OFFSET, 16);
    return new CiphertextBlob(blob.clone(), new UUID(id.getLong(), id.getLong()).toString());
  }

  /**
   * Encrypts a plaintext under a symmetric key.
   *
   * @param keyId the key's UUID
   * @param key the key's AES-256 key
   * @param plaintext up to 4096 bytes (the caller enforces KMS limits)
   * @param encryptionContext the pairs the blob is bound to, possibly empty
   */
  public static byte[] encrypt(
      String keyId, SecretKey key, byte[] plaintext, Map<String, String> encryptionContext,
      SecureRandom random) {
    if (plaintext.length > MAX_LENGTH - OVERHEAD) {
      throw new IllegalArgumentException("Plaintext too long for a ciphertext blob");
    }
    UUID uuid = UUID.fromString(keyId);
    byte[] blob = new byte[OVERHEAD + plaintext.length];
    ByteBuffer header = ByteBuffer.wrap(blob);
    header.put((byte) VERSION).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
    header.putInt(checksum(blob));
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    header.put(nonce);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      gcm.updateAAD(aad(blob, encryptionContext));
      int written = gcm.doFinal(plaintext, 0, plaintext.length, blob, HEADER_LENGTH);
      if (written != plaintext.length + TAG_LENGTH) {
        throw new IllegalStateException("Unexpected GCM output length " + written);
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
    return blob;
  }

  /** The id of the key the blob says it was made with (not yet authenticated). */
  public String keyId() {
    return keyId;
  }

  /**
   * Authenticates and decrypts the blob.
   *
   * @throws KmsError InvalidCiphertextException when the key, context or any byte does not match
   */
  public byte[] decrypt(SecretKey key, Map<String, String> encryptionContext) {
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(
          Cipher.DECRYPT_MODE,
          key,
          new GCMParameterSpec(TAG_LENGTH * 8, blob, NONCE_OFFSET, NONCE_LENGTH));
      gcm.updateAAD(aad(blob, encryptionContext));
      return gcm.doFinal(blob, HEADER_LENGTH, blob.length - HEADER_LENGTH);
    } catch (AEADBadTagException e) {
      throw invalid();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /**
   * The canonical encoding of an encryption context: pair count, then length-prefixed UTF-8 key and
   * value of each pair in ascending order of the keys' UTF-8 bytes.
   */
  public static byte[] canonicalContext(Map<String, String> encryptionContext) {
    List<byte[][]> pairs = new ArrayList<>(encryptionContext.size());
    encryptionContext.forEach(
        (k, v) -> pairs.add(new byte[][] {k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)}));
    pairs.sort((a, b) -> Arrays.compareUnsigned(a[0], b[0]));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeInt(out, pairs.size());
    for (byte[][] pair : pairs) {
      writeInt(out, pair[0].length);
      out.writeBytes(pair[0]);
      writeInt(out, pair[1].length);
      out.writeBytes(pair[1]);
    }
    return out.toByteArray();
  }

  private static byte[] aad(byte[] blob, Map<String, String> encryptionContext) {
    byte[] context = canonicalContext(encryptionContext);
    byte[] aad = new byte[AAD_LABEL.length + HEADER_LENGTH + context.length];
    System.arraycopy(AAD_LABEL, 0, aad, 0, AAD_LABEL.length);
    System.arraycopy(blob, 0, aad, AAD_LABEL.length, HEADER_LENGTH);
    System.arraycopy(context, 0, aad, AAD_LABEL.length + HEADER_LENGTH, context.length);
    return aad;
  }

  private static int checksum(byte[] blob) {
    CRC32C crc = new CRC32C();
    crc.update(blob, 0, CHECKSUM_OFFSET);
    return (int) crc.getValue();
  }

  private static void writeInt(ByteArrayOutputStream out, int value) {
    out.write(value >>> 24);
    out.write(value >>> 16);
    out.write(value >>> 8);
    out.write(value);
  }

  /** {@code InvalidCiphertextException}, which real KMS sends without a message. */
  public static KmsError invalid() {
    return new KmsError("InvalidCiphertextException", null);
  }
}
