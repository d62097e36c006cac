package dev.nitroemu.enclave;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.internal.Cbor;
import dev.nitroemu.enclave.internal.CborWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeSet;

/**
 * The CBOR wire format of {@code /dev/nsm}: requests and responses encoded byte for byte as the
 * Rust {@code aws-nitro-enclaves-nsm-api} crate (serde_cbor) encodes them.
 *
 * <p>Wire format: a unit variant is a bare text string ({@code "DescribeNSM"}); any other variant
 * is a one-entry map {@code {name: {field: value, ...}}} with fields in declaration order; an error
 * is {@code {"Error": "<ErrorCode>"}}. Decoding is lenient the way other clients need: field order
 * is free, absent or null optional fields are null, byte fields may arrive as text (QEMU), and keys
 * of unknown fields are ignored. Every decoding failure is an {@link NsmException} with {@link
 * ErrorCode#INVALID_OPERATION} (or {@link ErrorCode#INPUT_TOO_LARGE} for requests over 4096 bytes),
 * never another exception.
 */
public final class NsmCodec {
  private NsmCodec() {}

  /** Encodes a request as the nsm-api crate does. */
  public static byte[] encodeRequest(NsmRequest request) {
    CborWriter w = new CborWriter();
    if (request instanceof NsmRequest.DescribePcr r) {
      w.map(1).text(r.operation()).map(1).text("index").integer(r.index());
    } else if (request instanceof NsmRequest.ExtendPcr r) {
      w.map(1)
          .text(r.operation())
          .map(2)
          .text("index")
          .integer(r.index())
          .text("data")
          .bytes(r.data());
    } else if (request instanceof NsmRequest.LockPcr r) {
      w.map(1).text(r.operation()).map(1).text("index").integer(r.index());
    } else if (request instanceof NsmRequest.LockPcrs r) {
      w.map(1).text(r.operation()).map(1).text("range").integer(r.range());
    } else if (request instanceof NsmRequest.Attestation r) {
      w.map(1).text(r.operation()).map(3);
      w.text("user_data")
          .bytes(r.userData())
          .text("nonce")
          .bytes(r.nonce())
          .text("public_key")
          .bytes(r.publicKey());
    } else {
      // DescribeNSM and GetRandom are unit variants: a bare text string.
      w.text(request.operation());
    }
    return w.toByteArray();
  }

  /** Encodes a response as the nsm-api crate does (definite maps; unit variants as bare text). */
  public static byte[] encodeResponse(NsmResponse response) {
    CborWriter w = new CborWriter();
    if (response instanceof NsmResponse.DescribePcr r) {
      w.map(1).text(r.operation()).map(2).text("lock").bool(r.lock()).text("data").bytes(r.data());
    } else if (response instanceof NsmResponse.ExtendPcr r) {
      w.map(1).text(r.operation()).map(1).text("data").bytes(r.data());
    } else if (response instanceof NsmResponse.DescribeNsm r) {
      NsmDescription d = r.description();
      w.map(1).text(r.operation()).map(7);
      w.text("version_major").integer(d.versionMajor());
      w.text("version_minor").integer(d.versionMinor());
      w.text("version_patch").integer(d.versionPatch());
      w.text("module_id").text(d.moduleId());
      w.text("max_pcrs").integer(d.maxPcrs());
      w.text("locked_pcrs").array(d.lockedPcrs().size());
      d.lockedPcrs().forEach(w::integer);
      w.text("digest").text(d.digest().wireName());
    } else if (response instanceof NsmResponse.Attestation r) {
      w.map(1).text(r.operation()).map(1).text("document").bytes(r.document());
    } else if (response instanceof NsmResponse.GetRandom r) {
      w.map(1).text(r.operation()).map(1).text("random").bytes(r.random());
    } else if (response instanceof NsmResponse.Error r) {
      w.map(1).text(r.operation()).text(r.code().wireName());
    } else {
      // LockPCR and LockPCRs are unit variants: a bare text string.
      w.text(response.operation());
    }
    return w.toByteArray();
  }

