package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.VsockAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ProtocolException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Opens the Unix socket of a hybrid vsock connection: the parent's into the enclave through the
 * multiplexer socket, with the {@code CONNECT}/{@code OK} handshake, and any side's to a socket
 * file, turning a missing listener into "Connection refused".
 */
public final class HybridConnector {

  private HybridConnector() {}

  /**
   * The parent's connection to {@code address} in the enclave through {@code multiplexerSocket}:
   * sends {@code CONNECT <port>} and reads {@code OK <host port>}, all within {@code timeout}; the
   * connection's local address is {@code 3:<host port>}.
   *
   * @throws ConnectException if nothing listens, or the enclave side closes instead of answering
   * @throws SocketTimeoutException if the answer takes longer than {@code timeout}
   * @throws ProtocolException if the answer is malformed
   */
  public static UnixVsockConnection connectIntoEnclave(
      Path multiplexerSocket, VsockAddress address, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    UnixSocketConnection socket = connectSocket(multiplexerSocket, address, timeout);
    try {
      long hostPort;
      try {
        socket.outputStream().write(HybridHandshake.connectLine(address.port()));
        Duration left = Duration.ofNanos(Math.max(1, deadline - System.nanoTime()));
        hostPort = HybridHandshake.parseOk(HybridHandshake.readLine(socket, left));
      } catch (ProtocolException e) {
        throw new ProtocolException(
            "the enclave side of "
                + multiplexerSocket
                + " answered "
                + HybridHandshake.CONNECT
                + " badly: "
                + e.getMessage());
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException closedWithoutAnswer) {
        // End of stream, or a reset/broken pipe when it closed before reading our line: refused.
        ConnectException refused =
            new ConnectException("Connection refused: nothing listens at " + address);
        refused.initCause(closedWithoutAnswer);
        throw refused;
      }
      return new UnixVsockConnection(
          socket, VsockAddress.of(VsockAddress.CID_PARENT, hostPort), address);
    } catch (IOException | RuntimeException e) {
      Closeables.closeAfter(socket, e);
      throw e;
    }
  }

  /**
   * The Unix socket at {@code path}, which stands for {@code address}.
   *
   * @throws ConnectException naming {@code address} and {@code path} if nothing listens there
   */
  public static UnixSocketConnection connectSocket(
      Path path, VsockAddress address, Duration timeout) throws IOException {
    try {
      return UnixSocketConnection.connect(path, timeout);
    } catch (ConnectException e) {
      ConnectException refused =
          new ConnectException(
              "Connection refused: nothing listens at " + address + " (" + path + ")");
      refused.initCause(e);
      throw refused;
    }
  }
}
