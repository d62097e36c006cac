package dev.nitroemu.kms.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The mock's ciphertext blob for symmetric KMS keys: authenticated, and naming its key and the
 * version of the key's material that made it, so that Decrypt needs no KeyId and ciphertexts made
 * before any number of rotations still decrypt.
 *
 * <p>Layout, format version 2 (all integers big-endian):
 *
 * <pre>
 * offset  length  field
 *      0       1  format version, 0x02
 *      1       1  key id form: 0x00 a UUID, 0x01 a multi-Region id (mrk- and 32 hex digits)
 *      2      16  key id: the UUID (most significant 64 bits, then least), or the 32 hex digits as bytes
 *     18      32  key material id (the 64 hex digits of {@link KeyMaterial#id()} as bytes)
 *     50       4  CRC-32C of bytes 0..49, so a damaged header is told apart from an unknown key
 *     54      12  AES-GCM nonce, random per blob
 *     66       n  AES-256-GCM ciphertext of the n-byte plaintext
 *   66+n      16  GCM authentication tag
 * </pre>
 *
 * <p>The GCM additional authenticated data is the ASCII label {@code "nitro-emu kms ciphertext"},
 * then every header byte (version to nonce), then the canonical encryption context: a 4-byte pair
 * count followed, for each pair in ascending order of the key's UTF-8 bytes, by the 4-byte length
 * and UTF-8 bytes of the key and then of the value. So the blob is bound to its format version, its
 * key, its material and the exact encryption context (only the order of pairs may differ); any
 * changed byte or a different context makes {@link #decrypt} fail with {@code
 * InvalidCiphertextException}. Blobs longer than {@link #MAX_LENGTH} bytes (the KMS limit) are
 * refused before parsing.
 *
 * <p>Format version 1 (written before key rotation existed: version, 16-byte UUID, CRC-32C of bytes
 * 0..16, nonce, ciphertext, tag; the AAD covers bytes 0..32) is still read; such a blob was made
 * with the key's first material.
 */
public final class CiphertextBlob {
  /** The format version this class writes. */
  public static final int VERSION = 2;

  /** Largest blob KMS accepts, in bytes. */
  public static final int MAX_LENGTH = 6144;

  private static final int V1 = 1;
  private static final int NONCE_LENGTH = 12;
  private static final int TAG_LENGTH = 16;
  private static final int FORM_UUID = 0;
  private static final int FORM_MULTI_REGION = 1;
  private static final int V2_CHECKSUM_OFFSET = 50;
  private static final int V2_HEADER_LENGTH = 66;
  private static final int V1_CHECKSUM_OFFSET = 17;
  private static final int V1_HEADER_LENGTH = 33;

  /** Bytes a blob adds to its plaintext. */
  public static final int OVERHEAD = V2_HEADER_LENGTH + TAG_LENGTH;

  private static final byte[] AAD_LABEL =
      "nitro-emu kms ciphertext".getBytes(StandardCharsets.US_ASCII);

  private final byte[] blob;
  private final String keyId;
  private final String materialId;
  private final int headerLength;

  private CiphertextBlob(byte[] blob, String keyId, String materialId, int headerLength) {
    this.blob = blob;
    this.keyId = keyId;
    this.materialId = materialId;
    this.headerLength = headerLength;
  }

  /**
   * Reads the header of a blob.
   *
   * @throws KmsError InvalidCiphertextException when it is not a well-formed version 1 or 2 blob
   */
  public static CiphertextBlob parse(byte[] blob) {
    if (blob == null || blob.length == 0 || blob.length > MAX_LENGTH) {
      throw invalid();
    }
    if (blob[0] == V1
        && blob.length >= V1_HEADER_LENGTH + TAG_LENGTH
        && ByteBuffer.wrap(blob, V1_CHECKSUM_OFFSET, 4).getInt()
            == checksum(blob, V1_CHECKSUM_OFFSET)) {
      ByteBuffer id = ByteBuffer.wrap(blob, 1, 16);
      return new CiphertextBlob(
          blob.clone(), new UUID(id.getLong(), id.getLong()).toString(), null, V1_HEADER_LENGTH);
    }
    if (blob[0] != VERSION
        || blob.length < OVERHEAD
        || ByteBuffer.wrap(blob, V2_CHECKSUM_OFFSET, 4).getInt()
            != checksum(blob, V2_CHECKSUM_OFFSET)) {
      throw invalid();
    }
    String keyId;
    if (blob[1] == FORM_UUID) {
      ByteBuffer id = ByteBuffer.wrap(blob, 2, 16);
      keyId = new UUID(id.getLong(), id.getLong()).toString();
    } else if (blob[1] == FORM_MULTI_REGION) {
      keyId = "mrk-" + HexFormat.of().formatHex(blob, 2, 18);
    } else {
      throw invalid();
    }
    String materialId = HexFormat.of().formatHex(blob, 18, 50);
    return new CiphertextBlob(blob.clone(), keyId, materialId, V2_HEADER_LENGTH);
  }

  /**
   * Encrypts a plaintext under a version of a symmetric key's material.
   *
   * @param keyId the key's id (a UUID or an {@code mrk-} id)
   * @param material the (available, symmetric) material to encrypt with, usually the current one
   * @param plaintext up to 4096 bytes (the caller enforces KMS limits)
   * @param encryptionContext the pairs the blob is bound to, possibly empty
   */
  public static byte[] encrypt(
      String keyId,
      KeyMaterial material,
      byte[] plaintext,
      Map<String, String> encryptionContext,
      SecureRandom random) {
    if (plaintext.length > MAX_LENGTH - OVERHEAD) {
      throw new IllegalArgumentException("Plaintext too long for a ciphertext blob");
    }
    byte[] blob = new byte[OVERHEAD + plaintext.length];
    ByteBuffer header = ByteBuffer.wrap(blob);
    header.put((byte) VERSION);
    if (KeyIdentifiers.isMultiRegionKeyId(keyId)) {
      header
          .put((byte) FORM_MULTI_REGION)
          .put(HexFormat.of().parseHex(keyId.substring(4).toLowerCase(Locale.ROOT)));
    } else {
      UUID uuid = UUID.fromString(keyId);
      header
          .put((byte) FORM_UUID)
          .putLong(uuid.getMostSignificantBits())
          .putLong(uuid.getLeastSignificantBits());
    }
    header.put(HexFormat.of().parseHex(material.id()));
    header.putInt(checksum(blob, V2_CHECKSUM_OFFSET));
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    header.put(nonce);
    try {
      Cipher gcm = ThreadEngines.aesGcm();
      gcm.init(
          Cipher.ENCRYPT_MODE, material.secretKey(), new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      gcm.updateAAD(aad(blob, V2_HEADER_LENGTH, encryptionContext));
      int written = gcm.doFinal(plaintext, 0, plaintext.length, blob, V2_HEADER_LENGTH);
      if (written != plaintext.length + TAG_LENGTH) {
        throw new IllegalStateException("Unexpected GCM output length " + written);
      }
    } catch (GeneralSecurityException e) {
      ThreadEngines.discard();
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
    return blob;
  }

  /** The id of the key the blob says it was made with (not yet authenticated). */
  public String keyId() {
    return keyId;
  }

  /**
   * The id of the material the blob says it was made with, or null for a version 1 blob (first
   * material).
   */
  public String materialId() {
    return materialId;
  }

  /**
   * The material of {@code key} this blob names, or null when the key has no such (available)
   * material.
   */
  public KeyMaterial materialOf(KmsKey key) {
    KeyMaterial material =
        materialId != null
            ? key.material(materialId)
            : key.materials().isEmpty() ? null : key.materials().get(0);
    return material == null
            || !material.available()
            || material.state() == KeyMaterial.State.PENDING_ROTATION
        ? null
        : material;
  }

  /**
   * Authenticates and decrypts the blob.
   *
   * @throws KmsError InvalidCiphertextException when the key, context or any byte does not match
   */
  public byte[] decrypt(SecretKey key, Map<String, String> encryptionContext) {
    try {
      Cipher gcm = ThreadEngines.aesGcm();
      gcm.init(
          Cipher.DECRYPT_MODE,
          key,
          new GCMParameterSpec(TAG_LENGTH * 8, blob, headerLength - NONCE_LENGTH, NONCE_LENGTH));
      gcm.updateAAD(aad(blob, headerLength, encryptionContext));
      return gcm.doFinal(blob, headerLength, blob.length - headerLength);
    } catch (AEADBadTagException e) {
      // The cipher resets itself after a failed doFinal; it stays usable for the next blob.
      throw invalid();
    } catch (GeneralSecurityException e) {
      ThreadEngines.discard();
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
        (k, v) ->
            pairs.add(
                new byte[][] {
                  k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)
                }));
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

  private static byte[] aad(byte[] blob, int headerLength, Map<String, String> encryptionContext) {
    byte[] context = canonicalContext(encryptionContext);
    byte[] aad = new byte[AAD_LABEL.length + headerLength + context.length];
    System.arraycopy(AAD_LABEL, 0, aad, 0, AAD_LABEL.length);
    System.arraycopy(blob, 0, aad, AAD_LABEL.length, headerLength);
    System.arraycopy(context, 0, aad, AAD_LABEL.length + headerLength, context.length);
    return aad;
  }

  private static int checksum(byte[] blob, int length) {
    CRC32C crc = new CRC32C();
    crc.update(blob, 0, length);
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
