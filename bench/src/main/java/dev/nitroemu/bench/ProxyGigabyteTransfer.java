package dev.nitroemu.bench;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.vsock.ProxyAllowlist;
import dev.nitroemu.vsock.VsockProxy;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sends 1 GiB (or the byte count given) from an emulated-vsock client through a {@link VsockProxy}
 * to a TCP sink on 127.0.0.1, and compares the SHA-256 of what was sent with the SHA-256 the sink
 * computed of what it received (sent back through the proxy after the client's half-close).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.nitroemu.bench.ProxyGigabyteTransfer
 * [BYTES]}. Prints bytes, seconds, MB/s (10^6 bytes, hashing on both ends included) and {@code
 * checksum OK}; exits 1 on a count or checksum mismatch, 2 on an error or after {@value
 * #DEADLINE_MINUTES} minutes.
 */
public final class ProxyGigabyteTransfer {

  /** The whole run is abandoned (exit 2) after this many minutes. */
  static final int DEADLINE_MINUTES = 10;

  private static final long DEFAULT_BYTES = 1L << 30;
  private static final long MAX_BYTES = 64L << 30;
  private static final int CHUNK_BYTES = 64 * 1024;
  private static final int POOL_CHUNKS = 64;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  private ProxyGigabyteTransfer() {}

  public static void main(String[] args) throws Exception {
    long bytes = args.length > 0 ? Long.parseLong(args[0]) : DEFAULT_BYTES;
    if (bytes < 1 || bytes > MAX_BYTES) {
      System.err.println("byte count must be in 1.." + MAX_BYTES + ", was " + bytes);
      System.exit(2);
    }
    LoopbackPeers.startDaemon(
        "deadline",
        () -> {
          try {
            TimeUnit.MINUTES.sleep(DEADLINE_MINUTES);
          } catch (InterruptedException e) {
            return;
          }
          System.err.println(
              "ProxyGigabyteTransfer: no result after " + DEADLINE_MINUTES + " minutes, giving up");
          System.exit(2);
        });
    int status;
    try {
      status = run(bytes);
    } catch (IOException | RuntimeException e) {
      System.err.println("ProxyGigabyteTransfer failed: " + e);
      status = 2;
    }
    System.exit(status);
  }

  /** Runs one transfer and returns the exit status (0 when count and checksum match). */
  static int run(long bytes) throws IOException {
    IOException[] sinkFailure = new IOException[1];
    try (ServerSocket sinkSocket = new ServerSocket(0, 1, LoopbackPeers.loopback());
        VsockNetwork network = VsockNetwork.create()) {
      Thread sink =
          LoopbackPeers.startDaemon(
              "sink",
              () -> {
                try (Socket socket = sinkSocket.accept()) {
                  sink(socket);
                } catch (IOException e) {
                  sinkFailure[0] = e;
                }
              });
      try (VsockProxy proxy =
          VsockProxy.builder(network)
              .listenAddress(VsockAddress.of(VsockAddress.CID_PARENT, VsockAddress.PORT_ANY))
              .destination("127.0.0.1", sinkSocket.getLocalPort())
              .allowlist(ProxyAllowlist.allowing("127.0.0.1", sinkSocket.getLocalPort()))
              .build()
              .start()) {
        long started = System.nanoTime();
        byte[] sentDigest;
        long reportedCount;
        byte[] receivedDigest;
        try (VsockConnection client = network.connect(proxy.localAddress())) {
          client.readTimeout(READ_TIMEOUT);
          sentDigest = send(client.outputStream(), bytes);
          client.shutdownOutput();
          DataInputStream reply = new DataInputStream(client.inputStream());
          reportedCount = reply.readLong();
          receivedDigest = reply.readNBytes(32);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        joinQuietly(sink);
        if (sinkFailure[0] != null) {
          throw sinkFailure[0];
        }
        return report(bytes, seconds, proxy, sentDigest, reportedCount, receivedDigest);
      }
    }
  }

  private static int report(
      long bytes,
      double seconds,
      VsockProxy proxy,
      byte[] sent,
      long receivedCount,
      byte[] received) {
    HexFormat hex = HexFormat.of();
    System.out.printf(Locale.ROOT, "proxy        %s%n", proxy);
    System.out.printf(Locale.ROOT, "bytes        %d sent, %d received%n", bytes, receivedCount);
    System.out.printf(Locale.ROOT, "seconds      %.3f%n", seconds);
    System.out.printf(
        Locale.ROOT,
        "MB/s         %.1f (10^6 bytes/s, SHA-256 on both ends included)%n",
        bytes / 1e6 / seconds);
    System.out.printf(Locale.ROOT, "sha256 sent  %s%n", hex.formatHex(sent));
    System.out.printf(Locale.ROOT, "sha256 recv  %s%n", hex.formatHex(received));
    if (receivedCount != bytes || !MessageDigest.isEqual(sent, received)) {
      System.out.println("checksum MISMATCH");
      return 1;
    }
    System.out.println("checksum OK");
    return 0;
  }

  /**
   * Writes {@code bytes} bytes of varied content: pooled random chunks, each stamped with its
   * index.
   */
  private static byte[] send(OutputStream out, long bytes) throws IOException {
    byte[][] pool = new byte[POOL_CHUNKS][CHUNK_BYTES];
    SplittableRandom random = new SplittableRandom(2026_11_26L);
    for (byte[] chunk : pool) {
      random.nextBytes(chunk);
    }
    MessageDigest sha256 = sha256();
    byte[] buffer = new byte[CHUNK_BYTES];
    ByteBuffer stamp = ByteBuffer.wrap(buffer);
    long remaining = bytes;
    for (long index = 0; remaining > 0; index++) {
      System.arraycopy(pool[(int) ((index * 37) % POOL_CHUNKS)], 0, buffer, 0, CHUNK_BYTES);
      stamp.putLong(0, index);
      int n = (int) Math.min(CHUNK_BYTES, remaining);
      sha256.update(buffer, 0, n);
      out.write(buffer, 0, n);
      remaining -= n;
    }
    out.flush();
    return sha256.digest();
  }

  /**
   * Hashes everything up to end of stream, then answers with the count and the digest and closes.
   */
  private static void sink(Socket socket) throws IOException {
    socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
    InputStream in = socket.getInputStream();
    MessageDigest sha256 = sha256();
    byte[] buffer = new byte[CHUNK_BYTES];
    long count = 0;
    int n;
    while ((n = in.read(buffer)) >= 0) {
      sha256.update(buffer, 0, n);
      count += n;
    }
    byte[] digest = sha256.digest();
    DataOutputStream reply = new DataOutputStream(socket.getOutputStream());
    reply.writeLong(count);
    reply.write(digest);
    reply.flush();
    socket.shutdownOutput();
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }

  private static void joinQuietly(Thread thread) {
    try {
      thread.join(READ_TIMEOUT.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
