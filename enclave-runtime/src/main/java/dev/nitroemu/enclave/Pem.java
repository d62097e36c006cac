package dev.nitroemu.enclave;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Minimal PEM (RFC 7468) encoding and decoding of one labelled DER block. */
public final class Pem {
  /** Label of an X.509 certificate block. */
  public static final String CERTIFICATE = "CERTIFICATE";

  /** Label of a PKCS#8 private key block. */
  public static final String PRIVATE_KEY = "PRIVATE KEY";

  private Pem() {}

  /** Encodes DER bytes as PEM with 64-character lines and a trailing newline. */
  public static String encode(String label, byte[] der) {
    String body =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }

  /**
   * Decodes the first block with the given label.
   *
   * @throws IllegalArgumentException when there is no such block or its body is not base64
   */
  public static byte[] decode(String text, String label) {
    String begin = "-----BEGIN " + label + "-----";
    String end = "-----END " + label + "-----";
    int start = text.indexOf(begin);
    if (start < 0) {
      throw new IllegalArgumentException("no PEM block '" + label + "' found");
    }
    int stop = text.indexOf(end, start + begin.length());
    if (stop < 0) {
      throw new IllegalArgumentException("PEM block '" + label + "' has no END line");
    }
    String body = text.substring(start + begin.length(), stop).replaceAll("\\s+", "");
    byte[] der;
    try {
      der = Base64.getDecoder().decode(body);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("PEM block '" + label + "' is not valid base64", e);
    }
    if (der.length == 0) {
      throw new IllegalArgumentException("PEM block '" + label + "' is empty");
    }
    return der;
  }
}