  /**
   * Decodes a request from any of the clients in use (Rust nsm-api, Go hf/nsm, Python cbor2, QEMU's
   * accepted forms).
   *
   * @throws NsmException {@link ErrorCode#INPUT_TOO_LARGE} over 4096 bytes, else {@link
   *     ErrorCode#INVALID_OPERATION} for anything undecodable or unknown
   */
  public static NsmRequest decodeRequest(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      throw new NsmException(ErrorCode.INVALID_OPERATION, "empty request");
    }
    if (bytes.length > Nsm.MAX_REQUEST_SIZE) {
      throw new NsmException(
          ErrorCode.INPUT_TOO_LARGE, "request of " + bytes.length + " bytes exceeds 4096");
    }
    Variant v = variant(bytes);
    return switch (v.name) {
      case "DescribeNSM" -> new NsmRequest.DescribeNsm();
      case "GetRandom" -> new NsmRequest.GetRandom();
      case "DescribePCR" -> new NsmRequest.DescribePcr(u16(v.fields(), "index"));
      case "ExtendPCR" ->
          new NsmRequest.ExtendPcr(u16(v.fields(), "index"), requiredBytes(v.fields(), "data"));
      case "LockPCR" -> new NsmRequest.LockPcr(u16(v.fields(), "index"));
      case "LockPCRs" -> new NsmRequest.LockPcrs(u16(v.fields(), "range"));
      case "Attestation" -> {
        JsonNode f = v.body == null || v.body.isNull() ? null : v.fields();
        yield new NsmRequest.Attestation(
            optionalBytes(f, "user_data"),
            optionalBytes(f, "nonce"),
            optionalBytes(f, "public_key"));
      }
      default -> throw bad("unknown operation " + v.name);
    };
  }

  /**
   * Decodes a response as a client does.
   *
   * @throws NsmException {@link ErrorCode#INVALID_RESPONSE} for anything undecodable
   */
  public static NsmResponse decodeResponse(byte[] bytes) {
    if (bytes == null || bytes.length == 0 || bytes.length > Nsm.MAX_RESPONSE_SIZE) {
      throw new NsmException(ErrorCode.INVALID_RESPONSE, "response size out of range");
    }
    try {
      Variant v = variant(bytes);
      return switch (v.name) {
        case "LockPCR" -> new NsmResponse.LockPcr();
        case "LockPCRs" -> new NsmResponse.LockPcrs();
        case "DescribePCR" ->
            new NsmResponse.DescribePcr(
                bool(v.fields(), "lock"), requiredBytes(v.fields(), "data"));
        case "ExtendPCR" -> new NsmResponse.ExtendPcr(requiredBytes(v.fields(), "data"));
        case "Attestation" -> new NsmResponse.Attestation(requiredBytes(v.fields(), "document"));
        case "GetRandom" -> new NsmResponse.GetRandom(requiredBytes(v.fields(), "random"));
        case "DescribeNSM" -> new NsmResponse.DescribeNsm(description(v.fields()));
        case "Error" -> {
          if (v.body == null || !v.body.isTextual()) {
            throw bad("Error must carry an error code name");
          }
          yield new NsmResponse.Error(
              ErrorCode.fromWireName(v.body.textValue())
                  .orElseThrow(() -> bad("unknown error code")));
        }
        default -> throw bad("unknown response " + v.name);
      };
    } catch (NsmException e) {
      throw new NsmException(ErrorCode.INVALID_RESPONSE, e.getMessage(), e);
    }
  }

  private static NsmDescription description(JsonNode f) {
    JsonNode locked = f.get("locked_pcrs");
    if (locked == null || !locked.isArray()) {
      throw bad("locked_pcrs must be an array");
    }
    TreeSet<Integer> set = new TreeSet<>();
    for (JsonNode n : locked) {
      if (!n.isIntegralNumber()
          || !n.canConvertToInt()
          || n.intValue() < 0
          || n.intValue() > 0xFFFF) {
        throw bad("locked_pcrs entries must be unsigned 16-bit integers");
      }
      set.add(n.intValue());
    }
    Digest digest = Digest.fromWireName(text(f, "digest"));
    if (digest == null) {
      throw bad("unknown digest");
    }
    return new NsmDescription(
        u16(f, "version_major"),
        u16(f, "version_minor"),
        u16(f, "version_patch"),
        text(f, "module_id"),
        u16(f, "max_pcrs"),
        set,
        digest);
  }

  /** The operation name and its body: a bare text string, or a one-entry map. */
  private record Variant(String name, JsonNode body) {
    JsonNode fields() {
      if (body == null || !body.isObject()) {
        throw bad(name + " needs a map of fields");
      }
      return body;
    }
  }

  private static Variant variant(byte[] bytes) {
    JsonNode root;
    try {
      root = Cbor.read(bytes);
    } catch (IOException | RuntimeException e) {
      throw bad("not a CBOR item");
    }
    if (root.isTextual()) {
      return new Variant(root.textValue(), null);
    }
    if (root.isObject() && root.size() == 1) {
      Map.Entry<String, JsonNode> e = root.properties().iterator().next();
      return new Variant(e.getKey(), e.getValue());
    }
    throw bad("expected a text string or a one-entry map");
  }

  private static int u16(JsonNode fields, String key) {
    JsonNode n = fields.get(key);
    if (n == null
        || !n.isIntegralNumber()
        || !n.canConvertToInt()
        || n.intValue() < 0
        || n.intValue() > 0xFFFF) {
      throw bad(key + " must be an unsigned 16-bit integer");
    }
    return n.intValue();
  }

  private static boolean bool(JsonNode fields, String key) {
    JsonNode n = fields.get(key);
    if (n == null || !n.isBoolean()) {
      throw bad(key + " must be a boolean");
    }
    return n.booleanValue();
  }

  private static String text(JsonNode fields, String key) {
    JsonNode n = fields.get(key);
    if (n == null || !n.isTextual()) {
      throw bad(key + " must be text");
    }
    return n.textValue();
  }

  private static byte[] requiredBytes(JsonNode fields, String key) {
    byte[] b = optionalBytes(fields, key);
    if (b == null) {
      throw bad(key + " is required");
    }
    return b;
  }

  /** A byte string, or text taken as UTF-8 (QEMU accepts both), or null when absent/null. */
  private static byte[] optionalBytes(JsonNode fields, String key) {
    if (fields == null) {
      return null;
    }
    JsonNode n = fields.get(key);
    if (n == null || n.isNull()) {
      return null;
    }
    if (n.isBinary()) {
      try {
        return n.binaryValue();
      } catch (IOException e) {
        throw bad(key + " is unreadable");
      }
    }
    if (n.isTextual()) {
      return n.textValue().getBytes(StandardCharsets.UTF_8);
    }
    throw bad(key + " must be a byte string");
  }

  private static NsmException bad(String message) {
    return new NsmException(ErrorCode.INVALID_OPERATION, message);
  }
}
