package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.ChannelCopy;
import dev.nitroemu.enclave.internal.DaemonThreads;
import dev.nitroemu.enclave.internal.DirectBufferPool;
import dev.nitroemu.enclave.internal.IdleWatchdog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one two-way byte pump, joining two stream connections (the vsock-proxy's vsock client and TCP
 * upstream, the CONNECT bridge's TCP client and vsock upstream) until both directions have ended.
 *
 * <p>When both connections offer a {@link StreamConnection#channel()} (TCP and hybrid vsock sockets
 * without fault injection), each direction copies channel to channel through a direct buffer of
 * {@code bufferSize} bytes, taken from a small pool, so no byte is copied in user space; otherwise
 * each direction copies between the streams through its own {@code byte[]}. End of stream one way
 * becomes a half-close ({@link StreamConnection#shutdownOutput()}) of the other side, so protocols
 * that shut down their sending side still get their answer; once both directions have ended both
 * connections are closed. An error either way, or no byte either way for the idle timeout (a
 * direction that is silent while the other moves bytes keeps waiting), closes both at once; channel
 * joins, whose reads do not time out, are watched for that by one timer thread. One direction runs
 * on the caller's thread, the other on one of at most {@code maxJoins} pump threads.
 */
public final class StreamPump implements AutoCloseable {

  /** Default size of each of the two per-join copy buffers: 64 KiB. */
  public static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

  /** Largest buffer size accepted: 16 MiB. */
  public static final int MAX_BUFFER_SIZE = 16 << 20;

  /** Native memory the pool of idle direct buffers may keep, beyond its minimum of two buffers. */
  static final int MAX_POOLED_BYTES = 4 << 20;

  private final int bufferSize;
  private final Duration idleTimeout;
  private final ThreadPoolExecutor threads;
  private final DirectBufferPool buffers;
  private final IdleWatchdog watchdog;
  private final AtomicLong channelJoins = new AtomicLong();

  /**
   * A pump whose threads are named after {@code name}.
   *
   * @param maxJoins joins running at once (the owning server's connection cap); more wait for a
   *     thread
   * @param bufferSize bytes of each direction's buffer, 1..{@value #MAX_BUFFER_SIZE}
   * @param idleTimeout how long both directions may stay silent before the join is closed; positive
   */
  public StreamPump(String name, int maxJoins, int bufferSize, Duration idleTimeout) {
    Objects.requireNonNull(name, "name");
    if (bufferSize < 1 || bufferSize > MAX_BUFFER_SIZE) {
      throw new IllegalArgumentException(
          "buffer size must be in 1.." + MAX_BUFFER_SIZE + ", was " + bufferSize);
    }
    // ConnectionLimits checks maxJoins and the timeout the way every server checks them.
    ConnectionLimits checked = new ConnectionLimits(maxJoins, idleTimeout);
    this.bufferSize = bufferSize;
    this.idleTimeout = checked.idleTimeout();
    this.threads = DaemonThreads.pool(name + "-pump", checked.maxConnections());
    long pooled = Math.min(2L * checked.maxConnections(), MAX_POOLED_BYTES / bufferSize);
    this.buffers = new DirectBufferPool(bufferSize, (int) Math.max(2, pooled));
    this.watchdog = new IdleWatchdog(name + "-pump", this.idleTimeout);
  }

  /**
   * Copies {@code a} to {@code b} on this thread and {@code b} to {@code a} on a pump thread, and
   * returns when both directions have ended and both connections are closed. Never throws: how the
   * join ended is seen by the peers (end of stream or a reset).
   */
  public void join(StreamConnection a, StreamConnection b) {
    Optional<ByteChannel> channelA = a.channel();
    Optional<ByteChannel> channelB = b.channel();
    Joint joint = new Joint(a, b);
    IdleWatchdog.Watch watch = null;
    try {
      a.readTimeout(idleTimeout);
      b.readTimeout(idleTimeout);
      Runnable forward;
      Runnable reverse;
      if (channelA.isPresent() && channelB.isPresent()) {
        channelJoins.incrementAndGet();
        watch = watchdog.watch(joint::lastActivity, joint::abort);
        forward = () -> joint.copy(channelA.get(), channelB.get(), b);
        reverse = () -> joint.copy(channelB.get(), channelA.get(), a);
      } else {
        forward = () -> joint.copy(a, b);
        reverse = () -> joint.copy(b, a);
      }
      CountDownLatch reverseDone = new CountDownLatch(1);
      threads.execute(
          () -> {
            try {
              reverse.run();
            } finally {
              reverseDone.countDown();
            }
          });
      forward.run();
      reverseDone.await();
    } catch (IOException | RejectedExecutionException e) {
      // Could not set up both directions (or the pump is closing): end the join.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      joint.abort();
      if (watch != null) {
        watch.stop();
      }
    }
  }

  /** Joins that copied channel to channel since this pump was made (the rest used the streams). */
  long channelJoins() {
    return channelJoins.get();
  }

  /**
   * Stops the pump threads; joins still running end as their connections are closed by their owner
   * (a channel join at once: interrupting a channel read closes it).
   */
  @Override
  public void close() {
    threads.shutdownNow();
    watchdog.close();
  }

  /** One join's shared state: when a byte last moved, and whether it has been torn down. */
  private final class Joint implements ChannelCopy.Activity {
    private final StreamConnection a;
    private final StreamConnection b;
    private final AtomicBoolean aborted = new AtomicBoolean();
    private volatile long lastActivity = System.nanoTime();

    Joint(StreamConnection a, StreamConnection b) {
      this.a = a;
      this.b = b;
    }

    long lastActivity() {
      return lastActivity;
    }

    @Override
    public void moved() {
      lastActivity = System.nanoTime();
    }

    @Override
    public boolean idle() {
      return System.nanoTime() - lastActivity >= idleTimeout.toNanos();
    }

    /**
     * Copies channel to channel until end of stream (then half-closes {@code to}), an error, or the
     * join going idle.
     */
    void copy(ByteChannel from, ByteChannel to, StreamConnection toConnection) {
      ByteBuffer buffer = buffers.take();
      try {
        ChannelCopy.copy(from, to, buffer, this);
        toConnection.shutdownOutput();
      } catch (IOException | RuntimeException e) {
        abort(); // As below.
      } finally {
        buffers.give(buffer);
      }
    }

    /**
     * Copies until end of stream (then half-closes {@code to}), an error, or the join going idle.
     */
    void copy(StreamConnection from, StreamConnection to) {
      byte[] buffer = new byte[bufferSize];
      try {
        InputStream in = from.inputStream();
        OutputStream out = to.outputStream();
        while (true) {
          int n;
          try {
            n = in.read(buffer);
          } catch (SocketTimeoutException silent) {
            if (!idle()) {
              continue; // The other direction moved bytes meanwhile: the join is not idle.
            }
            throw silent;
          }
          if (n < 0) {
            to.shutdownOutput();
            return;
          }
          moved();
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException | RuntimeException e) {
        abort(); // A reset, an error or silence on either side ends the whole join, as a real proxy
        // would.
      }
    }

    /** Closes both connections, ending both directions; idempotent. */
    void abort() {
      if (aborted.compareAndSet(false, true)) {
        Closeables.closeQuietly(a);
        Closeables.closeQuietly(b);
      }
    }
  }
}
