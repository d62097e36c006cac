package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.NsmCodecFixtures.DATA;
import static dev.nitroemu.enclave.NsmCodecFixtures.HEX;
import static dev.nitroemu.enclave.NsmCodecFixtures.extendRequestOfSize;
import static dev.nitroemu.enclave.NsmCodecFixtures.op;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** NsmCodec: the request encoding and the lenient decoding real clients need. */
class NsmCodecTest {
  @Nested
  class Encoding {
    @Test
    void indexUsesTheShortestHeadAtEveryWidth() {
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(23))))
          .endsWith("696e64657817");
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(24))))
          .endsWith("696e6465781818");
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.DescribePcr(256))))
          .endsWith("696e646578190100");
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.LockPcrs(65535))))
          .endsWith("72616e676519ffff");
    }

    @Test
    void emptyDataIsAnEmptyByteStringNotNull() {
      assertThat(HEX.formatHex(NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(0, new byte[0]))))
          .isEqualTo("a169457874656e64504352a265696e646578006464617461" + "40");
    }

    @Test
    void getRandomResponseStartsWithThePrefixTheLinuxHwrngInsistsOn() {
      byte[] encoded = NsmCodec.encodeResponse(new NsmResponse.GetRandom(new byte[256]));

      // drivers/misc/nsm.c: A1 69 "GetRandom" A1 66 "random" then a byte string (59 0100 for 256
      // bytes).
      assertThat(HEX.formatHex(encoded))
          .startsWith("a1" + "69" + hexOf("GetRandom") + "a1" + "66" + hexOf("random") + "590100");
      assertThat(encoded).hasSize(1 + 10 + 1 + 7 + 3 + 256);
    }

    @Test
    void describeNsmListsLockedPcrsAscending() {
      NsmDescription d =
          new NsmDescription(1, 0, 0, "i-x", 32, new TreeSet<>(List.of(15, 3, 0)), Digest.SHA384);

      assertThat(HEX.formatHex(NsmCodec.encodeResponse(new NsmResponse.DescribeNsm(d))))
          .contains(hexOf("locked_pcrs") + "8300030f");
    }
  }

  @Nested
  class LenientDecoding {
    @Test
    void goClientNullByteSlicesDecodeAsAbsentAttestationFields() {
      // hf/nsm: nil []byte fields marshal as null.
      byte[] request =
          op("Attestation")
              .map(3)
              .text("user_data")
              .nul()
              .text("nonce")
              .bytes(DATA)
              .text("public_key")
              .nul()
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(null, DATA, null));
    }

    @Test
    void pythonCbor2NoneValuesDecodeAsNull() {
      // aws-nsm-interface: {'Attestation': {'user_data': b'..', 'nonce': None, 'public_key': None}}
      byte[] request =
          op("Attestation")
              .map(3)
              .text("user_data")
              .bytes(DATA)
              .text("nonce")
              .nul()
              .text("public_key")
              .nul()
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(DATA, null, null));
    }

    @Test
    void attestationKeysInAnotherOrderDecodeTheSame() {
      byte[] request =
          op("Attestation")
              .map(3)
              .text("nonce")
              .bytes(new byte[] {9})
              .text("public_key")
              .bytes(new byte[] {7})
              .text("user_data")
              .bytes(DATA)
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(DATA, new byte[] {9}, new byte[] {7}));
    }

    @Test
    void extendPcrFieldsInAnotherOrderDecodeTheSame() {
      byte[] request =
          op("ExtendPCR").map(2).text("data").bytes(DATA).text("index").integer(17).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.ExtendPcr(17, DATA));
    }

    @Test
    void qemuStyleTextDataIsTakenAsUtf8Bytes() {
      byte[] request =
          op("ExtendPCR").map(2).text("index").integer(16).text("data").text("abc").toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.ExtendPcr(16, "abc".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void qemuStyleTextAttestationFieldsAreTakenAsUtf8Bytes() {
      byte[] request =
          op("Attestation")
              .map(2)
              .text("user_data")
              .text("hello")
              .text("nonce")
              .text("n")
              .toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(
              new NsmRequest.Attestation(
                  "hello".getBytes(StandardCharsets.UTF_8), new byte[] {'n'}, null));
    }

    @Test
    void missingAttestationKeysCountAsNull() {
      byte[] request = op("Attestation").map(1).text("public_key").bytes(DATA).toByteArray();

      assertThat(NsmCodec.decodeRequest(request))
          .isEqualTo(new NsmRequest.Attestation(null, null, DATA));
    }

    @Test
    void emptyAttestationMapIsAnAttestationWithNoFields() {
      assertThat(NsmCodec.decodeRequest(op("Attestation").map(0).toByteArray()))
          .isEqualTo(new NsmRequest.Attestation(null, null, null));
    }

    @Test
    void unknownFieldsAreIgnoredAsSerdeDoes() {
      byte[] request =
          op("DescribePCR").map(2).text("index").integer(3).text("extra").bytes(DATA).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.DescribePcr(3));
    }

    @Test
    void nonShortestIntegerHeadsAreAccepted() {
      byte[] request =
          op("DescribePCR").map(1).text("index").raw(HEX.parseHex("1a00000003")).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.DescribePcr(3));
    }

    @Test
    void largestU16IndexDecodes() {
      byte[] request = op("LockPCR").map(1).text("index").integer(65535).toByteArray();

      assertThat(NsmCodec.decodeRequest(request)).isEqualTo(new NsmRequest.LockPcr(65535));
    }

    @Test
    void requestOfExactly4096BytesIsAccepted() {
      NsmRequest decoded = NsmCodec.decodeRequest(extendRequestOfSize(4096));

      assertThat(decoded).isEqualTo(new NsmRequest.ExtendPcr(1, new byte[4096 - 27]));
    }

    @Test
    void describeNsmResponseInQemuKeyOrderDecodes() {
      // QEMU emits digest, max_pcrs, module_id, locked_pcrs, version_major/minor/patch.
      byte[] response =
          op("DescribeNSM")
              .map(7)
              .text("digest")
              .text("SHA384")
              .text("max_pcrs")
              .integer(32)
              .text("module_id")
              .text("i-abc")
              .text("locked_pcrs")
              .array(2)
              .integer(0)
              .integer(1)
              .text("version_major")
              .integer(1)
              .text("version_minor")
              .integer(2)
              .text("version_patch")
              .integer(3)
              .toByteArray();

      NsmDescription expected =
          new NsmDescription(1, 2, 3, "i-abc", 32, new TreeSet<>(List.of(0, 1)), Digest.SHA384);
      assertThat(NsmCodec.decodeResponse(response))
          .isEqualTo(new NsmResponse.DescribeNsm(expected));
    }
  }

  private static String hexOf(String text) {
    return HEX.formatHex(text.getBytes(StandardCharsets.UTF_8));
  }
}
