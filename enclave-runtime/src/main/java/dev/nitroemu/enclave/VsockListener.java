package dev.nitroemu.enclave;

import java.io.IOException;

/**
 * A listening vsock socket, shaped like {@link java.net.ServerSocket}: it accepts connections made
 * to its bound address until closed.
 */
public interface VsockListener extends StreamListener<VsockConnection, VsockAddress> {

  /**
   * Blocks until a peer connects and returns the connection.
   *
   * @throws java.net.SocketException if the listener is or gets closed while waiting
   */
  @Override
  VsockConnection accept() throws IOException;

  /**
   * The bound address, with a concrete port even if {@link VsockAddress#PORT_ANY} was asked for.
   */
  @Override
  VsockAddress localAddress();

  /**
   * Stops listening and wakes a blocked {@link #accept()}; idempotent. Accepted connections stay
   * open.
   */
  @Override
  void close() throws IOException;
}
