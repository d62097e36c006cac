package dev.nitroemu.enclave.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.sun.jna.Pointer;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NsmRawMessageTest {
  private final NsmRawMessage message = new NsmRawMessage();

  @AfterEach
  void free() {
    message.close();
  }

  private ByteBuffer struct() {
    return ByteBuffer.wrap(message.structBytes()).order(ByteOrder.nativeOrder());
  }

  @Test
  void structIsLittleEndianU64sAtOffsets0To24() {
    assumeThat(ByteOrder.nativeOrder())
        .as("Nitro hosts are little-endian")
        .isEqualTo(ByteOrder.LITTLE_ENDIAN);
    message.prepare(new byte[] {1, 2, 3});

    byte[] raw = message.structBytes();

    assertThat(raw).hasSize(32);
    ByteBuffer le = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(le.getLong(8)).isEqualTo(3);
    assertThat(le.getLong(24)).isEqualTo(12288);
    // Least significant byte first: 12288 = 0x3000.
    assertThat(raw[24]).isEqualTo((byte) 0x00);
    assertThat(raw[25]).isEqualTo((byte) 0x30);
    assertThat(le.getLong(0)).isNotZero();
    assertThat(le.getLong(16)).isNotZero();
  }

  @Test
  void requestIovecPointsAtACopyOfTheRequest() {
    byte[] request = {(byte) 0x69, 'G', 'e', 't'};
    message.prepare(request);

    ByteBuffer s = struct();
    byte[] seen = new Pointer(s.getLong(0)).getByteArray(0, (int) s.getLong(8));

    assertThat(seen).isEqualTo(request);
  }

  @Test
  void responseIovecOffersTheFull12288ByteBufferSeparateFromTheRequest() {
    message.prepare(new byte[4096]);

    ByteBuffer s = struct();
    long requestAddr = s.getLong(0);
    long responseAddr = s.getLong(16);

    assertThat(s.getLong(24)).isEqualTo(12288);
    assertThat(responseAddr >= requestAddr + 4096 || responseAddr + 12288 <= requestAddr).isTrue();
  }

  @Test
  void responseReadsExactlyTheLengthTheDriverSet() {
    message.prepare(new byte[] {1});
    ByteBuffer s = struct();
    new Pointer(s.getLong(16)).write(0, new byte[] {9, 8, 7, 6, 5}, 0, 5);
    message.pointer().setLong(24, 3);

    assertThat(message.response()).containsExactly(9, 8, 7);
  }

  @Test
  void zeroLengthResponseIsEmpty() {
    message.prepare(new byte[] {1});
    message.pointer().setLong(24, 0);

    assertThat(message.response()).isEmpty();
  }

  @Test
  void responseLengthBeyondTheBufferIsInternalError() {
    message.prepare(new byte[] {1});
    message.pointer().setLong(24, 12289);
    assertThatThrownBy(message::response)
        .isInstanceOfSatisfying(
            NsmException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR))
        .hasMessageContaining("12289");

    message.pointer().setLong(24, -1);
    assertThatThrownBy(message::response)
        .isInstanceOfSatisfying(
            NsmException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR))
        .hasMessageContaining("18446744073709551615");
  }

  @Test
  void requestOver4096BytesIsRejectedBeforeTouchingNativeMemory() {
    message.prepare(new byte[] {1, 2});
    byte[] before = message.structBytes();

    assertThatThrownBy(() -> message.prepare(new byte[4097]))
        .isInstanceOfSatisfying(
            NsmException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INPUT_TOO_LARGE));
    assertThat(message.structBytes()).isEqualTo(before);
  }

  @Test
  void wipeZeroesStructAndBuffers() {
    message.prepare(new byte[] {7, 7, 7});
    ByteBuffer s = struct();
    Pointer request = new Pointer(s.getLong(0));

    message.wipe();

    assertThat(message.structBytes()).containsOnly(0);
    assertThat(request.getByteArray(0, 3)).containsOnly(0);
  }
}
