package dev.nitroemu.bench;

import static dev.nitroemu.enclave.Closeables.closeQuietly;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.util.SplittableRandom;

/**
 * The peers the vsock benchmarks talk to, all on 127.0.0.1: a draining reader that acknowledges
 * each batch of bytes it receives, and small TCP servers (drain-and-acknowledge, echo one byte).
 *
 * <p>The same peer code serves the emulated vsock side and the raw TCP baseline, so a ratio
 * compares transports and nothing else.
 */
final class LoopbackPeers {

  /** Size of one write: 64 KiB. */
  static final int CHUNK_BYTES = 64 * 1024;

  /** Writes per acknowledged batch; the benchmarks' {@code @OperationsPerInvocation}. */
  static final int CHUNKS_PER_BATCH = 16;

  /** Bytes per acknowledged batch (1 MiB). */
  static final int BATCH_BYTES = CHUNK_BYTES * CHUNKS_PER_BATCH;

  private LoopbackPeers() {}

  /** The IPv4 loopback address; every benchmark socket binds or connects here. */
  static InetAddress loopback() {
    try {
      return InetAddress.getByName("127.0.0.1");
    } catch (UnknownHostException e) {
      throw new IllegalStateException("127.0.0.1 does not parse", e);
    }
  }

  /** 64 KiB of seeded pseudo-random bytes (content does not matter to the transports). */
  static byte[] chunk() {
    byte[] chunk = new byte[CHUNK_BYTES];
    new SplittableRandom(42).nextBytes(chunk);
    return chunk;
  }

  /**
   * Writes one batch of {@value #CHUNKS_PER_BATCH} chunks, then waits for the peer's one-byte
   * acknowledgement.
   */
  static void sendBatch(OutputStream out, InputStream acknowledgements, byte[] chunk)
      throws IOException {
    for (int i = 0; i < CHUNKS_PER_BATCH; i++) {
      out.write(chunk, 0, chunk.length);
    }
    out.flush();
    if (acknowledgements.read() < 0) {
      throw new EOFException("the draining peer closed before acknowledging the batch");
    }
  }

  /**
   * Reads {@code in} to its end, writing one byte to {@code out} for every {@link #BATCH_BYTES}
   * bytes received; returns quietly when the connection is closed under it (benchmark teardown).
   */
  static void drainAndAcknowledge(InputStream in, OutputStream out) {
    byte[] buffer = new byte[CHUNK_BYTES];
    long unacknowledged = 0;
    try {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        unacknowledged += n;
        while (unacknowledged >= BATCH_BYTES) {
          out.write(1);
          out.flush();
          unacknowledged -= BATCH_BYTES;
        }
      }
    } catch (IOException closedUnderUs) {
      // Teardown closed the connection: nothing left to drain.
    }
  }

  /** Starts {@code task} on a new daemon thread. */
  static Thread startDaemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /**
   * Reads one byte, echoes it and closes: the server closes first, so TIME_WAIT stays on its side.
   */
  static void echoOneByteAndClose(Socket socket) throws IOException {
    try (socket) {
      socket.setTcpNoDelay(true);
      int b = socket.getInputStream().read();
      if (b >= 0) {
        OutputStream out = socket.getOutputStream();
        out.write(b);
        out.flush();
      }
    }
  }

  /** Drains the socket, acknowledging each batch, then closes it. */
  static void drainAndClose(Socket socket) {
    try (socket) {
      socket.setTcpNoDelay(true);
      drainAndAcknowledge(socket.getInputStream(), socket.getOutputStream());
    } catch (IOException ignored) {
      // Closing a socket the benchmark is done with.
    }
  }

  /**
   * The simplest userspace TCP relay: connects to {@code destinationPort} on 127.0.0.1 and copies
   * both directions with 64 KiB buffers on two threads, propagating end of stream as a half-close.
   * It is the ceiling any copying proxy (AWS's included) can reach on this machine.
   */
  static SocketHandler relayTo(int destinationPort) {
    return client -> {
      try (client;
          Socket upstream = new Socket(loopback(), destinationPort)) {
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        Thread downstream = startDaemon("relay-down", () -> copy(upstream, client));
        copy(client, upstream);
        try {
          downstream.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }

  private static void copy(Socket from, Socket to) {
    byte[] buffer = new byte[CHUNK_BYTES];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
      }
      to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  /** What a {@link TcpServer} does with each accepted socket. */
  @FunctionalInterface
  interface SocketHandler {
    void handle(Socket socket) throws IOException;
  }

  /**
   * A TCP server on 127.0.0.1 (ephemeral port) that accepts until closed, handling each socket
   * either on the accept thread (one at a time) or on a thread of its own.
   */
  static final class TcpServer implements Closeable {
    private final ServerSocket serverSocket;

    private TcpServer(ServerSocket serverSocket) {
      this.serverSocket = serverSocket;
    }

    /**
     * Starts a server whose handler runs on the accept thread: right for short one-shot exchanges.
     */
    static TcpServer inline(String name, SocketHandler handler) throws IOException {
      return start(name, handler, false);
    }

    /** Starts a server that gives each connection its own daemon thread: right for long streams. */
    static TcpServer threadPerConnection(String name, SocketHandler handler) throws IOException {
      return start(name, handler, true);
    }

    private static TcpServer start(String name, SocketHandler handler, boolean threadPerConnection)
        throws IOException {
      ServerSocket serverSocket = new ServerSocket(0, 512, loopback());
      TcpServer server = new TcpServer(serverSocket);
      startDaemon(name + "-accept", () -> server.acceptLoop(name, handler, threadPerConnection));
      return server;
    }

    /** The TCP port the server listens on (on 127.0.0.1). */
    int port() {
      return serverSocket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      serverSocket.close();
    }

    private void acceptLoop(String name, SocketHandler handler, boolean threadPerConnection) {
      while (true) {
        Socket socket;
        try {
          socket = serverSocket.accept();
        } catch (IOException e) {
          return; // Closed: the benchmark is done.
        }
        Runnable handle =
            () -> {
              try {
                handler.handle(socket);
              } catch (IOException peerWentAway) {
                closeQuietly(socket);
              }
            };
        if (threadPerConnection) {
          startDaemon(name + "-conn", handle);
        } else {
          handle.run();
        }
      }
    }
  }

  /** Closes, ignoring errors: for teardown paths that must not hide the real failure. */

  /**
   * A connected raw TCP socket pair on 127.0.0.1 with TCP_NODELAY on both ends, as the emulated
   * transport sets it.
   */
  static Socket[] tcpPair() throws IOException {
    try (ServerSocket serverSocket = new ServerSocket(0, 1, loopback())) {
      Socket client = new Socket(loopback(), serverSocket.getLocalPort());
      Socket server;
      try {
        server = serverSocket.accept();
      } catch (IOException e) {
        client.close();
        throw e;
      }
      client.setTcpNoDelay(true);
      server.setTcpNoDelay(true);
      return new Socket[] {client, server};
    }
  }
}
