package dev.nitroemu.enclave.internal;

import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Direct buffers of one size, reused across pump joins so a connection does not allocate native
 * memory each time; at most {@code maxPooled} idle buffers are kept, more are left to the garbage
 * collector.
 */
public final class DirectBufferPool {

  private final int bufferSize;
  private final ArrayBlockingQueue<ByteBuffer> idle;

  /**
   * A pool of {@code bufferSize}-byte direct buffers keeping at most {@code maxPooled} of them.
   *
   * @param bufferSize bytes per buffer, positive
   * @param maxPooled idle buffers kept, positive
   */
  public DirectBufferPool(int bufferSize, int maxPooled) {
    if (bufferSize < 1 || maxPooled < 1) {
      throw new IllegalArgumentException(
          "buffer size and pool size must be positive, were " + bufferSize + ", " + maxPooled);
    }
    this.bufferSize = bufferSize;
    this.idle = new ArrayBlockingQueue<>(maxPooled);
  }

  /** A cleared buffer: an idle one, or a new one when none is idle. */
  public ByteBuffer take() {
    ByteBuffer buffer = idle.poll();
    return buffer != null ? buffer : ByteBuffer.allocateDirect(bufferSize);
  }

  /**
   * Hands {@code buffer} back for reuse (dropped if the pool is full); the caller must not touch it
   * again. Null is ignored.
   */
  public void give(ByteBuffer buffer) {
    if (buffer != null) {
      buffer.clear();
      idle.offer(buffer);
    }
  }

  /** Idle buffers held right now. */
  public int idleBuffers() {
    return idle.size();
  }
}
