package dev.nitroemu.enclave;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The five real AWS attestation documents in test-vectors/real-attestation, with facts from its
 * README.
 */
enum RealVector {
  BLOCKY(
      "blocky-nitrite_nitro_attestation_2024-09-07.b64",
      "i-0a22e5c5f24d22174-enc0191cceb4289903f",
      1725719859545L,
      PayloadEncoding.DEFINITE,
      "0191cceb4289903f0000000066dc6533",
      "e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a",
      "45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44"),
  BLOCKY_DEBUG(
      "blocky-nitrite_nitro_attestation_debug_2024-09-07.b64",
      "i-0a22e5c5f24d22174-enc0191ccebaf8feaba",
      1725719886508L,
      PayloadEncoding.DEFINITE,
      "0191ccebaf8feaba0000000066dc654e",
      null,
      "45706d7b621e4620a332e147a5ddb000b049f73d47d3e61f6b03d2069152d4df6a4a786ad1c10102b955799a9dc96b44"),
  SUI(
      "sui_nitro_attestation_2024-11-14.hex",
      "i-0f73a4b4cb74cc9f2-enc0192e4188fef781d",
      1731627989450L,
      PayloadEncoding.DEFINITE,
      "0192e4188fef781d0000000067366a8d",
      null,
      "9ab5a1aba055ee41ee254b9b251a58259b29fa1096859762744e9ac73b5869b25e51223854d9f86adbb37fe69f3e5d1c"),
  TEMPO(
      "tempo_aws_attestation_2026-01-03.b64",
      "i-0368fa67e156d6d23-enc019b8596b1a9dad6",
      1767472867402L,
      PayloadEncoding.INDEFINITE,
      "019b8596b1a9dad60000000069597ebc",
      "4b8d4cf2a99e05ce1b5bddaf9d21cb446eb0e606c5bebd1ebf02b473a22165f7b68b0bb0d1ac5a90f0311e493522cfab",
      "245617239e18ae8eb5150c2be45200db1e6b1e483d94c81d8386171eaad6cf641a1c90f1571f185426c82f77783feb37"),
  UID2(
      "uid2-core_attestation_2021-04-26.b64",
      "i-0fd25f30661854f2b-enc01790c5d9eab829d",
      1619410153100L,
      PayloadEncoding.DEFINITE,
      "01790c5d9eab829d0000000060863ce9",
      null,
      "abf3ca5026b60f4d641ec3788d19cdd70849dc49a7a01709818c56866ba786f663341eb3b1abc6960531527c416bed71");

  final String file;
  final String moduleId;
  final long timestampMillis;
  final PayloadEncoding encoding;
  final String leafSerialHex;

  /** PCR0 in hex; null for debug-mode documents, whose PCR0 is all zero. */
  final String pcr0Hex;

  final String pcr4Hex;

  RealVector(
      String file,
      String moduleId,
      long timestampMillis,
      PayloadEncoding encoding,
      String leafSerialHex,
      String pcr0Hex,
      String pcr4Hex) {
    this.file = file;
    this.moduleId = moduleId;
    this.timestampMillis = timestampMillis;
    this.encoding = encoding;
    this.leafSerialHex = leafSerialHex;
    this.pcr0Hex = pcr0Hex;
    this.pcr4Hex = pcr4Hex;
  }

  static Path directory() {
    return Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"), "real-attestation");
  }

  boolean debug() {
    return pcr0Hex == null;
  }

  Instant timestamp() {
    return Instant.ofEpochMilli(timestampMillis);
  }

  /** The raw document bytes, decoded from the file's base64 or hex. */
  byte[] bytes() {
    try {
      return AttestationVerifier.readDocument(directory().resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  CoseSign1 cose() {
    return CoseSign1.decode(bytes());
  }

  byte[] payload() {
    return cose().payload();
  }

  AttestationDocument document() {
    return AttestationDocument.decodePayload(payload());
  }

  static byte[] hex(String hex) {
    return HexFormat.of().parseHex(hex);
  }
}
