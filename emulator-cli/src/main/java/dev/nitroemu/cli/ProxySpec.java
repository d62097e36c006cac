package dev.nitroemu.cli;

import dev.nitroemu.enclave.Ports;

/**
 * One {@code --proxy LOCAL_PORT:HOST:PORT} argument: a vsock port forwarded to a TCP destination.
 */
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
    try {
      long vsockPort =
          Ports.vsockService(
              Ports.parse(text.substring(0, first), "local vsock port"), "local vsock port");
      int port =
          Ports.tcp(Ports.parse(text.substring(last + 1), "destination port"), "destination port");
      return new ProxySpec(vsockPort, host, port);
    } catch (IllegalArgumentException e) {
      throw new CliFailure("--proxy: " + e.getMessage() + " in '" + text + "'", 2);
    }
  }
}
