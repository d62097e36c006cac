package dev.nitroemu.enclavetests.internal;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Connects to a parent-side service that may not be listening yet (the enclave can boot before the
 * parent binds), retrying refused connects every 200 ms until a deadline.
 */
public final class ParentConnector {
  private static final Duration RETRY_PAUSE = Duration.ofMillis(200);

  private ParentConnector() {}

  /**
   * Connects, retrying while the connection is refused.
   *
   * @param what names the service in the interruption message
   * @throws ConnectException the last refusal, once {@code deadline} has passed
   */
  public static VsockConnection connect(
      VsockTransport transport,
      VsockAddress address,
      Duration connectTimeout,
      Instant deadline,
      Clock clock,
      String what)
      throws IOException {
    while (true) {
      try {
        return transport.connect(address, connectTimeout);
      } catch (ConnectException refused) {
        if (!clock.instant().isBefore(deadline)) {
          throw refused;
        }
      }
      try {
        Thread.sleep(RETRY_PAUSE.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while connecting to " + what + " " + address);
      }
    }
  }
}
