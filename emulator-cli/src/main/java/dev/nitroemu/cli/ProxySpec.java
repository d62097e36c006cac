package dev.nitroemu.cli;

/** One {@code --proxy LOCAL_PORT:HOST:PORT} argument: a vsock port forwarded to a TCP destination. */
record ProxySpec(long vsockPort, String host, int port) {

  /** Parses {@code 8000:kms.us-east-1.amazonaws.com:443} (an IPv6 host goes in brackets). */
  static ProxySpec parse(String text) {
    int first = text.indexOf(':');
    int last = text.lastIndexOf(':');
    if (first <= 0 || last == first || last == text.length() - 1) {
      throw new CliFailure("--proxy: expected LOCAL_PORT:HOST:PORT, got '" + text + "'", 2);
    }
    String host = text.substring(first + 1, last);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.isEmpty()) {
      throw new CliFailure("--proxy: empty host in '" + text + "'", 2);
    }
    return new ProxySpec(
        number(text.substring(0, first), 0xFFFF_FFFEL, text), host, (int) number(text.substring(last + 1), 65535, text));
  }

  private static long number(String digits, long max, String text) {
    try {
      long value = Long.parseLong(digits);
      if (value < 1 || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new CliFailure("--proxy: port '" + digits + "' out of range in '" + text + "'", 2);
    }
  }
}
