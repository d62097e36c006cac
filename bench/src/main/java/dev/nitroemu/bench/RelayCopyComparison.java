package dev.nitroemu.bench;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.nitroemu.enclave.StreamPump;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.vsock.VsockProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How fast a one-way stream crosses a loopback TCP relay, by copy strategy, against the same stream
 * straight to the sink (the baseline), in alternating rounds in one JVM: the evaluation behind the
 * vsock-proxy's copy path (issue 14 item 2). Strategies:
 *
 * <ul>
 *   <li>{@code streams}: blocking socket streams and a 64 KiB {@code byte[]} (what {@code
 *       StreamPump} does): the JDK copies each read and write through a temporary native buffer;
 *   <li>{@code direct}: blocking {@link SocketChannel}s and one 64 KiB direct {@link ByteBuffer}
 *       per direction: the kernel copies into and out of that native buffer, no heap copy;
 *   <li>{@code splice}: {@code splice(2)} socket to pipe to socket through JNA, Linux only; needs
 *       the channels' descriptors, which the JDK only reveals with {@code --add-opens
 *       java.base/sun.nio.ch=ALL-UNNAMED} (skipped with the reason otherwise);
 *   <li>{@code pump-streams}: the real {@link StreamPump} joining plain sockets (its stream path,
 *       what the vsock-proxy did before its sockets were made by channels);
 *   <li>{@code pump-channels}: the real {@link StreamPump} joining sockets made by channels (its
 *       channel path: pooled direct buffers);
 *   <li>{@code proxy}: the real {@link VsockProxy} on an emulated {@link VsockNetwork} (the client
 *       connects to the TCP endpoint carrying the proxy's vsock port), as in {@code
 *       VsockProxyBenchmark}.
 * </ul>
 *
 * <p>Run: {@code java --add-opens java.base/sun.nio.ch=ALL-UNNAMED -cp bench/target/benchmarks.jar
 * dev.nitroemu.bench.RelayCopyComparison [rounds [MiB]]} (default 9 rounds of 256 MiB each way).
 */
public final class RelayCopyComparison {
  private static final int CHUNK = 64 * 1024;

  private RelayCopyComparison() {}

  /** A relay to the sink, started for one round. */
  interface AnyRelay extends AutoCloseable {
    int port() throws IOException;

    @Override
    void close() throws IOException;
  }

  /** Starts a relay to the sink's port. */
  interface RelayFactory {
    AnyRelay start(int sinkPort) throws IOException;
  }

  /** A relay strategy: copies {@code from} to {@code to} until end of stream, then half-closes. */
  interface Copier {
    void copy(SocketChannel from, SocketChannel to) throws IOException;
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 9;
    long bytes = (args.length > 1 ? Long.parseLong(args[1]) : 256) << 20;
    Map<String, RelayFactory> copiers = new LinkedHashMap<>();
    copiers.put("streams", port -> new Relay(port, RelayCopyComparison::copyStreams));
    copiers.put("direct", port -> new Relay(port, RelayCopyComparison::copyDirect));
    String spliceUnavailable = Splice.unavailableReason();
    if (spliceUnavailable == null) {
      copiers.put("splice", port -> new Relay(port, Splice::copy));
    } else {
      System.out.println("splice skipped: " + spliceUnavailable);
    }
    try (Sink sink = new Sink();
        StreamPump pump = new StreamPump("relay", 4, CHUNK, Duration.ofSeconds(60))) {
      copiers.put("pump-streams", port -> new PumpRelays.Pump(port, pump, false));
      copiers.put("pump-channels", port -> new PumpRelays.Pump(port, pump, true));
      copiers.put("proxy", PumpRelays.Proxy::new);
      Map<String, double[]> ratios = new LinkedHashMap<>();
      copiers.keySet().forEach(name -> ratios.put(name, new double[rounds]));
      for (int round = -2; round < rounds; round++) {
        StringBuilder line = new StringBuilder();
        double raw = transfer(sink.port(), bytes);
        line.append(String.format(Locale.ROOT, "raw %.0f MB/s", raw / 1e6));
        for (Map.Entry<String, RelayFactory> copier : copiers.entrySet()) {
          double relayed;
          try (AnyRelay relay = copier.getValue().start(sink.port())) {
            relayed = transfer(relay.port(), bytes);
          }
          line.append(
              String.format(
                  Locale.ROOT,
                  ", %s %.0f MB/s (%.2f)",
                  copier.getKey(),
                  relayed / 1e6,
                  relayed / raw));
          if (round >= 0) {
            ratios.get(copier.getKey())[round] = relayed / raw;
          }
        }
        if (round >= 0) {
          System.out.println("round " + round + ": " + line);
        }
      }
      double[] pumpGain = new double[rounds];
      for (int i = 0; i < rounds; i++) {
        pumpGain[i] = ratios.get("pump-channels")[i] / ratios.get("pump-streams")[i];
      }
      Arrays.sort(pumpGain);
      System.out.printf(
          Locale.ROOT,
          "median pump-channels relay / pump-streams relay, same rounds: %.2f%n",
          pumpGain[rounds / 2]);
      double[] streams = ratios.get("streams").clone();
      ratios.forEach(
          (name, values) -> {
            if (!name.equals("streams")) {
              double[] versus = new double[rounds];
              for (int i = 0; i < rounds; i++) {
                versus[i] = values[i] / streams[i];
              }
              Arrays.sort(versus);
              System.out.printf(
                  Locale.ROOT,
                  "median %s relay / streams relay, same rounds: %.2f%n",
                  name,
                  versus[rounds / 2]);
            }
            Arrays.sort(values);
            System.out.printf(
                Locale.ROOT,
                "median %s relay / raw loopback TCP over %d rounds: %.2f (quartiles %.2f to %.2f)%n",
                name,
                rounds,
                values[rounds / 2],
                values[rounds / 4],
                values[rounds - 1 - rounds / 4]);
          });
    }
  }

