package dev.nitroemu.enclave;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;

/**
 * Opens vsock connections and listeners, either emulated over loopback TCP ({@link VsockNetwork}),
 * over a directory of Unix sockets shared with a container ({@link HybridVsockTransport}), or real
 * AF_VSOCK ({@link AfVsockTransport}), so the same code runs on a laptop, in a container and in an
 * enclave.
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
   * The transport for a mode under the system settings: {@link #forMode(NitroMode, NitroSettings)}
   * with {@link NitroSettings#system()}.
   *
   * @throws VsockUnavailableException if the mode is real but AF_VSOCK is not available here
   */
  static VsockTransport forMode(NitroMode mode) throws IOException {
    return forMode(mode, NitroSettings.system());
  }

  /**
   * The transport for a mode: {@link AfVsockTransport#open()} when real; when emulated, the enclave
   * side of {@link HybridVsockTransport} if {@value HybridVsockTransport#DIRECTORY_PROPERTY}
   * ({@value HybridVsockTransport#DIRECTORY_ENVIRONMENT_VARIABLE}) names a directory of Unix
   * sockets (an enclave in a container), else {@link VsockNetwork#fromSettings(NitroSettings)}
   * (vsock over loopback TCP). The hybrid and TCP transports should be closed when done ({@link
   * AutoCloseable}).
   *
   * @throws VsockUnavailableException if the mode is real but AF_VSOCK is not available here
   * @throws IllegalArgumentException naming the setting if one is malformed
   */
  static VsockTransport forMode(NitroMode mode, NitroSettings settings) throws IOException {
    if (mode == NitroMode.REAL) {
      return AfVsockTransport.open();
    }
    Optional<HybridVsockTransport> hybrid = HybridVsockTransport.fromSettings(settings);
    return hybrid.isPresent() ? hybrid.get() : VsockNetwork.fromSettings(settings);
  }

  /**
   * The transport this process is configured for: {@link #forMode(NitroMode, NitroSettings)} for
   * the system settings' mode.
   */
  static VsockTransport fromEnvironment() throws IOException {
    NitroSettings settings = NitroSettings.system();
    return forMode(settings.mode(), settings);
  }
}
