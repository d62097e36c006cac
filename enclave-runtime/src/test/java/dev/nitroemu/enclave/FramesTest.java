package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
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
    assertThat(Frames.readLength(new ByteArrayInputStream(new byte[] {0, 1, 0, 0})))
        .isEqualTo(65536);
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
    assertThatThrownBy(() -> Frames.skip(new ByteArrayInputStream(new byte[3]), 10))
        .isInstanceOf(EOFException.class);
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

  @Test
  void readReturnsConsecutiveFramesThenNullAtACleanEnd() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Frames.write(out, new byte[] {1, 2, 3});
    Frames.write(out, new byte[0]);
    InputStream in = new ByteArrayInputStream(out.toByteArray());
    assertThat(Frames.read(in, 16)).containsExactly(1, 2, 3);
    assertThat(Frames.read(in, 16)).isEmpty();
    assertThat(Frames.read(in, 16)).isNull();
  }

  @Test
  void oversizedDeclaredLengthIsRefusedBeforeReadingTheBody() {
    // Declares 4 GiB - 1 and carries nothing: a reader that allocated first would fail differently.
    InputStream in =
        new ByteArrayInputStream(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    assertThatThrownBy(() -> Frames.read(in, 1024))
        .isInstanceOfSatisfying(
            Frames.FrameTooLargeException.class,
            e -> assertThat(e.declaredLength()).isEqualTo(4294967295L))
        .hasMessage("frame of 4294967295 bytes exceeds the limit of 1024 bytes");
  }

  @Test
  void streamEndingInsideAFrameIsAnEofError() {
    InputStream truncatedBody = new ByteArrayInputStream(new byte[] {0, 0, 0, 5, 1, 2});
    assertThatThrownBy(() -> Frames.read(truncatedBody, 16))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("3 bytes before the end of a frame");
    InputStream truncatedHeader = new ByteArrayInputStream(new byte[] {0, 0});
    assertThatThrownBy(() -> Frames.read(truncatedHeader, 16)).isInstanceOf(EOFException.class);
  }
}
