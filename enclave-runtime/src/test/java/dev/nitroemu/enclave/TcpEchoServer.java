package dev.nitroemu.enclave;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Test helper: a plain TCP server on loopback that runs a handler per connection (by default an
 * echo that half-closes after the client does), standing in for the proxy's destination.
 */
public final class TcpEchoServer implements AutoCloseable {

  /** Serves one accepted socket. */
  @FunctionalInterface
  public interface SocketHandler {
    void serve(Socket socket) throws IOException;
  }

  private final ServerSocket serverSocket;
  private final SocketHandler handler;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "tcp-echo");
            thread.setDaemon(true);
            return thread;
          });

  public TcpEchoServer() throws IOException {
    this(TcpEchoServer::echo);
  }

  public TcpEchoServer(SocketHandler handler) throws IOException {
    this.serverSocket = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
    this.handler = handler;
    threads.execute(this::acceptLoop);
  }

  public int port() {
    return serverSocket.getLocalPort();
  }

  static void echo(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    OutputStream out = socket.getOutputStream();
    byte[] buffer = new byte[64 * 1024];
    int n;
    while ((n = in.read(buffer)) >= 0) {
      out.write(buffer, 0, n);
    }
    socket.shutdownOutput();
  }

  private void acceptLoop() {
    while (true) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        return;
      }
      open.add(socket);
      threads.execute(
          () -> {
            try (socket) {
              handler.serve(socket);
            } catch (IOException ignored) {
              // Client went away.
            } finally {
              open.remove(socket);
            }
          });
    }
  }

  @Override
  public void close() throws IOException {
    serverSocket.close();
    for (Socket socket : open) {
      socket.close();
    }
    threads.shutdownNow();
  }
}
