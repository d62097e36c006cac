package dev.nitroemu.enclave;

/**
 * One connected vsock stream: a {@link StreamConnection} (blocking streams, half-close, read
 * timeout, close) plus the vsock addresses of both ends.
 */
public interface VsockConnection extends StreamConnection {

  /** This end's address. */
  VsockAddress localAddress();

  /** The peer's address (see the transport for what it can know about the peer). */
  VsockAddress remoteAddress();
}
