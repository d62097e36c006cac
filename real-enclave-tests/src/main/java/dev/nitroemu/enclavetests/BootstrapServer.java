package dev.nitroemu.enclavetests;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.StreamServer;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parent-side server that hands an enclave its {@link EnclaveBootstrap} (temporary credentials
 * and test settings) over vsock, the way AWS's samples push credentials in at start instead of
 * baking them into the image.
 *
 * <p>Each accepted connection gets the bootstrap as one length-prefixed JSON frame and is closed.
 * With {@link Builder#allowedCid(long)} set, connections from any other CID are closed unanswered
 * (on AF_VSOCK the peer CID is assigned by the hypervisor, so another enclave cannot pose as this
 * one). After {@link Builder#maxServes(int)} answers (default 1) the server stops listening, so the
 * credentials are handed out once. At most {@value #MAX_CONCURRENT_CONNECTIONS} connections are
 * served at once (more are closed at once); the accept loop is {@link StreamServer}'s.
 */
public final class BootstrapServer implements AutoCloseable {

  /** Most connections served at once; more are closed at once. */
  public static final int MAX_CONCURRENT_CONNECTIONS = 8;

  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

  private final byte[] payload;
  private final Long allowedCid;
  private final int maxServes;
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private final StreamServer<VsockConnection, VsockAddress> server;

  private BootstrapServer(Builder builder) {
    this.payload = builder.bootstrap.encode();
    this.allowedCid = builder.allowedCid;
    this.maxServes = builder.maxServes;
    VsockTransport transport = builder.transport;
    VsockAddress address = builder.listenAddress;
    this.server =
        StreamServer.builder("nitro-bootstrap", () -> transport.listen(address), this::serve)
            .limits(new ConnectionLimits(MAX_CONCURRENT_CONNECTIONS, IDLE_TIMEOUT))
            .build();
  }

  /** A builder for a server handing out {@code bootstrap} through {@code transport}. */
  public static Builder builder(VsockTransport transport, EnclaveBootstrap bootstrap) {
    return new Builder(transport, bootstrap);
  }

  /**
   * Binds and starts serving on daemon threads.
   *
   * @throws IllegalStateException if already started
   */
  public BootstrapServer start() throws IOException {
    server.start();
    return this;
  }

  /** The bound address. */
  public VsockAddress localAddress() {
    return server.localAddress();
  }

  /**
   * How many connections got (or are being sent) the bootstrap; counted before the peer can read
   * it.
   */
  public int served() {
    return served.get();
  }

  /** How many connections were closed unanswered because they came from another CID. */
  public int refused() {
    return refused.get();
  }

  /** Stops listening and closes open connections; idempotent. */
  @Override
  public void close() {
    server.close();
  }

  private void serve(VsockConnection connection, StreamServer.Slot slot) {
    if (allowedCid != null && connection.remoteAddress().cid() != allowedCid) {
      refused.incrementAndGet();
      return;
    }
    if (!reserveServe()) {
      return; // Handed out already: closed unanswered, as the listener is closing.
    }
    try {
      Frames.write(connection.outputStream(), payload);
      connection.shutdownOutput();
    } catch (IOException peerGone) {
      served
          .decrementAndGet(); // The peer left before reading; the bootstrap stays available for its
      // retry.
      return;
    }
    if (served.get() >= maxServes) {
      server.close(); // Everything sent is in the peer's hands; stop listening.
    }
  }

  /**
   * Counts a serve before sending, so no more than {@code maxServes} are sent and a reader sees it
   * counted.
   */
  private boolean reserveServe() {
    while (true) {
      int count = served.get();
      if (count >= maxServes) {
        return false;
      }
      if (served.compareAndSet(count, count + 1)) {
        return true;
      }
    }
  }

  /** Configures a {@link BootstrapServer}. */
  public static final class Builder {
    private final VsockTransport transport;
    private final EnclaveBootstrap bootstrap;
    private VsockAddress listenAddress = VsockAddress.anyCid(EnclaveBootstrap.DEFAULT_PORT);
    private Long allowedCid;
    private int maxServes = 1;

    private Builder(VsockTransport transport, EnclaveBootstrap bootstrap) {
      this.transport = Objects.requireNonNull(transport, "transport");
      this.bootstrap = Objects.requireNonNull(bootstrap, "bootstrap");
    }

    /** Where to listen (default every CID, port {@value EnclaveBootstrap#DEFAULT_PORT}). */
    public Builder listenAddress(VsockAddress address) {
      this.listenAddress = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Answers only connections from this CID (the enclave's {@code --enclave-cid}).
     *
     * @throws IllegalArgumentException if the CID is outside {@code 0..4294967295}
     */
    public Builder allowedCid(long cid) {
      this.allowedCid = VsockAddress.of(cid, 0).cid();
      return this;
    }

    /** How many answers before the server stops listening (default 1). */
    public Builder maxServes(int count) {
      if (count < 1) {
        throw new IllegalArgumentException("max serves must be >= 1, was " + count);
      }
      this.maxServes = count;
      return this;
    }

    /** The server, not yet started. */
    public BootstrapServer build() {
      return new BootstrapServer(this);
    }
  }
}
