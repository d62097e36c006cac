package dev.nitroemu.enclave;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Test helper: accepts connections on a listener and echoes every byte back; when the client
 * half-closes, it finishes echoing and half-closes too. Records accepted connections.
 */
final class EchoService implements AutoCloseable {

  private final VsockListener listener;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(
          r -> {
            Thread thread = new Thread(r, "echo-service");
            thread.setDaemon(true);
            return thread;
          });
  private final Set<VsockConnection> open = ConcurrentHashMap.newKeySet();

  /** Every accepted connection, in order, for tests that inspect the server side. */
  final BlockingQueue<VsockConnection> accepted = new LinkedBlockingQueue<>();

  EchoService(VsockListener listener) {
    this.listener = listener;
    threads.execute(this::acceptLoop);
  }

  static EchoService on(VsockTransport transport, VsockAddress address) throws IOException {
    return new EchoService(transport.listen(address));
  }

  VsockAddress address() {
    return listener.localAddress();
  }

  private void acceptLoop() {
    while (true) {
      VsockConnection connection;
      try {
        connection = listener.accept();
      } catch (IOException e) {
        return;
      }
      open.add(connection);
      accepted.add(connection);
      threads.execute(() -> echo(connection));
    }
  }

  private void echo(VsockConnection connection) {
    try (connection) {
      InputStream in = connection.inputStream();
      OutputStream out = connection.outputStream();
      byte[] buffer = new byte[16 * 1024];
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
      }
      connection.shutdownOutput();
    } catch (IOException ignored) {
      // Client went away.
    } finally {
      open.remove(connection);
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (VsockConnection connection : open) {
      connection.close();
    }
    threads.shutdownNow();
  }
}
