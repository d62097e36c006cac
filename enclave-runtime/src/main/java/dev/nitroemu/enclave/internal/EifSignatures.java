package dev.nitroemu.enclave.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.EifException;
import dev.nitroemu.enclave.EifException.Reason;
import java.io.IOException;

/**
 * The EIF signature section's encoding: serde_cbor of {@code Vec<PcrSignature>}, an array of maps
 * {@code {"signing_certificate": PEM, "signature": COSE_Sign1}} whose byte fields are CBOR arrays
 * of unsigned integers (Rust {@code Vec<u8>} without serde_bytes), and the signed payload {@code
 * {"register_index": 0, "register_value": [48 uints of PCR0]}}.
 */
public final class EifSignatures {

  /** The two byte fields of the first {@code PcrSignature}. */
  public record Entry(byte[] certificatePem, byte[] coseSign1) {}

  private EifSignatures() {}

  /** Decodes a signature section (AWS's reader uses the first entry). */
  public static Entry decode(byte[] section) throws EifException {
    JsonNode root;
    try {
      root = Cbor.read(section);
    } catch (IOException | RuntimeException e) {
      throw new EifException(
          Reason.BAD_SIGNATURE, "bad signature: the signature section is not CBOR");
    }
    if (!root.isArray() || root.isEmpty() || !root.get(0).isObject()) {
      throw new EifException(
          Reason.BAD_SIGNATURE,
          "bad signature: the signature section is not an array of PcrSignature maps");
    }
    JsonNode first = root.get(0);
    if (first.size() != 2) {
      throw new EifException(
          Reason.BAD_SIGNATURE, "bad signature: a PcrSignature has exactly two fields");
    }
    return new Entry(
        uints(first.get("signing_certificate"), "signing_certificate"),
        uints(first.get("signature"), "signature"));
  }

  /** Encodes one {@code PcrSignature} as AWS's builder does. */
  public static byte[] encode(byte[] certificatePem, byte[] coseSign1) {
    CborWriter out =
        new CborWriter(2 * (certificatePem.length + coseSign1.length) + 64)
            .array(1)
            .map(2)
            .text("signing_certificate");
    uints(out, certificatePem);
    out.text("signature");
    uints(out, coseSign1);
    return out.toByteArray();
  }

  /**
   * The payload signed over PCR0: serde_cbor of {@code PcrInfo {register_index: 0,
   * register_value}}.
   */
  public static byte[] pcr0Payload(byte[] pcr0) {
    CborWriter out =
        new CborWriter(160).map(2).text("register_index").integer(0).text("register_value");
    uints(out, pcr0);
    return out.toByteArray();
  }

  private static void uints(CborWriter out, byte[] bytes) {
    out.array(bytes.length);
    for (byte b : bytes) {
      out.integer(b & 0xFF);
    }
  }

  private static byte[] uints(JsonNode node, String field) throws EifException {
    if (node == null || !node.isArray()) {
      throw new EifException(
          Reason.BAD_SIGNATURE, "bad signature: " + field + " is missing or not an array of bytes");
    }
    byte[] bytes = new byte[node.size()];
    for (int i = 0; i < bytes.length; i++) {
      JsonNode value = node.get(i);
      if (!value.canConvertToInt()
          || !value.isIntegralNumber()
          || value.intValue() < 0
          || value.intValue() > 255) {
        throw new EifException(
            Reason.BAD_SIGNATURE, "bad signature: " + field + " holds a value that is not a byte");
      }
      bytes[i] = (byte) value.intValue();
    }
    return bytes;
  }
}
