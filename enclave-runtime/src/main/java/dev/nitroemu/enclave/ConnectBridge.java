package dev.nitroemu.enclave;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Lets an HTTPS client inside an enclave reach one host through the parent's vsock-proxy: an HTTP
 * {@code CONNECT} proxy on 127.0.0.1 whose tunnels lead to a vsock address (CID 3, the proxy port).
 *
 * <p>Why CONNECT: the client (the AWS SDK with a proxy configured) then keeps the real host name
 * for TLS (SNI, certificate check) and SigV4 ({@code Host}), and needs no DNS inside the enclave;
 * the tunnel carries TLS end to end, and vsock-proxy on the parent forwards it to the host. Only
 * {@code CONNECT <allowed host>:443} is accepted (403 otherwise, 400 for anything that is not a
 * CONNECT, 502 when the vsock side refuses); request heads are bounded to {@value #MAX_HEAD_BYTES}
 * bytes. This mirrors AWS's traffic-forwarder pattern without editing {@code /etc/hosts}.
 *
 * <p><b>Limits</b> ({@link ConnectionLimits}, default {@value
 * ConnectionLimits#DEFAULT_MAX_CONNECTIONS} tunnels, 60 s idle timeout): a client that sends no
 * complete head within the idle timeout, or a tunnel that moves no byte either way for it, is
 * closed; when every tunnel is taken a new client gets {@code 503 Service Unavailable} at once. The
 * accept loop is {@link StreamServer}'s and the tunnel's copying {@link StreamPump}'s.
 */
public final class ConnectBridge implements Closeable {

  /** Largest CONNECT request head read. */
  public static final int MAX_HEAD_BYTES = 8192;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final int TUNNEL_BUFFER_SIZE = 16 * 1024;

  private final VsockTransport transport;
  private final VsockAddress target;
  private final String allowedAuthority;
  private final StreamPump pump;
  private final StreamServer<StreamConnection, InetSocketAddress> server;

  private ConnectBridge(
      VsockTransport transport, VsockAddress target, String host, ConnectionLimits limits) {
    this.transport = transport;
    this.target = target;
    this.allowedAuthority = host.toLowerCase(Locale.ROOT) + ":443";
    this.pump =
        new StreamPump(
            "nitro-connect-bridge",
            limits.maxConnections(),
            TUNNEL_BUFFER_SIZE,
            limits.idleTimeout());
    this.server =
        StreamServer.builder("nitro-connect-bridge", StreamListener::loopback, this::serve)
            .limits(limits)
            .refusal(client -> reply(client.outputStream(), "503 Service Unavailable"))
            .build();
  }

  /**
   * Starts a bridge on a free loopback port that tunnels {@code CONNECT host:443} to {@code
   * target}, with {@link ConnectionLimits#DEFAULT}.
   *
   * @throws IOException if the loopback port cannot be opened
   */
  public static ConnectBridge start(VsockTransport transport, VsockAddress target, String host)
      throws IOException {
    return start(transport, target, host, ConnectionLimits.DEFAULT);
  }

  /**
   * Starts a bridge on a free loopback port that tunnels {@code CONNECT host:443} to {@code
   * target}.
   *
   * @param limits tunnels open at once, and how long a client or tunnel may stay silent
   * @throws IOException if the loopback port cannot be opened
   */
  public static ConnectBridge start(
      VsockTransport transport, VsockAddress target, String host, ConnectionLimits limits)
      throws IOException {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(limits, "limits");
    ConnectBridge bridge = new ConnectBridge(transport, target, host, limits);
    bridge.server.start();
    return bridge;
  }

  /** The loopback address HTTP clients use as their proxy. */
  public InetSocketAddress address() {
    return server.localAddress();
  }

  /** The vsock address tunnels lead to. */
  public VsockAddress target() {
    return target;
  }

  /** Stops accepting and closes every open tunnel; idempotent. */
  @Override
  public void close() {
    try {
      server.close();
    } finally {
      pump.close();
    }
  }

  private void serve(StreamConnection client, StreamServer.Slot slot) throws IOException {
    OutputStream out = client.outputStream();
    String status;
    try {
      status = check(readHead(client, server.limits().idleTimeout()));
    } catch (SocketTimeoutException slow) {
      status = "408 Request Timeout";
    }
    if (status != null) {
      reply(out, status);
      return;
    }
    VsockConnection upstream;
    try {
      upstream = transport.connect(target, CONNECT_TIMEOUT);
    } catch (IOException e) {
      reply(out, "502 Bad Gateway");
      return;
    }
    try {
      out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      Closeables.closeQuietly(upstream);
      throw e;
    }
    pump.join(client, upstream); // Closes both when the tunnel ends, either way.
  }

  /**
   * Null if {@code head} is a CONNECT to the allowed authority, else the status to refuse it with.
   */
  private String check(String head) {
    if (head == null) {
      return "400 Bad Request";
    }
    String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
    if (requestLine.length != 3
        || !requestLine[0].equals("CONNECT")
        || !requestLine[2].startsWith("HTTP/1.")) {
      return "400 Bad Request";
    }
    return requestLine[1].toLowerCase(Locale.ROOT).equals(allowedAuthority)
        ? null
        : "403 Forbidden";
  }

  /**
   * Reads up to the blank line ending the head, which must arrive {@code within} the time given (so
   * a client trickling bytes cannot hold a tunnel slot); null if the head is too long or the stream
   * ends first.
   *
   * @throws SocketTimeoutException if the time runs out first
   */
  private static String readHead(StreamConnection client, Duration within) throws IOException {
    InputStream in = client.inputStream();
    long deadline = System.nanoTime() + within.toNanos();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] terminator = {'\r', '\n', '\r', '\n'};
    while (head.size() < MAX_HEAD_BYTES) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new SocketTimeoutException("no complete CONNECT head within " + within);
      }
      client.readTimeout(Duration.ofNanos(Math.max(left, 1_000_000)));
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == terminator[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == terminator.length) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  private static void reply(OutputStream out, String status) throws IOException {
    out.write(
        ("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public String toString() {
    return "ConnectBridge[" + server + " -> " + target + " for " + allowedAuthority + "]";
  }
}
