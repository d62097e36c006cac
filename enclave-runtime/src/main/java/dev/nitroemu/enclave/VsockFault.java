package dev.nitroemu.enclave;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An adverse behaviour the emulated transport applies to new connections to one address, so code
 * that claims to handle socket errors can be tested; immutable.
 *
 * <p>Install one with {@link VsockNetwork#injectFault(VsockAddress, VsockFault)}. Faults act on the
 * connecting side, in the {@link VsockNetwork} the client connects through, and are captured when a
 * connection is opened (changing or removing a fault affects later connections only). Combine
 * several with {@link #and(VsockFault)}.
 */
public final class VsockFault {

  private static final VsockFault NONE =
      new VsockFault(Duration.ZERO, Duration.ZERO, false, -1, Duration.ZERO);

  private final Duration connectLatency;
  private final Duration readLatency;
  private final boolean refuse;
  private final long resetAfterBytes;
  private final Duration readStall;

  private VsockFault(
      Duration connectLatency,
      Duration readLatency,
      boolean refuse,
      long resetAfterBytes,
      Duration readStall) {
    this.connectLatency = connectLatency;
    this.readLatency = readLatency;
    this.refuse = refuse;
    this.resetAfterBytes = resetAfterBytes;
    this.readStall = readStall;
  }

  /** Adds {@code delay} before every connect and before every read. */
  public static VsockFault latency(Duration delay) {
    return connectLatency(delay).and(readLatency(delay));
  }

  /**
   * Adds {@code delay} before every connect; if the connect timeout is shorter, the connect fails
   * with {@link java.net.SocketTimeoutException} once the timeout has passed.
   */
  public static VsockFault connectLatency(Duration delay) {
    return new VsockFault(
        positive("connect latency", delay), Duration.ZERO, false, -1, Duration.ZERO);
  }

  /** Adds {@code delay} before every read call on the connection's input stream. */
  public static VsockFault readLatency(Duration delay) {
    return new VsockFault(Duration.ZERO, positive("read latency", delay), false, -1, Duration.ZERO);
  }

  /**
   * Refuses connections: connect throws {@link java.net.ConnectException} ("Connection refused").
   */
  public static VsockFault refuse() {
    return new VsockFault(Duration.ZERO, Duration.ZERO, true, -1, Duration.ZERO);
  }

  /**
   * Resets the connection once {@code bytes} bytes have passed through it, counting bytes sent plus
   * bytes received at the connecting side: exactly that many are delivered, then the local call
   * throws {@link java.net.SocketException} ("Connection reset") and the peer sees a TCP reset.
   *
   * @param bytes at least 0; 0 resets on the first read or write
   */
  public static VsockFault resetAfter(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("reset threshold must be >= 0 bytes, was " + bytes);
    }
    return new VsockFault(Duration.ZERO, Duration.ZERO, false, bytes, Duration.ZERO);
  }

  /**
   * Stalls reads: no read returns data until {@code stall} has passed since the connection opened;
   * a blocked read ends early if the connection is closed (throwing {@link
   * java.net.SocketException}) or its read timeout passes (throwing {@link
   * java.net.SocketTimeoutException}).
   */
  public static VsockFault stallReads(Duration stall) {
    return new VsockFault(Duration.ZERO, Duration.ZERO, false, -1, positive("read stall", stall));
  }

  /** This fault plus {@code other}; where both set the same aspect, {@code other}'s value wins. */
  public VsockFault and(VsockFault other) {
    Objects.requireNonNull(other, "other");
    return new VsockFault(
        other.connectLatency.isZero() ? connectLatency : other.connectLatency,
        other.readLatency.isZero() ? readLatency : other.readLatency,
        refuse || other.refuse,
        other.resetAfterBytes >= 0 ? other.resetAfterBytes : resetAfterBytes,
        other.readStall.isZero() ? readStall : other.readStall);
  }

  /** No fault at all; what connections get when none is installed. */
  public static VsockFault none() {
    return NONE;
  }

  /** Delay before each connect ({@link Duration#ZERO} if none). */
  public Duration connectLatency() {
    return connectLatency;
  }

  /** Delay before each read ({@link Duration#ZERO} if none). */
  public Duration readLatency() {
    return readLatency;
  }

  /** Whether connects are refused. */
  public boolean refusesConnections() {
    return refuse;
  }

  /** Bytes after which the connection is reset, or -1 if never. */
  public long resetAfterBytes() {
    return resetAfterBytes;
  }

  /** How long reads stall after the connection opens ({@link Duration#ZERO} if not at all). */
  public Duration readStall() {
    return readStall;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VsockFault
        && ((VsockFault) o).connectLatency.equals(connectLatency)
        && ((VsockFault) o).readLatency.equals(readLatency)
        && ((VsockFault) o).refuse == refuse
        && ((VsockFault) o).resetAfterBytes == resetAfterBytes
        && ((VsockFault) o).readStall.equals(readStall);
  }

  @Override
  public int hashCode() {
    return Objects.hash(connectLatency, readLatency, refuse, resetAfterBytes, readStall);
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (refuse) {
      parts.add("refuse");
    }
    if (!connectLatency.isZero()) {
      parts.add("connectLatency=" + connectLatency);
    }
    if (!readLatency.isZero()) {
      parts.add("readLatency=" + readLatency);
    }
    if (resetAfterBytes >= 0) {
      parts.add("resetAfter=" + resetAfterBytes + "B");
    }
    if (!readStall.isZero()) {
      parts.add("stallReads=" + readStall);
    }
    return "VsockFault" + (parts.isEmpty() ? "[none]" : parts.toString());
  }

  private static Duration positive(String what, Duration value) {
    Objects.requireNonNull(value, what);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + value);
    }
    return value;
  }
}
