package dev.nitroemu.stack;

import dev.nitroemu.enclave.VsockAddress;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * One service a running emulated stack exposes to other processes: its name ({@code kms}, {@code
 * nsm}, {@code kms-proxy}, {@code proxy-<port>}), the address clients use ({@code
 * http://127.0.0.1:4599}, {@code vsock://3:9797}), the loopback TCP endpoint behind it, and for a
 * vsock-proxy the {@code host:port} it forwards to (null otherwise).
 *
 * @param name the service name
 * @param address what clients connect to
 * @param tcp the loopback TCP endpoint carrying it
 * @param destination where a proxy forwards to, or null
 */
public record ServiceEndpoint(
    String name, String address, InetSocketAddress tcp, String destination) {
  /** Name of the KMS mock. */
  public static final String KMS = "kms";

  /** Name of the NSM device protocol service. */
  public static final String NSM = "nsm";

  /** Name of the vsock-proxy to the KMS mock. */
  public static final String KMS_PROXY = "kms-proxy";

  /** Name prefix of further vsock-proxies, followed by their vsock port. */
  public static final String PROXY_PREFIX = "proxy-";

  /** Checks that the name, address and TCP endpoint are present. */
  public ServiceEndpoint {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(tcp, "tcp");
  }

  /**
   * The vsock address of a vsock service.
   *
   * @throws IllegalStateException for a service reached over TCP only (KMS)
   */
  public VsockAddress vsockAddress() {
    if (!address.startsWith("vsock://")) {
      throw new IllegalStateException(
          name + " is served on " + address + ", not on a vsock address");
    }
    return VsockAddress.parse(address);
  }

  /** The TCP endpoint as {@code host:port}. */
  public String tcpText() {
    return tcp.getHostString() + ":" + tcp.getPort();
  }
}
