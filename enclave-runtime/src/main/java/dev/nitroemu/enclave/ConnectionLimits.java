package dev.nitroemu.enclave;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds a {@link StreamServer} puts on its connections: how many it serves at once and how
 * long one may stay silent before it is closed.
 *
 * <p>{@link #DEFAULT}: {@value #DEFAULT_MAX_CONNECTIONS} connections and a 60-second idle timeout
 * (the idle timeout AWS's load balancers use by default).
 *
 * @param maxConnections connections served at once, 1..{@value #MAX_CONNECTIONS_LIMIT}; each has a
 *     thread
 * @param idleTimeout how long a read may wait for the peer's next byte before the server closes the
 *     connection; positive
 */
public record ConnectionLimits(int maxConnections, Duration idleTimeout) {

  /** Default number of connections served at once. */
  public static final int DEFAULT_MAX_CONNECTIONS = 256;

  /** Default idle timeout: 60 seconds. */
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);

  /** Largest {@link #maxConnections()} accepted (each connection is served by a thread). */
  public static final int MAX_CONNECTIONS_LIMIT = 8192;

  /** {@value #DEFAULT_MAX_CONNECTIONS} connections, 60-second idle timeout. */
  public static final ConnectionLimits DEFAULT =
      new ConnectionLimits(DEFAULT_MAX_CONNECTIONS, DEFAULT_IDLE_TIMEOUT);

  /** Checks the bounds. */
  public ConnectionLimits {
    if (maxConnections < 1 || maxConnections > MAX_CONNECTIONS_LIMIT) {
      throw new IllegalArgumentException(
          "max connections must be in 1.." + MAX_CONNECTIONS_LIMIT + ", was " + maxConnections);
    }
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idle timeout must be positive, was " + idleTimeout);
    }
  }

  /** These limits with another connection cap. */
  public ConnectionLimits withMaxConnections(int count) {
    return new ConnectionLimits(count, idleTimeout);
  }

  /** These limits with another idle timeout. */
  public ConnectionLimits withIdleTimeout(Duration timeout) {
    return new ConnectionLimits(maxConnections, timeout);
  }
}
