package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.internal.CborWriter;
import java.util.HexFormat;

/** Hex, sample data and hand-built CBOR requests shared by the NsmCodec tests. */
final class NsmCodecFixtures {
  static final HexFormat HEX = HexFormat.of();
  static final byte[] DATA = {1, 2, 3};

  private NsmCodecFixtures() {}

  static CborWriter op(String name) {
    return new CborWriter().map(1).text(name);
  }

  /** ExtendPCR{index, data} whose encoding is exactly {@code total} bytes. */
  static byte[] extendRequestOfSize(int total) {
    // a1 69"ExtendPCR" a2 65"index" 01 64"data" 59 LLLL <data>: 27 bytes of framing.
    byte[] request = NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(1, new byte[total - 27]));
    assertThat(request).hasSize(total);
    return request;
  }
}
