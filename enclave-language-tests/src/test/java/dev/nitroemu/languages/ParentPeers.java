package dev.nitroemu.languages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The parent's side of a program's vsock steps: an echo server on the parent's listener (the
 * program's client connects to it) and one client into the program's listening port that sends
 * {@link ProgramTranscript#ECHO_BYTES} random bytes, half-closes and reads the echo to the end.
 * Every wait is bounded by {@link #WAIT}.
 */
final class ParentPeers implements AutoCloseable {

  /** Longest wait for any one step of the parent's side. */
  static final Duration WAIT = Duration.ofSeconds(60);

  /** Opens a connection into the enclave program's listening port. */
  @FunctionalInterface
  interface Connector {
    VsockConnection connect() throws IOException;
  }

  private final ExecutorService threads =
      Executors.newFixedThreadPool(
          3,
          task -> {
            Thread thread = new Thread(task, "parent-peer");
            thread.setDaemon(true);
            return thread;
          });
  private final VsockListener echoListener;
  private final Future<Long> echoed;
  private final byte[] sent = new byte[ProgramTranscript.ECHO_BYTES];
  private Future<byte[]> received;

  /** Starts echoing the first connection {@code echoListener} accepts (and closes it at close). */
  ParentPeers(VsockListener echoListener) {
    this.echoListener = echoListener;
    this.echoed = threads.submit(this::echoOnce);
    new SecureRandom().nextBytes(sent);
  }

  /**
   * Connects into the program (once it listens), sends the bytes in one thread and reads the echo
   * in another.
   */
  void connectIntoEnclave(Connector connector) {
    received =
        threads.submit(
            () -> {
              try (VsockConnection connection = connector.connect()) {
                connection.readTimeout(WAIT);
                Future<?> writing =
                    threads.submit(
                        () -> {
                          OutputStream out = connection.outputStream();
                          out.write(sent);
                          out.flush();
                          connection.shutdownOutput();
                          return null;
                        });
                ByteArrayOutputStream echo = new ByteArrayOutputStream();
                connection.inputStream().transferTo(echo);
                writing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                return echo.toByteArray();
              }
            });
  }

  /**
   * Both directions: the parent echoed all the program sent, and the program echoed back the
   * parent's bytes unchanged.
   */
  void assertBothDirections() throws Exception {
    assertThat(echoed.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("bytes the parent's echo server echoed")
        .isEqualTo(ProgramTranscript.ECHO_BYTES);
    assertThat(received).as("the parent connected into the program").isNotNull();
    assertThat(received.get(WAIT.toSeconds(), TimeUnit.SECONDS))
        .as("the program's echo of the parent's bytes")
        .isEqualTo(sent);
  }

  private long echoOnce() throws IOException {
    try (VsockConnection connection = echoListener.accept()) {
      connection.readTimeout(WAIT);
      InputStream in = connection.inputStream();
      OutputStream out = connection.outputStream();
      byte[] buffer = new byte[8192];
      long total = 0;
      for (int n; (n = in.read(buffer)) > 0; ) {
        out.write(buffer, 0, n);
        out.flush();
        total += n;
      }
      return total;
    }
  }

  @Override
  public void close() throws IOException {
    threads.shutdownNow();
    echoListener.close();
  }
}