  /**
   * Sends {@code bytes} to {@code port} in 64 KiB writes, half-closes, waits for the sink's
   * one-byte answer; bytes per second.
   */
  static double transfer(int port, long bytes) throws IOException {
    byte[] chunk = new byte[CHUNK];
    Arrays.fill(chunk, (byte) 7);
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setTcpNoDelay(true);
      OutputStream out = socket.getOutputStream();
      long start = System.nanoTime();
      for (long sent = 0; sent < bytes; sent += CHUNK) {
        out.write(chunk);
      }
      socket.shutdownOutput();
      if (socket.getInputStream().read() != 1) {
        throw new IOException("the sink did not confirm the byte count");
      }
      return bytes / ((System.nanoTime() - start) / 1e9);
    }
  }

  static void copyStreams(SocketChannel from, SocketChannel to) throws IOException {
    InputStream in = from.socket().getInputStream();
    OutputStream out = to.socket().getOutputStream();
    byte[] buffer = new byte[CHUNK];
    for (int n; (n = in.read(buffer)) >= 0; ) {
      out.write(buffer, 0, n);
    }
    to.shutdownOutput();
  }

  static void copyDirect(SocketChannel from, SocketChannel to) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK);
    while (from.read(buffer) >= 0) {
      buffer.flip();
      while (buffer.hasRemaining()) {
        to.write(buffer);
      }
      buffer.clear();
    }
    to.shutdownOutput();
  }

  /** A TCP server that drains each connection and answers 1 when it has read to end of stream. */
  static final class Sink implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());

    Sink() throws IOException {
      Thread thread =
          new Thread(
              () -> {
                byte[] buffer = new byte[CHUNK];
                while (!server.isClosed()) {
                  try (Socket socket = server.accept()) {
                    InputStream in = socket.getInputStream();
                    while (in.read(buffer) >= 0) {
                      // drain
                    }
                    socket.getOutputStream().write(1);
                  } catch (IOException e) {
                    // closed, or a broken transfer the sender reports
                  }
                }
              },
              "relay-sink");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** A one-connection relay to the sink: two threads, one per direction. */
  static final class Relay implements AnyRelay {
    private final ServerSocketChannel server = ServerSocketChannel.open();
    private final Thread thread;

    Relay(int sinkPort, Copier copier) throws IOException {
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      thread =
          new Thread(
              () -> {
                try (SocketChannel client = server.accept();
                    SocketChannel upstream =
                        SocketChannel.open(
                            new InetSocketAddress(InetAddress.getLoopbackAddress(), sinkPort))) {
                  client.socket().setTcpNoDelay(true);
                  upstream.socket().setTcpNoDelay(true);
                  Thread back =
                      new Thread(
                          () -> {
                            try {
                              copier.copy(upstream, client);
                            } catch (IOException e) {
                              // the forward direction reports
                            }
                          },
                          "relay-back");
                  back.setDaemon(true);
                  back.start();
                  copier.copy(client, upstream);
                  back.join();
                } catch (IOException e) {
                  // the sender sees the broken transfer
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "relay");
      thread.setDaemon(true);
      thread.start();
    }

    @Override
    public int port() throws IOException {
      return ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    @Override
    public void close() throws IOException {
      server.close();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** splice(2) through a pipe, via JNA; descriptors read from the JDK's channel internals. */
  static final class Splice {
    private static final int SPLICE_F_MOVE = 1;
    private static final int SPLICE_F_MORE = 4;

    private interface C extends Library {
      int pipe(int[] fds);

      long splice(int in, Pointer offIn, int out, Pointer offOut, long len, int flags);

      int close(int fd);
    }

    private static C c;
    private static Method fdVal;

    static String unavailableReason() {
      if (!Platform.isLinux()) {
        return "splice(2) is Linux-only";
      }
      try {
        Class<?> impl = Class.forName("sun.nio.ch.SocketChannelImpl");
        fdVal = impl.getDeclaredMethod("getFDVal");
        fdVal.setAccessible(true);
        c = Native.load(Platform.C_LIBRARY_NAME, C.class);
        return null;
      } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
        return "the channel's descriptor is not reachable ("
            + e.getClass().getSimpleName()
            + "); run with --add-opens java.base/sun.nio.ch=ALL-UNNAMED";
      }
    }

    static void copy(SocketChannel from, SocketChannel to) throws IOException {
      int in;
      int out;
      try {
        in = (int) fdVal.invoke(from);
        out = (int) fdVal.invoke(to);
      } catch (ReflectiveOperationException e) {
        throw new IOException(e);
      }
      int[] pipe = new int[2];
      if (c.pipe(pipe) != 0) {
        throw new IOException("pipe failed: errno " + Native.getLastError());
      }
      try {
        while (true) {
          long n = c.splice(in, null, pipe[1], null, CHUNK, SPLICE_F_MOVE | SPLICE_F_MORE);
          if (n == 0) {
            break;
          }
          if (n < 0) {
            throw new IOException("splice in failed: errno " + Native.getLastError());
          }
          while (n > 0) {
            long m = c.splice(pipe[0], null, out, null, n, SPLICE_F_MOVE | SPLICE_F_MORE);
            if (m <= 0) {
              throw new IOException("splice out failed: errno " + Native.getLastError());
            }
            n -= m;
          }
        }
        to.shutdownOutput();
      } finally {
        c.close(pipe[0]);
        c.close(pipe[1]);
      }
    }
  }
}
