package dev.nitroemu.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.AttestationException.Reason;
import dev.nitroemu.enclave.internal.Cbor;
import dev.nitroemu.enclave.internal.CborWriter;
import java.io.IOException;
import java.util.Arrays;

/**
 * An untagged COSE_Sign1 (RFC 9052) as the NSM emits it: {@code [protected, {}, payload,
 * signature]} with protected header {@code {1: -35}} (ES384) and a raw 96-byte {@code r || s}
 * signature.
 */
public final class CoseSign1 {
  /** The protected header bytes of every NSM document: map {1: -35}. */
  public static final byte[] ES384_PROTECTED = {(byte) 0xA1, 0x01, 0x38, 0x22};

  /** Length of a raw P-384 ECDSA signature. */
  public static final int SIGNATURE_LENGTH = 96;

  private final byte[] protectedHeader;
  private final byte[] payload;
  private final byte[] signature;

  public CoseSign1(byte[] protectedHeader, byte[] payload, byte[] signature) {
    this.protectedHeader = protectedHeader.clone();
    this.payload = payload.clone();
    this.signature = signature.clone();
  }

  public byte[] protectedHeader() {
    return protectedHeader.clone();
  }

  public byte[] payload() {
    return payload.clone();
  }

  public byte[] signature() {
    return signature.clone();
  }

  /** The bytes that are signed: {@code ["Signature1", protected, h'', payload]}. */
  public static byte[] sigStructure(byte[] protectedHeader, byte[] payload) {
    return new CborWriter(payload.length + 32)
        .array(4)
        .text("Signature1")
        .bytes(protectedHeader)
        .bytes(new byte[0])
        .bytes(payload)
        .toByteArray();
  }

  /** This envelope's signed bytes. */
  public byte[] sigStructure() {
    return sigStructure(protectedHeader, payload);
  }

  /** Encodes untagged: {@code 84 <protected> A0 <payload> <signature>}. */
  public byte[] encode() {
    return new CborWriter(payload.length + 128)
        .array(4)
        .bytes(protectedHeader)
        .map(0)
        .bytes(payload)
        .bytes(signature)
        .toByteArray();
  }

  /**
   * Decodes a COSE_Sign1, tagged (18) or untagged. Checks the shape and that the protected header
   * names ES384; the signature is only length-checked here.
   */
  public static CoseSign1 decode(byte[] bytes) {
    // Jackson skips tags silently, so check the outer one here: only a single tag 18 is COSE_Sign1.
    int first = bytes.length > 0 ? bytes[0] & 0xFF : 0;
    if ((first & 0xE0) == 0xC0
        && (first != 0xD2 || (bytes.length > 1 && (bytes[1] & 0xE0) == 0xC0))) {
      throw new AttestationException(
          Reason.MALFORMED_COSE, "a COSE_Sign1 may only carry CBOR tag 18");
    }
    JsonNode root;
    try {
      root = Cbor.read(bytes);
    } catch (IOException | RuntimeException e) {
      throw new AttestationException(
          Reason.MALFORMED_COSE, "not a CBOR item: " + e.getMessage(), e);
    }
    if (!root.isArray() || root.size() != 4) {
      throw new AttestationException(
          Reason.MALFORMED_COSE, "COSE_Sign1 must be an array of 4 elements");
    }
    JsonNode prot = root.get(0);
    JsonNode unprot = root.get(1);
    JsonNode payload = root.get(2);
    JsonNode sig = root.get(3);
    if (!prot.isBinary() || !unprot.isObject() || !payload.isBinary() || !sig.isBinary()) {
      throw new AttestationException(
          Reason.MALFORMED_COSE, "COSE_Sign1 elements must be bstr, map, bstr, bstr");
    }
    byte[] protectedHeader = binary(prot);
    checkProtectedHeader(protectedHeader);
    if (unprot.size() != 0) {
      throw new AttestationException(
          Reason.UNSUPPORTED_ALGORITHM, "unprotected header must be empty");
    }
    byte[] signature = binary(sig);
    if (signature.length != SIGNATURE_LENGTH) {
      throw new AttestationException(
          Reason.MALFORMED_COSE, "signature must be 96 bytes (r||s), got " + signature.length);
    }
    return new CoseSign1(protectedHeader, binary(payload), signature);
  }

  private static void checkProtectedHeader(byte[] header) {
    if (Arrays.equals(header, ES384_PROTECTED)) {
      return;
    }
    JsonNode map;
    try {
      map = Cbor.read(header);
    } catch (IOException | RuntimeException e) {
      throw new AttestationException(Reason.UNSUPPORTED_ALGORITHM, "protected header is not CBOR");
    }
    JsonNode alg = map.isObject() ? map.get("1") : null;
    if (map.size() != 1 || alg == null || !alg.isIntegralNumber() || alg.asLong() != -35) {
      throw new AttestationException(
          Reason.UNSUPPORTED_ALGORITHM, "protected header must be {1: -35} (ES384)");
    }
  }

  static byte[] binary(JsonNode node) {
    try {
      return node.binaryValue();
    } catch (IOException e) {
      throw new AttestationException(Reason.MALFORMED_COSE, "unreadable byte string");
    }
  }
}
