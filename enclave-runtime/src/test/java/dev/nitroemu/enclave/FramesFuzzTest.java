package dev.nitroemu.enclave;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Fuzzes the length-prefixed framing as a server reads it: a frame is read only when its length is
 * within the bound, anything else is an {@link IOException} (end of stream inside a frame).
 */
class FramesFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void readFrames(byte[] stream) {
    ByteArrayInputStream in = new ByteArrayInputStream(stream);
    try {
      for (long length; (length = Frames.readLength(in)) >= 0; ) {
        if (length > Frames.MAX_FRAME_SIZE) {
          Frames.skip(in, length);
        } else {
          Frames.readBody(in, (int) length);
        }
      }
    } catch (IOException expected) {
      // a truncated frame
    }
  }
}
