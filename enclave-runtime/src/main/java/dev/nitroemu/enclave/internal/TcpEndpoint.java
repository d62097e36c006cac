package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Ports;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A TCP endpoint as written in a mapping file: a host name or IP literal and a port; resolved only
 * when connecting, so a mapping may name e.g. {@code host.docker.internal}.
 *
 * @param host a host name, IPv4 literal or IPv6 literal (without brackets)
 * @param port 1..65535
 */
public record TcpEndpoint(String host, int port) {

  public TcpEndpoint {
    Objects.requireNonNull(host, "host");
    if (host.isEmpty()) {
      throw new IllegalArgumentException("TCP endpoint host is empty");
    }
    Ports.tcp(port, "TCP endpoint port");
  }

  /** The endpoint of a bound socket address. */
  public static TcpEndpoint of(InetSocketAddress address) {
    return new TcpEndpoint(address.getAddress().getHostAddress(), address.getPort());
  }

  /**
   * Parses {@code HOST:PORT} or {@code [IPV6]:PORT}.
   *
   * @throws IllegalArgumentException naming the problem
   */
  public static TcpEndpoint parse(String text) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new IllegalArgumentException(
          "TCP endpoint must look like HOST:PORT, was '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException(
          "IPv6 TCP endpoint must look like [ADDRESS]:PORT, was '" + text + "'");
    }
    return new TcpEndpoint(
        host,
        Ports.tcp(
            Ports.parse(text.substring(colon + 1), "TCP endpoint port"), "TCP endpoint port"));
  }

  /** A socket address to connect to; resolves the host name. */
  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
