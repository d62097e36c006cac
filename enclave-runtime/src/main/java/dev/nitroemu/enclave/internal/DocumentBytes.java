package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationException.Reason;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Turns the contents of a document file into the document's bytes: raw CBOR is kept, base64
 * (standard or URL-safe, wrapped or not) and hex (either case, whitespace allowed) are decoded.
 */
public final class DocumentBytes {
  /**
   * Largest file content accepted, in bytes: hex of the largest possible document with generous
   * whitespace still fits.
   */
  public static final int MAX_CONTENT_SIZE = 64 * 1024;

  private DocumentBytes() {}

  /**
   * Decodes file contents into document bytes.
   *
   * @throws AttestationException {@link Reason#TOO_LARGE} over {@link #MAX_CONTENT_SIZE} bytes,
   *     {@link Reason#MALFORMED_COSE} if the contents are empty or neither raw, base64 nor hex
   */
  public static byte[] decode(byte[] contents) {
    if (contents.length > MAX_CONTENT_SIZE) {
      throw new AttestationException(
          Reason.TOO_LARGE,
          "document file has " + contents.length + " bytes, limit " + MAX_CONTENT_SIZE);
    }
    if (contents.length > 0 && isRawStart(contents[0])) {
      return contents.clone();
    }
    String text = withoutWhitespace(contents);
    if (text.isEmpty()) {
      throw new AttestationException(Reason.MALFORMED_COSE, "document file is empty");
    }
    if (text.length() % 2 == 0 && isHex(text)) {
      byte[] bytes = HexFormat.of().parseHex(text);
      if (isRawStart(bytes[0])) {
        return bytes;
      }
    }
    try {
      boolean urlSafe = text.indexOf('-') >= 0 || text.indexOf('_') >= 0;
      byte[] bytes = (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(text);
      if (bytes.length > 0) {
        return bytes;
      }
    } catch (IllegalArgumentException e) {
      throw new AttestationException(
          Reason.MALFORMED_COSE, "document file is neither CBOR, base64 nor hex", e);
    }
    throw new AttestationException(Reason.MALFORMED_COSE, "document file decodes to nothing");
  }

  /** A COSE_Sign1 starts with array(4) ({@code 0x84}) or tag 18 ({@code 0xD2}). */
  private static boolean isRawStart(byte first) {
    int b = first & 0xFF;
    return b == 0x84 || b == 0xD2;
  }

  private static String withoutWhitespace(byte[] contents) {
    StringBuilder sb = new StringBuilder(contents.length);
    for (byte b : contents) {
      int c = b & 0xFF;
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  private static boolean isHex(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
        return false;
      }
    }
    return true;
  }
}
