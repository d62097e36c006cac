package dev.nitroemu.container.internal;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The parent's answer to the boot heartbeat of AWS's enclave init, which {@code nitro-emu-init}
 * imitates: the enclave connects to {@code 3:9000}, sends the byte {@code 0xB7} and waits for it to
 * come back before running its command. Echoes it, and records that the enclave booted; any other
 * byte, or none within 10 s, closes the connection unanswered.
 */
public final class HeartbeatResponder implements AutoCloseable {

  /** The parent's vsock port the heartbeat goes to. */
  public static final long PORT = 9000;

  /** The heartbeat byte. */
  public static final int HEARTBEAT = 0xB7;

  private static final ConnectionLimits LIMITS = new ConnectionLimits(4, Duration.ofSeconds(10));

  private final CountDownLatch booted = new CountDownLatch(1);
  private final StreamServer<VsockConnection, VsockAddress> server;

  private HeartbeatResponder(HybridVsockTransport parent) {
    this.server =
        StreamServer.builder(
                "enclave-heartbeat",
                () -> parent.listen(VsockAddress.of(VsockAddress.CID_PARENT, PORT)),
                (VsockConnection connection, StreamServer.Slot slot) -> answer(connection))
            .limits(LIMITS)
            .build();
  }

  /** Answers heartbeats on {@code parent}'s {@code 3:9000} until closed. */
  public static HeartbeatResponder start(HybridVsockTransport parent) throws IOException {
    HeartbeatResponder responder = new HeartbeatResponder(parent);
    responder.server.start();
    return responder;
  }

  private void answer(VsockConnection connection) throws IOException {
    InputStream in = connection.inputStream();
    if (in.read() != HEARTBEAT) {
      return;
    }
    OutputStream out = connection.outputStream();
    out.write(HEARTBEAT);
    out.flush();
    booted.countDown();
  }

  /** Whether a heartbeat was answered. */
  public boolean booted() {
    return booted.getCount() == 0;
  }

  /** Waits up to {@code timeout} for a heartbeat; whether one was answered. */
  public boolean awaitBoot(Duration timeout) throws InterruptedException {
    return booted.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Stops listening; idempotent. */
  @Override
  public void close() {
    server.close();
  }
}
