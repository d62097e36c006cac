package dev.nitroemu.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.AttestationException.Reason;
import dev.nitroemu.enclave.internal.Cbor;
import dev.nitroemu.enclave.internal.CborWriter;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The payload of an NSM attestation document: the nine fields, in the order and with the types real
 * hardware uses, and their exact CBOR encoding.
 *
 * <p>Byte arrays are copied in and out, so an instance is immutable.
 *
 * @param moduleId the module id, e.g. {@code i-0a22e5c5f24d22174-enc0191cceb4289903f}
 * @param digest the PCR digest name ({@code "SHA384"})
 * @param timestamp milliseconds since the Unix epoch
 * @param pcrs the locked PCRs by index, ascending
 * @param certificate the DER leaf certificate that signed the document
 * @param cabundle DER certificates from the root (first) to the issuer of the leaf (last)
 * @param publicKey the caller's public key, or null
 * @param userData the caller's user data, or null
 * @param nonce the caller's nonce, or null
 */
public record AttestationDocument(
    String moduleId,
    String digest,
    long timestamp,
    SortedMap<Integer, byte[]> pcrs,
    byte[] certificate,
    List<byte[]> cabundle,
    byte[] publicKey,
    byte[] userData,
    byte[] nonce) {

  /** Largest optional field (public_key, user_data, nonce) verifiers accept, in bytes. */
  public static final int MAX_OPTIONAL_FIELD = 1024;

  private static final int PAYLOAD_FIELDS = 9;

  public AttestationDocument {
    Objects.requireNonNull(moduleId, "moduleId");
    Objects.requireNonNull(digest, "digest");
    TreeMap<Integer, byte[]> pcrCopy = new TreeMap<>();
    Objects.requireNonNull(pcrs, "pcrs").forEach((k, v) -> pcrCopy.put(k, v.clone()));
    pcrs = Collections.unmodifiableSortedMap(pcrCopy);
    certificate = Objects.requireNonNull(certificate, "certificate").clone();
    List<byte[]> bundle = new ArrayList<>();
    Objects.requireNonNull(cabundle, "cabundle").forEach(c -> bundle.add(c.clone()));
    cabundle = Collections.unmodifiableList(bundle);
    publicKey = copy(publicKey);
    userData = copy(userData);
    nonce = copy(nonce);
  }

  @Override
  public SortedMap<Integer, byte[]> pcrs() {
    TreeMap<Integer, byte[]> copy = new TreeMap<>();
    pcrs.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  /** The value of one PCR, or null when the document does not carry it. */
  public byte[] pcr(int index) {
    byte[] value = pcrs.get(index);
    return value == null ? null : value.clone();
  }

  @Override
  public byte[] certificate() {
    return certificate.clone();
  }

  @Override
  public List<byte[]> cabundle() {
    List<byte[]> copy = new ArrayList<>(cabundle.size());
    cabundle.forEach(c -> copy.add(c.clone()));
    return copy;
  }

  @Override
  public byte[] publicKey() {
    return copy(publicKey);
  }

  @Override
  public byte[] userData() {
    return copy(userData);
  }

  @Override
  public byte[] nonce() {
    return copy(nonce);
  }

  /** The timestamp as an instant. */
  public Instant instant() {
    return Instant.ofEpochMilli(timestamp);
  }

  /**
   * Encodes the payload exactly as the NSM does: fixed key order, shortest heads, definite inner
   * containers, null for absent optionals, outer map definite ({@code A9}) or indefinite ({@code
   * BF..FF}).
   */
  public byte[] encodePayload(PayloadEncoding encoding) {
    int size = 512 + certificate.length + pcrs.size() * 52;
    for (byte[] c : cabundle) {
      size += c.length + 3;
    }
    CborWriter w = new CborWriter(size + length(publicKey) + length(userData) + length(nonce));
    if (encoding == PayloadEncoding.INDEFINITE) {
      w.indefiniteMap();
    } else {
      w.map(PAYLOAD_FIELDS);
    }
    w.text("module_id").text(moduleId);
    w.text("digest").text(digest);
    w.text("timestamp").integer(timestamp);
    w.text("pcrs").map(pcrs.size());
    pcrs.forEach((index, value) -> w.integer(index).bytes(value));
    w.text("certificate").bytes(certificate);
    w.text("cabundle").array(cabundle.size());
    cabundle.forEach(w::bytes);
    w.text("public_key").bytes(publicKey);
    w.text("user_data").bytes(userData);
    w.text("nonce").bytes(nonce);
    if (encoding == PayloadEncoding.INDEFINITE) {
      w.endIndefinite();
    }
    return w.toByteArray();
  }

  /** Which outer-map form an encoded payload uses, from its first byte. */
  public static PayloadEncoding encodingOf(byte[] payload) {
    return payload.length > 0 && (payload[0] & 0xFF) == 0xBF
        ? PayloadEncoding.INDEFINITE
        : PayloadEncoding.DEFINITE;
  }

  /**
   * Decodes a payload and checks each field's type and size as AWS's validation rules say.
   *
   * @throws AttestationException with {@link Reason#MALFORMED_PAYLOAD} or {@link
   *     Reason#INVALID_FIELD}
   */
  public static AttestationDocument decodePayload(byte[] payload) {
    JsonNode map;
    try {
      map = Cbor.read(payload);
    } catch (IOException | RuntimeException e) {
      throw new AttestationException(
          Reason.MALFORMED_PAYLOAD, "payload is not CBOR: " + e.getMessage(), e);
    }
    if (!map.isObject()) {
      throw new AttestationException(Reason.MALFORMED_PAYLOAD, "payload must be a CBOR map");
    }
    String moduleId = text(map, "module_id");
    if (moduleId.isEmpty()) {
      throw invalid("module_id must not be empty");
    }
    String digest = text(map, "digest");
    Digest algorithm = Digest.fromWireName(digest);
    if (algorithm != Digest.SHA384) {
      throw invalid("digest must be SHA384, got " + digest);
    }
    JsonNode ts = required(map, "timestamp");
    if (!ts.isIntegralNumber() || !ts.canConvertToLong() || ts.asLong() <= 0) {
      throw invalid("timestamp must be a positive integer");
    }
    SortedMap<Integer, byte[]> pcrs = decodePcrs(required(map, "pcrs"), algorithm);
    byte[] certificate = bytes(required(map, "certificate"), "certificate", 1, MAX_OPTIONAL_FIELD);
    JsonNode bundleNode = required(map, "cabundle");
    if (!bundleNode.isArray() || bundleNode.isEmpty()) {
      throw invalid("cabundle must be a non-empty array");
    }
    List<byte[]> cabundle = new ArrayList<>();
    for (JsonNode cert : bundleNode) {
      cabundle.add(bytes(cert, "cabundle entry", 1, MAX_OPTIONAL_FIELD));
    }
    return new AttestationDocument(
        moduleId,
        digest,
        ts.asLong(),
        pcrs,
        certificate,
        cabundle,
        optional(map, "public_key"),
        optional(map, "user_data"),
        optional(map, "nonce"));
  }

  private static SortedMap<Integer, byte[]> decodePcrs(JsonNode node, Digest digest) {
    if (!node.isObject() || node.isEmpty() || node.size() > Nsm.MAX_PCRS) {
      throw invalid("pcrs must be a map of 1..32 entries");
    }
    SortedMap<Integer, byte[]> pcrs = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : node.properties()) {
      int index;
      try {
        index = Integer.parseInt(e.getKey());
      } catch (NumberFormatException ex) {
        throw invalid("pcrs key must be an integer, got " + e.getKey());
      }
      if (!e.getKey().equals(Integer.toString(index))) {
        // Jackson turns keys into text, so "04" or "+4" would otherwise silently replace PCR 4.
        throw invalid("pcrs key must be a plain integer, got " + e.getKey());
      }
      if (index < 0 || index >= Nsm.MAX_PCRS) {
        throw invalid("pcrs key out of range: " + index);
      }
      pcrs.put(index, bytes(e.getValue(), "pcr " + index, digest.length(), digest.length()));
    }
    return pcrs;
  }

  private static JsonNode required(JsonNode map, String key) {
    JsonNode v = map.get(key);
    if (v == null || v.isNull()) {
      throw new AttestationException(Reason.MALFORMED_PAYLOAD, "payload lacks " + key);
    }
    return v;
  }

  private static String text(JsonNode map, String key) {
    JsonNode v = required(map, key);
    if (!v.isTextual()) {
      throw invalid(key + " must be text");
    }
    return v.textValue();
  }

  private static byte[] optional(JsonNode map, String key) {
    JsonNode v = map.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    return bytes(v, key, 0, MAX_OPTIONAL_FIELD);
  }

  private static byte[] bytes(JsonNode v, String what, int min, int max) {
    if (!v.isBinary()) {
      throw invalid(what + " must be a byte string");
    }
    byte[] b;
    try {
      b = v.binaryValue();
    } catch (IOException e) {
      throw invalid(what + " is unreadable");
    }
    if (b.length < min || b.length > max) {
      throw invalid(
          what + " must be " + (min == max ? min : min + ".." + max) + " bytes, got " + b.length);
    }
    return b;
  }

  private static AttestationException invalid(String message) {
    return new AttestationException(Reason.INVALID_FIELD, message);
  }

  private static byte[] copy(byte[] b) {
    return b == null ? null : b.clone();
  }

  private static int length(byte[] b) {
    return b == null ? 1 : b.length + 3;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof AttestationDocument d)) {
      return false;
    }
    return java.util.Arrays.equals(
        encodePayload(PayloadEncoding.DEFINITE), d.encodePayload(PayloadEncoding.DEFINITE));
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(encodePayload(PayloadEncoding.DEFINITE));
  }

  @Override
  public String toString() {
    HexFormat hex = HexFormat.of();
    StringBuilder sb = new StringBuilder("AttestationDocument[moduleId=").append(moduleId);
    sb.append(", timestamp=").append(instant()).append(", pcrs={");
    pcrs.forEach((k, v) -> sb.append(k).append('=').append(hex.formatHex(v, 0, 6)).append("..., "));
    sb.append("}, cabundle=").append(cabundle.size()).append(" certs");
    sb.append(", publicKey=").append(publicKey == null ? "null" : publicKey.length + " bytes");
    sb.append(", userData=").append(userData == null ? "null" : userData.length + " bytes");
    sb.append(", nonce=").append(nonce == null ? "null" : nonce.length + " bytes").append(']');
    return sb.toString();
  }
}
