package dev.nitroemu.enclavetests;

import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The parent-side server that hands an enclave its {@link EnclaveBootstrap} (temporary credentials
 * and test settings) over vsock, the way AWS's samples push credentials in at start instead of
 * baking them into the image.
 *
 * <p>Each accepted connection gets the bootstrap as one length-prefixed JSON frame and is closed.
 * With {@link Builder#allowedCid(int)} set, connections from any other CID are closed unanswered
 * (on AF_VSOCK the peer CID is assigned by the hypervisor, so another enclave cannot pose as this
 * one). After {@link Builder#maxServes(int)} answers (default 1) the server stops listening, so the
 * credentials are handed out once.
 */
public final class BootstrapServer implements AutoCloseable {

  private final VsockTransport transport;
  private final VsockAddress requestedAddress;
  private final byte[] payload;
  private final Integer allowedCid;
  private final int maxServes;
  private final AtomicInteger served = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private VsockListener listener;

  private BootstrapServer(Builder builder) {
    this.transport = builder.transport;
    this.requestedAddress = builder.listenAddress;
    this.payload = builder.bootstrap.encode();
    this.allowedCid = builder.allowedCid;
    this.maxServes = builder.maxServes;
  }

  /** A builder for a server handing out {@code bootstrap} through {@code transport}. */
  public static Builder builder(VsockTransport transport, EnclaveBootstrap bootstrap) {
    return new Builder(transport, bootstrap);
  }

  /**
   * Binds and starts serving on a daemon thread.
   *
   * @throws IllegalStateException if already started
   */
  public synchronized BootstrapServer start() throws IOException {
    if (listener != null) {
      throw new IllegalStateException("start() already called");
    }
    listener = transport.listen(requestedAddress);
    Thread thread = new Thread(this::serve, "nitro-bootstrap-" + listener.localAddress().toShortString());
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** The bound address. */
  public synchronized VsockAddress localAddress() {
    if (listener == null) {
      throw new IllegalStateException("call start() first");
    }
    return listener.localAddress();
  }

  /** How many connections got the bootstrap. */
  public int served() {
    return served.get();
  }

  /** How many connections were closed unanswered because they came from another CID. */
  public int refused() {
    return refused.get();
  }

  /** Stops listening; idempotent. */
  @Override
  public synchronized void close() throws IOException {
    if (listener != null) {
      listener.close();
    }
  }

  private void serve() {
    try {
      while (served.get() < maxServes) {
        try (VsockConnection connection = listener.accept()) {
          if (allowedCid != null && connection.remoteAddress().cid() != allowedCid) {
            refused.incrementAndGet();
            continue;
          }
          try {
            Frames.write(connection.outputStream(), payload);
            connection.shutdownOutput();
            served.incrementAndGet();
          } catch (IOException peerGone) {
            // The peer left before reading; the bootstrap stays available for its retry.
          }
        }
      }
      close();
    } catch (IOException closed) {
      // close() was called: stop serving.
    }
  }

  /** Configures a {@link BootstrapServer}. */
  public static final class Builder {
    private final VsockTransport transport;
    private final EnclaveBootstrap bootstrap;
    private VsockAddress listenAddress = VsockAddress.anyCid(EnclaveBootstrap.DEFAULT_PORT);
    private Integer allowedCid;
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

    /** Answers only connections from this CID (the enclave's {@code --enclave-cid}). */
    public Builder allowedCid(int cid) {
      this.allowedCid = cid;
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
