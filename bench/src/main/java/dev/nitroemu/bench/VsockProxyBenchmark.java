package dev.nitroemu.bench;

import static dev.nitroemu.bench.LoopbackPeers.CHUNKS_PER_BATCH;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The vsock-proxy path (enclave -> emulated vsock -> {@link VsockProxy} -> TCP server on 127.0.0.1)
 * against a raw loopback TCP connection to the same server: stream throughput with 64 KiB writes
 * (one op = one write, acknowledged per 1 MiB as in {@link VsockStreamBenchmark}) and connections
 * per second (connect, one-byte round trip, orderly close).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VsockProxyBenchmark {

  /** A proxy on vsock://3:PORT forwarding to a TCP server on 127.0.0.1; built per trial. */
  abstract static class ProxiedServer {
    VsockNetwork network;
    LoopbackPeers.TcpServer destination;
    VsockProxy proxy;

    void start(LoopbackPeers.TcpServer server) throws IOException {
      destination = server;
      network = VsockNetwork.create();
      proxy =
          VsockProxy.builder(network)
              .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
              .destination("127.0.0.1", destination.port())
              .allowlist(ProxyAllowlist.allowing("127.0.0.1", destination.port()))
              .build()
              .start();
    }

    void stop() {
      Closeables.closeQuietly(proxy);
      Closeables.closeQuietly(network);
      Closeables.closeQuietly(destination);
    }
  }

  /** One long-lived connection through the proxy to a draining TCP server. */
  @State(Scope.Thread)
  public static class ProxyStream extends ProxiedServer {
    final byte[] chunk = LoopbackPeers.chunk();
    VsockConnection client;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      start(
          LoopbackPeers.TcpServer.threadPerConnection("proxy-drain", LoopbackPeers::drainAndClose));
      client = network.connect(proxy.localAddress());
      out = client.outputStream();
      acknowledgements = client.inputStream();
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      stop();
    }
  }

  /** One long-lived raw TCP connection to the same kind of draining server. */
  @State(Scope.Thread)
  public static class TcpStream {
    final byte[] chunk = LoopbackPeers.chunk();
    LoopbackPeers.TcpServer server;
    Socket client;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      server =
          LoopbackPeers.TcpServer.threadPerConnection("tcp-drain", LoopbackPeers::drainAndClose);
      client = new Socket(LoopbackPeers.loopback(), server.port());
      client.setTcpNoDelay(true);
      out = client.getOutputStream();
      acknowledgements = client.getInputStream();
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
    }
  }

  /**
   * One long-lived connection through a minimal Java TCP relay ({@link LoopbackPeers#relayTo}) to a
   * draining server.
   */
  @State(Scope.Thread)
  public static class RelayStream {
    final byte[] chunk = LoopbackPeers.chunk();
    LoopbackPeers.TcpServer server;
    LoopbackPeers.TcpServer relay;
    Socket client;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      server =
          LoopbackPeers.TcpServer.threadPerConnection("relay-drain", LoopbackPeers::drainAndClose);
      relay =
          LoopbackPeers.TcpServer.threadPerConnection(
              "relay", LoopbackPeers.relayTo(server.port()));
      client = new Socket(LoopbackPeers.loopback(), relay.port());
      client.setTcpNoDelay(true);
      out = client.getOutputStream();
      acknowledgements = client.getInputStream();
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(relay);
      Closeables.closeQuietly(server);
    }
  }

  /** A proxy in front of a one-byte echo server that closes after echoing. */
  @State(Scope.Thread)
  public static class ProxyEcho extends ProxiedServer {
    @Setup
    public void setUp() throws IOException {
      start(LoopbackPeers.TcpServer.inline("proxy-echo", LoopbackPeers::echoOneByteAndClose));
    }

    @TearDown
    public void tearDown() {
      stop();
    }
  }

  /** The same one-byte echo server, reached directly. */
  @State(Scope.Thread)
  public static class TcpEcho {
    LoopbackPeers.TcpServer server;

    @Setup
    public void setUp() throws IOException {
      server = LoopbackPeers.TcpServer.inline("tcp-echo", LoopbackPeers::echoOneByteAndClose);
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(server);
    }
  }

  /** Baseline: 16 x 64 KiB straight to the draining TCP server, then its acknowledgement. */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void rawTcpStream(TcpStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }

  /**
   * 16 x 64 KiB through vsock and the proxy to the draining TCP server, then its acknowledgement.
   */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void proxyStream(ProxyStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }

  /**
   * Diagnostic, not a goal: 16 x 64 KiB through the minimal TCP relay, i.e. what any userspace
   * copying proxy costs here (two extra kernel copies and a third busy thread).
   */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void relayStream(RelayStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }

  /** Baseline: TCP connect, one byte there and back, end of stream from the server, close. */
  @Benchmark
  public int rawTcpConnect(TcpEcho echo) throws IOException {
    try (Socket socket = new Socket(LoopbackPeers.loopback(), echo.server.port())) {
      socket.setTcpNoDelay(true);
      return roundTrip(socket.getInputStream(), socket.getOutputStream());
    }
  }

  /** The same through the proxy: vsock connect, proxy accept and TCP connect, round trip, close. */
  @Benchmark
  public int proxyConnect(ProxyEcho echo) throws IOException {
    try (VsockConnection connection = echo.network.connect(echo.proxy.localAddress())) {
      return roundTrip(connection.inputStream(), connection.outputStream());
    }
  }

  /**
   * Sends one byte, reads its echo, then waits for the server's end of stream so that the server
   * side closes first (its TIME_WAIT does not pin client ports across thousands of connections).
   */
  private static int roundTrip(InputStream in, OutputStream out) throws IOException {
    out.write(7);
    out.flush();
    int echoed = in.read();
    if (echoed != 7) {
      throw new EOFException("expected the echoed byte 7, got " + echoed);
    }
    if (in.read() >= 0) {
      throw new IOException("the echo server sent more than one byte");
    }
    return echoed;
  }
}
