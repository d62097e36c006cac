package dev.nitroemu.bench;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.StreamConnection;
import dev.nitroemu.enclave.StreamListener;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Both ends of the soak's echo traffic: a server that sends back every byte until the client's end
 * of stream (over vsock, or TCP behind a vsock-proxy), and the client side of one exchange, which
 * sends a payload in chunks of {@value #CHUNK_BYTES} bytes, reads each chunk back before sending
 * the next (so neither side ever blocks on a full socket buffer) and checks every byte.
 */
final class EchoPeers {

  /** Largest payload of one exchange: 256 KiB. */
  static final int MAX_PAYLOAD_BYTES = 256 * 1024;

  /** Bytes in flight at most, per connection. */
  static final int CHUNK_BYTES = 16 * 1024;

  /** Connections each echo server serves at once; far above the soak's client threads. */
  static final int MAX_CONNECTIONS = 64;

  private EchoPeers() {}

  /** An echo server on {@code address} of {@code transport}. */
  static StreamServer<VsockConnection, VsockAddress> vsockServer(
      VsockTransport transport, VsockAddress address) throws IOException {
    return StreamServer.<VsockConnection, VsockAddress>builder(
            "soak-echo", () -> transport.listen(address), EchoPeers::echo)
        .limits(ConnectionLimits.DEFAULT.withMaxConnections(MAX_CONNECTIONS))
        .build()
        .start();
  }

  /** An echo server on a free TCP port of 127.0.0.1. */
  static StreamServer<StreamConnection, InetSocketAddress> tcpServer() throws IOException {
    return StreamServer.<StreamConnection, InetSocketAddress>builder(
            "soak-tcp-echo",
            () -> StreamListener.of(new ServerSocket(0, 64, LoopbackPeers.loopback())),
            EchoPeers::echo)
        .limits(ConnectionLimits.DEFAULT.withMaxConnections(MAX_CONNECTIONS))
        .build()
        .start();
  }

  /**
   * A payload of 0 B .. 256 KiB: a third up to 1 KiB, half up to 16 KiB, the rest up to 256 KiB;
   * empty sometimes.
   */
  static byte[] payload(SplittableRandom random) {
    int pick = random.nextInt(100);
    int size =
        pick < 3
            ? 0
            : pick < 35
                ? random.nextInt(1024 + 1)
                : pick < 85
                    ? random.nextInt(CHUNK_BYTES + 1)
                    : random.nextInt(MAX_PAYLOAD_BYTES + 1);
    byte[] payload = new byte[size];
    random.nextBytes(payload);
    return payload;
  }

  /**
   * Sends {@code payload} and reads it back, chunk by chunk, within {@code budget} in all.
   *
   * @throws SocketTimeoutException if the budget runs out while waiting for the echo
   * @throws EOFException if the peer ends the stream early
   * @throws IllegalStateException if a byte comes back different (never a fault's doing)
   */
  static void exchange(StreamConnection connection, byte[] payload, Duration budget)
      throws IOException {
    long deadline = System.nanoTime() + budget.toNanos();
    OutputStream out = connection.outputStream();
    InputStream in = connection.inputStream();
    byte[] back = new byte[CHUNK_BYTES];
    for (int offset = 0; offset < payload.length; offset += CHUNK_BYTES) {
      int length = Math.min(CHUNK_BYTES, payload.length - offset);
      out.write(payload, offset, length);
      out.flush();
      readFully(connection, in, back, length, deadline);
      if (!Arrays.equals(payload, offset, offset + length, back, 0, length)) {
        throw new IllegalStateException(
            "echo returned different bytes at offset "
                + offset
                + " of a "
                + payload.length
                + "-byte payload");
      }
    }
  }

  /**
   * Half-closes and waits (within {@code budget}) for the server's end of stream, with no extra
   * byte.
   */
  static void finish(StreamConnection connection, Duration budget) throws IOException {
    connection.shutdownOutput();
    long deadline = System.nanoTime() + budget.toNanos();
    connection.readTimeout(remaining(deadline));
    int next = connection.inputStream().read();
    if (next >= 0) {
      throw new IllegalStateException("echo server sent a byte nobody asked for after the payload");
    }
  }

  private static void readFully(
      StreamConnection connection, InputStream in, byte[] into, int length, long deadline)
      throws IOException {
    int filled = 0;
    while (filled < length) {
      connection.readTimeout(remaining(deadline));
      int n = in.read(into, filled, length - filled);
      if (n < 0) {
        throw new EOFException(
            "echo stream ended after " + filled + " of " + length + " bytes of a chunk");
      }
      filled += n;
    }
  }

  private static Duration remaining(long deadline) throws SocketTimeoutException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new SocketTimeoutException("echo exchange ran out of its time budget");
    }
    return Duration.ofNanos(Math.max(left, 1_000_000));
  }

  private static void echo(StreamConnection connection, StreamServer.Slot slot) throws IOException {
    InputStream in = connection.inputStream();
    OutputStream out = connection.outputStream();
    byte[] buffer = new byte[CHUNK_BYTES];
    while (true) {
      slot.idle();
      int n = in.read(buffer);
      if (n < 0 || !slot.busy()) {
        return;
      }
      out.write(buffer, 0, n);
      out.flush();
    }
  }
}
