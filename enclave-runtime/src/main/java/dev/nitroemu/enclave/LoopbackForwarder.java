package dev.nitroemu.enclave;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Forwards a free loopback TCP port, byte for byte, to one vsock address: AWS's traffic-forwarder
 * (or {@code socat TCP-LISTEN:... VSOCK-CONNECT:3:8000}) pattern, for an enclave client that speaks
 * plain TCP to a service the parent exposes on vsock, e.g. the emulator's KMS mock behind the
 * vsock-proxy at {@code 3:8000} ({@code EnclaveKmsClient.kmsClient(forwarder.httpEndpoint(),
 * ...)}).
 *
 * <p>For HTTPS to a real host prefer {@link ConnectBridge}, which keeps the host name for TLS.
 * Bounded by {@link ConnectionLimits} (default {@value ConnectionLimits#DEFAULT_MAX_CONNECTIONS}
 * connections, 60 s idle timeout); a connection the vsock side refuses is closed at once. The
 * accept loop is {@link StreamServer}'s and the copying {@link StreamPump}'s.
 */
public final class LoopbackForwarder implements Closeable {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final int BUFFER_SIZE = 16 * 1024;

  private final VsockTransport transport;
  private final VsockAddress target;
  private final StreamPump pump;
  private final StreamServer<StreamConnection, InetSocketAddress> server;

  private LoopbackForwarder(
      VsockTransport transport, VsockAddress target, ConnectionLimits limits) {
    this.transport = transport;
    this.target = target;
    this.pump =
        new StreamPump(
            "nitro-loopback-forwarder", limits.maxConnections(), BUFFER_SIZE, limits.idleTimeout());
    this.server =
        StreamServer.builder("nitro-loopback-forwarder", StreamListener::loopback, this::serve)
            .limits(limits)
            .build();
  }

  /**
   * Starts forwarding a free loopback port to {@code target}, with {@link
   * ConnectionLimits#DEFAULT}.
   *
   * @throws IOException if the loopback port cannot be opened
   */
  public static LoopbackForwarder start(VsockTransport transport, VsockAddress target)
      throws IOException {
    return start(transport, target, ConnectionLimits.DEFAULT);
  }

  /**
   * Starts forwarding a free loopback port to {@code target}.
   *
   * @throws IOException if the loopback port cannot be opened
   */
  public static LoopbackForwarder start(
      VsockTransport transport, VsockAddress target, ConnectionLimits limits) throws IOException {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(limits, "limits");
    LoopbackForwarder forwarder = new LoopbackForwarder(transport, target, limits);
    forwarder.server.start();
    return forwarder;
  }

  /** The loopback address clients connect to. */
  public InetSocketAddress address() {
    return server.localAddress();
  }

  /** {@code http://127.0.0.1:<port>}: an endpoint URI for HTTP clients. */
  public URI httpEndpoint() {
    return URI.create("http://127.0.0.1:" + address().getPort());
  }

  /** The vsock address connections are forwarded to. */
  public VsockAddress target() {
    return target;
  }

  /** Stops accepting and closes every open connection; idempotent. */
  @Override
  public void close() {
    try {
      server.close();
    } finally {
      pump.close();
    }
  }

  private void serve(StreamConnection client, StreamServer.Slot slot) throws IOException {
    VsockConnection upstream =
        transport.connect(target, CONNECT_TIMEOUT); // refused: the client is closed
    pump.join(client, upstream); // closes both when either side ends
  }

  @Override
  public String toString() {
    return "LoopbackForwarder[" + server + " -> " + target + "]";
  }
}
