package dev.nitroemu.vsock.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.VsockConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One vsock client joined to one TCP upstream by two copy loops with fixed-size buffers. End of
 * stream in one direction becomes a half-close of the other side's output; once both directions
 * have ended both sockets are closed, and an error in either direction closes both at once.
 */
public final class ProxiedConnection {

  /** Does something that may fail with an I/O error. */
  @FunctionalInterface
  private interface IoAction {
    void run() throws IOException;
  }

  private final VsockConnection client;
  private final Socket upstream;
  private final int bufferSize;
  private final AtomicBoolean closed = new AtomicBoolean();

  public ProxiedConnection(VsockConnection client, Socket upstream, int bufferSize) {
    this.client = Objects.requireNonNull(client, "client");
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.bufferSize = bufferSize;
  }

  /**
   * Copies client-to-upstream on the calling thread and upstream-to-client on a thread of {@code
   * pumps}, returning when both directions have ended and both sockets are closed.
   */
  public void run(Executor pumps) throws IOException {
    InputStream fromClient = client.inputStream();
    OutputStream toClient = client.outputStream();
    InputStream fromUpstream = upstream.getInputStream();
    OutputStream toUpstream = upstream.getOutputStream();
    CountDownLatch downstreamDone = new CountDownLatch(1);
    pumps.execute(() -> {
      try {
        copy(fromUpstream, toClient, client::shutdownOutput);
      } finally {
        downstreamDone.countDown();
      }
    });
    copy(fromClient, toUpstream, upstream::shutdownOutput);
    try {
      downstreamDone.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      abort();
    }
  }

  /** Closes both sockets now, ending both copy loops; idempotent. */
  public void abort() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Closeables.closeQuietly(client);
    Closeables.closeQuietly(upstream);
  }

  private void copy(InputStream in, OutputStream out, IoAction onEndOfStream) {
    byte[] buffer = new byte[bufferSize];
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
      }
      onEndOfStream.run();
    } catch (IOException e) {
      abort(); // A reset or error on either side ends the whole connection, as a real proxy would.
    }
  }
}
