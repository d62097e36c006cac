package dev.nitroemu.enclave;

import java.io.IOException;
import java.time.Duration;

/**
 * Opens vsock connections and listeners, either emulated over loopback TCP ({@link VsockNetwork}) or
 * real AF_VSOCK ({@link AfVsockTransport}), so the same code runs on a laptop and in an enclave.
 *
 * <p>Errors use the {@code java.net} types: {@link java.net.ConnectException} when nothing listens
 * (connection refused), {@link java.net.SocketTimeoutException} when a connect times out, {@link
 * java.net.BindException} when an address is in use.
 */
public interface VsockTransport {

  /** Connect timeout used by {@link #connect(VsockAddress)}. */
  Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Connects to a listener.
   *
   * @param address the peer; neither its CID nor its port may be the "any" value
   * @param timeout how long to wait for the connection; {@link Duration#ZERO} waits as long as the
   *     transport allows
   * @throws java.net.ConnectException if nothing listens at {@code address}
   * @throws java.net.SocketTimeoutException if the timeout passes first
   */
  VsockConnection connect(VsockAddress address, Duration timeout) throws IOException;

  /** Connects with {@link #DEFAULT_CONNECT_TIMEOUT}. */
  default VsockConnection connect(VsockAddress address) throws IOException {
    return connect(address, DEFAULT_CONNECT_TIMEOUT);
  }

  /**
   * Starts listening.
   *
   * @param address the CID to listen on (or {@link VsockAddress#CID_ANY}) and the port (or {@link
   *     VsockAddress#PORT_ANY} for a free one)
   * @throws java.net.BindException if the address is already in use
   */
  VsockListener listen(VsockAddress address) throws IOException;

  /**
   * The transport for a mode: {@link VsockNetwork#fromEnvironment()} when emulated, {@link
   * AfVsockTransport#open()} when real.
   *
   * @throws VsockUnavailableException if the mode is real but AF_VSOCK is not available here
   */
  static VsockTransport forMode(NitroMode mode) throws IOException {
    return mode == NitroMode.REAL ? AfVsockTransport.open() : VsockNetwork.fromEnvironment();
  }
}
