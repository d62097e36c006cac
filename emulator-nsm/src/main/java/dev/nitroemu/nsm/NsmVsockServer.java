package dev.nitroemu.nsm;

import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.vsock.FramedMessageServer;
import java.io.IOException;
import java.util.Objects;

/**
 * Serves an {@link Nsm}'s {@code /dev/nsm} protocol on a vsock port, so an enclave application in
 * another JVM or container reaches it with {@link RemoteNsm}.
 *
 * <p><b>Protocol.</b> Each request is a 4-byte big-endian length followed by the CBOR request bytes
 * exactly as written to {@code /dev/nsm}; the reply is framed the same way and carries the CBOR
 * response bytes of {@link Nsm#process(byte[])}. One connection carries any number of requests, one
 * at a time; connections are served in parallel.
 *
 * <p><b>Bounds and errors.</b> A request over {@value Nsm#MAX_REQUEST_SIZE} bytes (in a frame of at
 * most 64 KiB) is read, discarded and answered with the module's {@code InputTooLarge} error
 * response; a frame declared larger than 64 KiB closes that connection. Malformed CBOR gets the
 * module's own answer ({@code InvalidOperation}). If the module throws, or answers with nothing or
 * with more than {@value Nsm#MAX_RESPONSE_SIZE} bytes (the device's response buffer), the reply is
 * an {@code InternalError} response; the server keeps serving.
 *
 * <p><b>Connection limits</b> ({@link ConnectionLimits}; default {@value
 * ConnectionLimits#DEFAULT_MAX_CONNECTIONS} connections, 60 s idle timeout), as {@link
 * FramedMessageServer} applies them: a client silent for the idle timeout, between requests or in
 * the middle of one, is disconnected; when every connection is taken, a new client takes the place
 * of the connection that has waited longest for its client (no request of it has been acted on),
 * and only when every connection has a request in the module is a new one closed at once. So idle
 * or half-sent connections never keep a further client from its answer. {@link RemoteNsm} reopens a
 * connection the server closed while it was unused.
 */
public final class NsmVsockServer implements AutoCloseable {

  /** The vsock port the emulator serves the NSM on unless told otherwise. */
  public static final long DEFAULT_PORT = RemoteNsm.DEFAULT_PORT;

  private static final byte[] INPUT_TOO_LARGE_RESPONSE =
      NsmCodec.encodeResponse(new NsmResponse.Error(ErrorCode.INPUT_TOO_LARGE));
  private static final byte[] INTERNAL_ERROR_RESPONSE =
      NsmCodec.encodeResponse(new NsmResponse.Error(ErrorCode.INTERNAL_ERROR));

  private final FramedMessageServer server;

  private NsmVsockServer(FramedMessageServer server) {
    this.server = server;
  }

  /**
   * Starts serving {@code nsm} on {@code listenAddress} (e.g. {@code vsock://3:9797}, or a port of
   * {@link VsockAddress#PORT_ANY} for a free one).
   *
   * @throws java.net.BindException if the address is already in use
   * @throws IOException if the transport cannot listen
   */
  public static NsmVsockServer start(Nsm nsm, VsockTransport transport, VsockAddress listenAddress)
      throws IOException {
    return start(nsm, transport, listenAddress, ConnectionLimits.DEFAULT);
  }

  /**
   * Starts serving {@code nsm} on {@code listenAddress} within {@code limits} (connection cap and
   * idle timeout).
   *
   * @throws java.net.BindException if the address is already in use
   * @throws IOException if the transport cannot listen
   */
  public static NsmVsockServer start(
      Nsm nsm, VsockTransport transport, VsockAddress listenAddress, ConnectionLimits limits)
      throws IOException {
    Objects.requireNonNull(nsm, "nsm");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(transport, "transport");
    Objects.requireNonNull(listenAddress, "listenAddress");
    FramedMessageServer server =
        FramedMessageServer.builder(transport, request -> answer(nsm, request))
            .listenAddress(listenAddress)
            .maxRequestSize(
                Nsm.MAX_REQUEST_SIZE, declaredLength -> INPUT_TOO_LARGE_RESPONSE.clone())
            .errorReply(failure -> INTERNAL_ERROR_RESPONSE.clone())
            .limits(limits)
            .build();
    return new NsmVsockServer(server.start());
  }

  /** The address the server listens on, with the concrete port. */
  public VsockAddress localAddress() {
    return server.localAddress();
  }

  /** The connection cap and idle timeout in force. */
  public ConnectionLimits limits() {
    return server.limits();
  }

  /** Client connections open right now. */
  public int activeConnections() {
    return server.activeConnections();
  }

  /**
   * Connections closed at once since start because every connection had a request in the module.
   */
  public long refusedConnections() {
    return server.refusedConnections();
  }

  /**
   * Stops listening and closes every connection; idempotent. The {@link Nsm} stays open: whoever
   * created it closes it.
   */
  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return "NsmVsockServer[" + server + "]";
  }

  /** One raw request through the module; anything but a bounded response becomes InternalError. */
  private static byte[] answer(Nsm nsm, byte[] request) {
    byte[] response;
    try {
      response = nsm.process(request);
    } catch (RuntimeException e) {
      return INTERNAL_ERROR_RESPONSE.clone();
    }
    if (response == null || response.length > Nsm.MAX_RESPONSE_SIZE) {
      return INTERNAL_ERROR_RESPONSE.clone();
    }
    return response;
  }
}
