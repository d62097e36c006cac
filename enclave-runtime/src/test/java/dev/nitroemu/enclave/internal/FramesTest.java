package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Frames;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import org.junit.jupiter.api.Test;

class FramesTest {

  @Test
  void framesCarryABigEndianLengthPrefix() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Frames.write(out, new byte[] {'h', 'i'});
    assertThat(out.toByteArray()).containsExactly(0, 0, 0, 2, 'h', 'i');
  }

  @Test
  void readsLengthsAsUnsigned() throws Exception {
    byte[] allOnes = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    assertThat(Frames.readLength(new ByteArrayInputStream(allOnes))).isEqualTo(4294967295L);
    assertThat(Frames.readLength(new ByteArrayInputStream(new byte[] {0, 1, 0, 0}))).isEqualTo(65536);
  }

  @Test
  void cleanEndBeforeAFrameIsMinusOneButAPartialHeaderIsAnError() throws Exception {
    assertThat(Frames.readLength(new ByteArrayInputStream(new byte[0]))).isEqualTo(-1);
    assertThatThrownBy(() -> Frames.readLength(new ByteArrayInputStream(new byte[] {0, 0})))
        .isInstanceOf(EOFException.class);
  }

  @Test
  void truncatedBodiesAreErrors() {
    assertThatThrownBy(() -> Frames.readBody(new ByteArrayInputStream(new byte[3]), 4))
        .isInstanceOf(EOFException.class);
    assertThatThrownBy(() -> Frames.skip(new ByteArrayInputStream(new byte[3]), 10)).isInstanceOf(EOFException.class);
  }

  @Test
  void writeThenReadRoundTrips() throws Exception {
    byte[] payload = new byte[70_000];
    payload[69_999] = 9;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Frames.write(out, payload);
    ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
    assertThat(Frames.readBody(in, (int) Frames.readLength(in))).isEqualTo(payload);
  }
}
