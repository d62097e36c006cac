package dev.nitroemu.enclavetests.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameIoTest {

  @Test
  void framesCarryABigEndianLengthPrefix() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FrameIo.write(out, "hi".getBytes(StandardCharsets.US_ASCII));
    assertThat(out.toByteArray()).containsExactly(0, 0, 0, 2, 0x68, 0x69);
  }

  @Test
  void readReturnsConsecutiveFramesThenNullAtACleanEnd() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FrameIo.write(out, new byte[] {1, 2, 3});
    FrameIo.write(out, new byte[0]);
    InputStream in = new ByteArrayInputStream(out.toByteArray());
    assertThat(FrameIo.read(in, 16)).containsExactly(1, 2, 3);
    assertThat(FrameIo.read(in, 16)).isEmpty();
    assertThat(FrameIo.read(in, 16)).isNull();
  }

  @Test
  void oversizedDeclaredLengthIsRefusedBeforeReadingTheBody() {
    // Declares 4 GiB - 1 and carries nothing: a reader that allocated first would fail differently.
    InputStream in = new ByteArrayInputStream(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF});
    assertThatThrownBy(() -> FrameIo.read(in, 1024))
        .isInstanceOf(FrameIo.FrameTooLargeException.class)
        .hasMessage("frame of 4294967295 bytes exceeds the limit of 1024 bytes");
  }

  @Test
  void streamEndingInsideAFrameIsAnEofError() {
    InputStream truncatedBody = new ByteArrayInputStream(new byte[] {0, 0, 0, 5, 1, 2});
    assertThatThrownBy(() -> FrameIo.read(truncatedBody, 16))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("3 bytes before the end of a frame");
    InputStream truncatedHeader = new ByteArrayInputStream(new byte[] {0, 0});
    assertThatThrownBy(() -> FrameIo.read(truncatedHeader, 16)).isInstanceOf(EOFException.class);
  }
}
