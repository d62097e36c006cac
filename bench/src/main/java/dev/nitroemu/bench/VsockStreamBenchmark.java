package dev.nitroemu.bench;

import static dev.nitroemu.bench.LoopbackPeers.CHUNKS_PER_BATCH;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockNetwork;
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
 * Stream throughput of one emulated vsock connection against a raw loopback TCP socket pair: 64 KiB
 * writes to a peer that drains them and acknowledges every 1 MiB. One operation is one 64 KiB
 * write, counted once its batch is acknowledged, so ops/s x 64 KiB is delivered bytes per second.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VsockStreamBenchmark {

  /** One emulated vsock connection (CID 3 to CID 16) with a draining peer on the accepting side. */
  @State(Scope.Thread)
  public static class VsockStream {
    final byte[] chunk = LoopbackPeers.chunk();
    VsockNetwork network;
    VsockConnection client;
    VsockConnection server;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      network = VsockNetwork.create();
      VsockListener listener = network.listen(VsockAddress.of(16, VsockAddress.PORT_ANY));
      client = network.connect(listener.localAddress());
      server = listener.accept();
      listener.close();
      InputStream in = server.inputStream();
      OutputStream acks = server.outputStream();
      LoopbackPeers.startDaemon("vsock-drain", () -> LoopbackPeers.drainAndAcknowledge(in, acks));
      out = client.outputStream();
      acknowledgements = client.inputStream();
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
      Closeables.closeQuietly(network);
    }
  }

  /** One raw loopback TCP socket pair with the same draining peer. */
  @State(Scope.Thread)
  public static class TcpStream {
    final byte[] chunk = LoopbackPeers.chunk();
    Socket client;
    Socket server;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      Socket[] pair = LoopbackPeers.tcpPair();
      client = pair[0];
      server = pair[1];
      InputStream in = server.getInputStream();
      OutputStream acks = server.getOutputStream();
      LoopbackPeers.startDaemon("tcp-drain", () -> LoopbackPeers.drainAndAcknowledge(in, acks));
      out = client.getOutputStream();
      acknowledgements = client.getInputStream();
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
    }
  }

  /** Baseline: 16 x 64 KiB over raw loopback TCP, then the peer's acknowledgement. */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void rawTcp(TcpStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }

  /** 16 x 64 KiB over an emulated vsock connection, then the peer's acknowledgement. */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void vsock(VsockStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }
}
