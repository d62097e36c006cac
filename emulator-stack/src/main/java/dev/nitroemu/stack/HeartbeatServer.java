package dev.nitroemu.stack;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The parent's end of the boot heartbeat of AWS's enclave init (and of {@code nitro-emu-init}): the
 * enclave connects to {@code 3:9000} and sends the byte {@code 0xB7}; the parent echoes it and
 * counts the enclave as booted. Any other byte closes the connection unanswered.
 */
public final class HeartbeatServer implements AutoCloseable {

  /** The parent's vsock port nitro-cli listens on for the heartbeat. */
  public static final long PORT = 9000;

  /** The byte the enclave sends and the parent echoes. */
  public static final int HEARTBEAT = 0xB7;

  private static final ConnectionLimits LIMITS = new ConnectionLimits(16, Duration.ofSeconds(5));

  private final StreamServer<VsockConnection, VsockAddress> server;
  private final AtomicLong beats = new AtomicLong();

  private HeartbeatServer(VsockTransport transport, VsockAddress address) {
    this.server =
        StreamServer.builder("nitro-heartbeat", () -> transport.listen(address), this::serve)
            .limits(LIMITS)
            .build();
  }

  /**
   * Answers heartbeats on {@code 3:}{@value #PORT} of {@code transport} (the parent side).
   *
   * @throws IOException if the transport cannot listen there (e.g. the port is taken)
   */
  public static HeartbeatServer start(VsockTransport transport) throws IOException {
    HeartbeatServer heartbeat =
        new HeartbeatServer(transport, VsockAddress.of(VsockAddress.CID_PARENT, PORT));
    heartbeat.server.start();
    return heartbeat;
  }

  /** Heartbeats answered (or being answered) since start. */
  public long beats() {
    return beats.get();
  }

  /** Stops listening; idempotent. */
  @Override
  public void close() {
    server.close();
  }

  private void serve(VsockConnection connection, StreamServer.Slot slot) throws IOException {
    if (connection.inputStream().read() != HEARTBEAT) {
      return;
    }
    beats.incrementAndGet(); // counted before the enclave can see the answer
    OutputStream out = connection.outputStream();
    out.write(HEARTBEAT);
    out.flush();
  }
}
