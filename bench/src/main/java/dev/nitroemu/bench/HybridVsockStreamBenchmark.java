package dev.nitroemu.bench;

import static dev.nitroemu.bench.LoopbackPeers.CHUNKS_PER_BATCH;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Parent-to-enclave stream throughput over hybrid vsock (the enclave container's channel: a parent
 * transport connecting to {@code (16, P)} through {@code CONNECT P} on the directory's {@code
 * vsock} socket, the enclave transport accepting) against a raw Unix domain socket pair: 64 KiB
 * writes to a peer that drains them and acknowledges every 1 MiB, as {@link VsockStreamBenchmark}.
 * Both peers are in this JVM, so it measures the transport, not Docker.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class HybridVsockStreamBenchmark {

  private static final int ENCLAVE_CID = 16;
  private static final int PORT = 5005;

  /**
   * One hybrid vsock connection from the parent (CID 3) into the enclave, the enclave side
   * draining.
   */
  @State(Scope.Thread)
  public static class HybridStream {
    final byte[] chunk = LoopbackPeers.chunk();
    Path directory;
    HybridVsockTransport parent;
    HybridVsockTransport enclave;
    VsockConnection client;
    VsockConnection server;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      directory = Files.createTempDirectory("hv-bench");
      parent =
          HybridVsockTransport.parent(
              directory, HybridVsockTransport.DEFAULT_BASE_NAME, ENCLAVE_CID);
      enclave =
          HybridVsockTransport.enclave(
              directory, HybridVsockTransport.DEFAULT_BASE_NAME, ENCLAVE_CID);
      try (VsockListener listener = enclave.listen(VsockAddress.anyCid(PORT))) {
        client = parent.connect(VsockAddress.of(ENCLAVE_CID, PORT));
        server = listener.accept();
      }
      InputStream in = server.inputStream();
      OutputStream acks = server.outputStream();
      LoopbackPeers.startDaemon("hybrid-drain", () -> LoopbackPeers.drainAndAcknowledge(in, acks));
      out = client.outputStream();
      acknowledgements = client.inputStream();
    }

    @TearDown
    public void tearDown() {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
      Closeables.closeQuietly(enclave);
      Closeables.closeQuietly(parent);
      directory.toFile().delete();
    }
  }

  /** One raw Unix domain socket pair with the same draining peer. */
  @State(Scope.Thread)
  public static class UnixStream {
    final byte[] chunk = LoopbackPeers.chunk();
    Path directory;
    SocketChannel client;
    SocketChannel server;
    OutputStream out;
    InputStream acknowledgements;

    @Setup
    public void setUp() throws IOException {
      directory = Files.createTempDirectory("uds-bench");
      UnixDomainSocketAddress address = UnixDomainSocketAddress.of(directory.resolve("raw.sock"));
      try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
        listener.bind(address);
        client = SocketChannel.open(address);
        server = listener.accept();
      }
      InputStream in = Channels.newInputStream(server);
      OutputStream acks = Channels.newOutputStream(server);
      LoopbackPeers.startDaemon("unix-drain", () -> LoopbackPeers.drainAndAcknowledge(in, acks));
      out = Channels.newOutputStream(client);
      acknowledgements = Channels.newInputStream(client);
    }

    @TearDown
    public void tearDown() throws IOException {
      Closeables.closeQuietly(client);
      Closeables.closeQuietly(server);
      Files.deleteIfExists(directory.resolve("raw.sock"));
      Files.deleteIfExists(directory);
    }
  }

  /** Baseline: 16 x 64 KiB over a raw Unix domain socket, then the peer's acknowledgement. */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void rawUnix(UnixStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }

  /**
   * 16 x 64 KiB from the parent into the enclave over hybrid vsock, then the peer's
   * acknowledgement.
   */
  @Benchmark
  @OperationsPerInvocation(CHUNKS_PER_BATCH)
  public void hybridVsock(HybridStream stream) throws IOException {
    LoopbackPeers.sendBatch(stream.out, stream.acknowledgements, stream.chunk);
  }
}
