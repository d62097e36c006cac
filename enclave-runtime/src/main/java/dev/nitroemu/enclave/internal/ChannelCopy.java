package dev.nitroemu.enclave.internal;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Objects;

/**
 * One direction of a pump join copied channel to channel through a direct buffer: the kernel reads
 * into and writes from that native memory, so no byte is copied in user space (a heap {@code
 * byte[]} over socket streams costs a copy through a temporary native buffer on every read and
 * every write).
 */
public final class ChannelCopy {

  private ChannelCopy() {}

  /** What one direction reports to its join, and asks it. */
  public interface Activity {
    /** A read returned bytes. */
    void moved();

    /**
     * Whether the whole join has been silent for its idle timeout (asked after a timed-out read).
     */
    boolean idle();
  }

  /**
   * Copies {@code from} to {@code to} until end of stream, then returns (the caller half-closes).
   * Both channels must block: a read waits for at least one byte, a write for room. A read that
   * times out (a channel that honours its connection's read timeout) is retried unless {@code
   * activity} says the join is idle.
   *
   * @param buffer a direct buffer, used whole; its contents are overwritten
   * @throws IOException on an error either side, or a timed-out read of an idle join
   */
  public static void copy(
      ReadableByteChannel from, WritableByteChannel to, ByteBuffer buffer, Activity activity)
      throws IOException {
    Objects.requireNonNull(activity, "activity");
    buffer.clear();
    while (true) {
      int n;
      try {
        n = from.read(buffer);
      } catch (SocketTimeoutException silent) {
        if (activity.idle()) {
          throw silent;
        }
        continue; // The other direction moved bytes meanwhile: the join is not idle.
      }
      if (n < 0) {
        return;
      }
      if (n == 0) {
        continue; // Not expected of a blocking channel; nothing to write.
      }
      activity.moved();
      buffer.flip();
      while (buffer.hasRemaining()) {
        to.write(buffer); // A blocking write may still write only part (e.g. when interrupted).
      }
      buffer.clear();
    }
  }
}
