package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.Closeables.closeQuietly;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Lets an HTTPS client inside an enclave reach one host through the parent's vsock-proxy: an HTTP
 * {@code CONNECT} proxy on 127.0.0.1 whose tunnels lead to a vsock address (CID 3, the proxy port).
 *
 * <p>Why CONNECT: the client (the AWS SDK with a proxy configured) then keeps the real host name for
 * TLS (SNI, certificate check) and SigV4 ({@code Host}), and needs no DNS inside the enclave; the
 * tunnel carries TLS end to end, and vsock-proxy on the parent forwards it to the host. Only
 * {@code CONNECT <allowed host>:443} is accepted (403 otherwise, 400 for anything that is not a
 * CONNECT, 502 when the vsock side refuses); request heads are bounded to {@value #MAX_HEAD_BYTES}
 * bytes. This mirrors AWS's traffic-forwarder pattern without editing {@code /etc/hosts}.
 */
public final class ConnectBridge implements Closeable {

  /** Largest CONNECT request head read. */
  public static final int MAX_HEAD_BYTES = 8192;

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final ServerSocket serverSocket;
  private final VsockTransport transport;
  private final VsockAddress target;
  private final String allowedAuthority;
  private final ExecutorService executor;
  private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ConnectBridge(ServerSocket serverSocket, VsockTransport transport, VsockAddress target, String host) {
    this.serverSocket = serverSocket;
    this.transport = transport;
    this.target = target;
    this.allowedAuthority = host.toLowerCase(Locale.ROOT) + ":443";
    this.executor = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "nitro-connect-bridge-" + THREADS.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Starts a bridge on a free loopback port that tunnels {@code CONNECT host:443} to {@code target}.
   *
   * @throws IOException if the loopback port cannot be opened
   */
  public static ConnectBridge start(VsockTransport transport, VsockAddress target, String host) throws IOException {
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(host, "host");
    ServerSocket serverSocket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    ConnectBridge bridge = new ConnectBridge(serverSocket, transport, target, host);
    bridge.executor.execute(bridge::acceptLoop);
    return bridge;
  }

  /** The loopback address HTTP clients use as their proxy. */
  public InetSocketAddress address() {
    return new InetSocketAddress(serverSocket.getInetAddress(), serverSocket.getLocalPort());
  }

  /** The vsock address tunnels lead to. */
  public VsockAddress target() {
    return target;
  }

  /** Stops accepting and closes every open tunnel; idempotent. */
  @Override
  public void close() throws IOException {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      serverSocket.close();
    } finally {
      for (Closeable c : open) {
        closeQuietly(c);
      }
      executor.shutdownNow();
    }
  }

  private void acceptLoop() {
    while (!closed.get()) {
      Socket client;
      try {
        client = serverSocket.accept();
      } catch (IOException e) {
        return; // closed
      }
      track(client);
      try {
        executor.execute(() -> serve(client));
      } catch (RuntimeException e) { // rejected: shutting down
        untrackAndClose(client);
      }
    }
  }

  private void serve(Socket client) {
    VsockConnection upstream = null;
    boolean handedOver = false;
    try {
      InputStream in = client.getInputStream();
      OutputStream out = client.getOutputStream();
      String status = check(readHead(in));
      if (status != null) {
        reply(out, status);
        return;
      }
      try {
        upstream = transport.connect(target, CONNECT_TIMEOUT);
      } catch (IOException e) {
        reply(out, "502 Bad Gateway");
        return;
      }
      track(upstream);
      out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      VsockConnection tunnel = upstream;
      executor.execute(() -> pump(tunnel, client));
      handedOver = true; // from here the pump closes both ends when the upstream side ends
      copy(in, upstream.outputStream());
      upstream.shutdownOutput();
    } catch (IOException | RuntimeException e) {
      // A broken tunnel (or a bridge shutting down) ends it: close both ends, the client sees EOF.
      handedOver = false;
    } finally {
      if (!handedOver) {
        if (upstream != null) {
          untrackAndClose(upstream);
        }
        untrackAndClose(client);
      }
    }
  }

  /** Null if {@code head} is a CONNECT to the allowed authority, else the status to refuse it with. */
  private String check(String head) {
    if (head == null) {
      return "400 Bad Request";
    }
    String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
    if (requestLine.length != 3 || !requestLine[0].equals("CONNECT") || !requestLine[2].startsWith("HTTP/1.")) {
      return "400 Bad Request";
    }
    return requestLine[1].toLowerCase(Locale.ROOT).equals(allowedAuthority) ? null : "403 Forbidden";
  }

  private void pump(VsockConnection upstream, Socket client) {
    try {
      copy(upstream.inputStream(), client.getOutputStream());
      client.shutdownOutput();
    } catch (IOException | RuntimeException e) {
      // Tunnel broken: close both ends below.
    } finally {
      untrackAndClose(upstream);
      untrackAndClose(client);
    }
  }

  /** Reads up to the blank line ending the head; null if the head is too long or the stream ends first. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] terminator = {'\r', '\n', '\r', '\n'};
    while (head.size() < MAX_HEAD_BYTES) {
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
    out.write(("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buffer = new byte[16 * 1024];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      out.write(buffer, 0, n);
      out.flush();
    }
  }

  private void track(Closeable c) {
    open.add(c);
    if (closed.get()) {
      untrackAndClose(c);
    }
  }

  private void untrackAndClose(Closeable c) {
    open.remove(c);
    closeQuietly(c);
  }

  @Override
  public String toString() {
    return "ConnectBridge[" + address() + " -> " + target + " for " + allowedAuthority + "]";
  }
}
