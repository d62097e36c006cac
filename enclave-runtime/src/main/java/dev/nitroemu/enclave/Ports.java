package dev.nitroemu.enclave;

/**
 * The one place port numbers are checked: TCP ports (16-bit) and vsock ports (32-bit unsigned, as
 * in Linux's {@code struct sockaddr_vm}). Each check names the value in its message, e.g. {@code
 * destination port must be in 1..65535, was 70000}.
 */
public final class Ports {

  /** The largest TCP port. */
  public static final int MAX_TCP_PORT = 65535;

  /** The largest vsock port, {@code VMADDR_PORT_ANY} (-1U): "any free port" when listening. */
  public static final long MAX_VSOCK_PORT = 0xFFFF_FFFFL;

  private static final int MAX_DIGITS = 10;

  private Ports() {}

  /**
   * A TCP port to connect to or serve on: {@code 1..65535}.
   *
   * @param what names the value in the message, e.g. {@code "destination port"}
   * @throws IllegalArgumentException if {@code port} is out of range
   */
  public static int tcp(long port, String what) {
    return (int) check(port, 1, MAX_TCP_PORT, what);
  }

  /**
   * A TCP port to bind, where {@code 0} asks the system for any free port: {@code 0..65535}.
   *
   * @throws IllegalArgumentException if {@code port} is out of range
   */
  public static int tcpOrAny(long port, String what) {
    return (int) check(port, 0, MAX_TCP_PORT, what);
  }

  /**
   * Any vsock port value, {@code 0..4294967295} ({@code 4294967295} is {@code VMADDR_PORT_ANY}).
   *
   * @throws IllegalArgumentException if {@code port} is out of range
   */
  public static long vsock(long port, String what) {
    return check(port, 0, MAX_VSOCK_PORT, what);
  }

  /**
   * A vsock port a service listens on and peers connect to: {@code 1..4294967294}, neither 0 nor
   * {@code VMADDR_PORT_ANY}.
   *
   * @throws IllegalArgumentException if {@code port} is out of range
   */
  public static long vsockService(long port, String what) {
    return check(port, 1, MAX_VSOCK_PORT - 1, what);
  }

  /**
   * Parses a port written as unsigned decimal digits (at most 10, no sign, no spaces); check the
   * result with one of the range checks.
   *
   * @throws IllegalArgumentException if {@code text} is not such a number, quoting it
   */
  public static long parse(String text, String what) {
    if (text == null
        || text.isEmpty()
        || text.length() > MAX_DIGITS
        || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
      String shown =
          text == null ? "null" : text.length() > 20 ? text.substring(0, 20) + "..." : text;
      throw new IllegalArgumentException(
          what + " must be an unsigned decimal number, was '" + shown + "'");
    }
    return Long.parseLong(text);
  }

  private static long check(long port, long min, long max, String what) {
    if (port < min || port > max) {
      throw new IllegalArgumentException(
          what + " must be in " + min + ".." + max + ", was " + port);
    }
    return port;
  }
}
