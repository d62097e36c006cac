package dev.nitroemu.enclave;

import static dev.nitroemu.enclave.Closeables.closeQuietly;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;

/**
 * An {@link Nsm} served by an NSM service (the emulator's {@code NsmVsockServer}), reached over
 * vsock: each call sends the same CBOR request bytes {@code /dev/nsm} would get and decodes the
 * module's reply, so an enclave application in another JVM or container uses the emulator through
 * the same interface as the in-process and the device module.
 *
 * <p><b>Transport.</b> One connection, opened by {@code connect}, carries every call; calls from
 * several threads are serialised. A request over {@value Nsm#MAX_REQUEST_SIZE} bytes is answered
 * locally with {@code InputTooLarge}, as the driver does; a reply over {@value
 * Nsm#MAX_RESPONSE_SIZE} bytes (the driver's buffer) is a transport failure.
 *
 * <p><b>Failures.</b> Like {@link DeviceNsm}, {@link #process(byte[])} throws only when the
 * transport fails (connection lost or refused, reply timeout, oversized reply): {@link
 * NsmException} with {@link ErrorCode#INTERNAL_ERROR} and a message naming the server's address.
 * The failed request is not retried (an {@code ExtendPCR} may have been applied); the next call
 * opens a new connection. The service closes connections that stay unused for its idle timeout (or
 * that it needs for a new client when full): before reusing a connection unused for over a second,
 * a call checks, waiting at most a millisecond, whether the service has closed it, and if so opens
 * a new one first. Use after {@link #close()} throws {@link IllegalStateException}.
 */
public final class RemoteNsm extends WireNsm {

  /**
   * System property naming the NSM service's vsock address; wins over {@value
   * #ADDRESS_ENVIRONMENT_VARIABLE}.
   */
  public static final String ADDRESS_PROPERTY = "nitro.nsm.address";

  /**
   * Environment variable naming the NSM service's vsock address when {@value #ADDRESS_PROPERTY} is
   * unset.
   */
  public static final String ADDRESS_ENVIRONMENT_VARIABLE = "NITRO_NSM_ADDRESS";

  /** The vsock port the emulator serves its NSM on, with the parent's CID ({@code 3:9797}). */
  public static final long DEFAULT_PORT = 9797;

  /** Where the emulator's NSM service listens by default: the parent (CID 3), port 9797. */
  public static final VsockAddress DEFAULT_ADDRESS =
      VsockAddress.of(VsockAddress.CID_PARENT, DEFAULT_PORT);

  /**
   * Unused this long, a connection is checked for a close by the service before it carries a call.
   */
  private static final long CHECK_REUSE_AFTER_NANOS = Duration.ofSeconds(1).toNanos();

  /** How long that check waits for an end of stream already in flight. */
  private static final Duration CLOSE_CHECK_WAIT = Duration.ofMillis(1);

  /** How long a call waits for its reply unless told otherwise. */
  public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(60);

  private static final byte[] INPUT_TOO_LARGE_RESPONSE =
      NsmCodec.encodeResponse(new NsmResponse.Error(ErrorCode.INPUT_TOO_LARGE));

  private final Object lock = new Object();
  private final VsockTransport transport;
  private final VsockAddress address;
  private final Duration replyTimeout;
  private final AutoCloseable ownedTransport;
  private FramedMessageClient client;
  private VsockConnection connection;
  private long lastUsedNanos;
  private boolean closed;

  private RemoteNsm(
      VsockTransport transport,
      VsockAddress address,
      Duration replyTimeout,
      AutoCloseable ownedTransport) {
    this.transport = transport;
    this.address = address;
    this.replyTimeout = replyTimeout;
    this.ownedTransport = ownedTransport;
  }

  /**
   * Connects to the NSM service at {@code address} through {@code transport}, waiting at most
   * {@link #DEFAULT_REPLY_TIMEOUT} for each reply.
   *
   * @throws java.net.ConnectException if nothing listens there
   * @throws IOException if the connection cannot be opened
   */
  public static RemoteNsm connect(VsockTransport transport, VsockAddress address)
      throws IOException {
    return connect(transport, address, DEFAULT_REPLY_TIMEOUT);
  }

  /**
   * Connects to the NSM service at {@code address} through {@code transport}.
   *
   * @param replyTimeout how long a call waits for its reply ({@link Duration#ZERO} = forever)
   * @throws java.net.ConnectException if nothing listens there
   * @throws IOException if the connection cannot be opened
   */
  public static RemoteNsm connect(
      VsockTransport transport, VsockAddress address, Duration replyTimeout) throws IOException {
    return open(Objects.requireNonNull(transport, "transport"), address, replyTimeout, null);
  }

  /**
   * Connects through the emulated transport this process is configured for ({@link
   * VsockTransport#forMode(NitroMode) VsockTransport.forMode(EMULATED)}): hybrid vsock when {@value
   * HybridVsockTransport#DIRECTORY_ENVIRONMENT_VARIABLE} names a directory of Unix sockets, else
   * the mapping file named by {@value VsockNetwork#MAPPING_FILE_PROPERTY} or {@value
   * VsockNetwork#MAPPING_FILE_ENVIRONMENT_VARIABLE}.
   *
   * @throws java.net.ConnectException if nothing listens there
   * @throws IOException if the connection cannot be opened
   */
  public static RemoteNsm connect(VsockAddress address) throws IOException {
    VsockTransport transport = VsockTransport.forMode(NitroMode.EMULATED);
    AutoCloseable owned = transport instanceof AutoCloseable closeable ? closeable : null;
    try {
      return open(transport, address, DEFAULT_REPLY_TIMEOUT, owned);
    } catch (IOException | RuntimeException e) {
      closeQuietly(owned);
      throw e;
    }
  }

  /**
   * Connects as {@link #connect(VsockAddress)} to the address named by {@value #ADDRESS_PROPERTY}
   * or {@value #ADDRESS_ENVIRONMENT_VARIABLE} ({@code vsock://CID:PORT} or {@code CID:PORT}), by
   * default {@code vsock://3:9797}.
   *
   * @throws IllegalArgumentException if the configured address is malformed
   * @throws IOException if the connection cannot be opened
   */
  public static RemoteNsm fromEnvironment() throws IOException {
    return connect(configuredAddress());
  }

  /**
   * The NSM service address configured by {@value #ADDRESS_PROPERTY} / {@value
   * #ADDRESS_ENVIRONMENT_VARIABLE}.
   */
  public static VsockAddress configuredAddress() {
    return NitroSettings.system()
        .get(ADDRESS_PROPERTY)
        .map(VsockAddress::parse)
        .orElse(DEFAULT_ADDRESS);
  }

  private static RemoteNsm open(
      VsockTransport transport, VsockAddress address, Duration replyTimeout, AutoCloseable owned)
      throws IOException {
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(replyTimeout, "replyTimeout");
    if (replyTimeout.isNegative()) {
      throw new IllegalArgumentException("reply timeout must be >= 0, was " + replyTimeout);
    }
    RemoteNsm nsm = new RemoteNsm(transport, address, replyTimeout, owned);
    synchronized (nsm.lock) {
      nsm.client = nsm.openClient();
    }
    return nsm;
  }

  /** The NSM service's vsock address. */
  public VsockAddress address() {
    return address;
  }

  /**
   * Sends one raw CBOR request to the service and returns its raw CBOR response.
   *
   * @throws NsmException {@link ErrorCode#INTERNAL_ERROR} if the transport fails
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public byte[] process(byte[] request) {
    Objects.requireNonNull(request, "request");
    if (request.length > MAX_REQUEST_SIZE) {
      return INPUT_TOO_LARGE_RESPONSE.clone();
    }
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("RemoteNsm for " + address + " is closed");
      }
      try {
        if (client != null
            && System.nanoTime() - lastUsedNanos > CHECK_REUSE_AFTER_NANOS
            && !stillOpen()) {
          dropClient(); // The service closed it while unused: nothing of this request was sent yet.
        }
        if (client == null) {
          client = openClient();
        }
        byte[] reply = client.call(request);
        lastUsedNanos = System.nanoTime();
        return reply;
      } catch (IOException | RuntimeException e) {
        dropClient();
        throw new NsmException(
            ErrorCode.INTERNAL_ERROR, "NSM service at " + address + " failed: " + describe(e), e);
      }
    }
  }

  /**
   * Closes the connection (and the transport if {@link #connect(VsockAddress)} made it);
   * idempotent.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      dropClient();
      if (ownedTransport != null) {
        closeQuietly(ownedTransport);
      }
    }
  }

  @Override
  public String toString() {
    return "RemoteNsm[" + address + (closed ? ", closed" : "") + "]";
  }

  private FramedMessageClient openClient() throws IOException {
    VsockConnection opened = transport.connect(address);
    try {
      opened.readTimeout(replyTimeout);
    } catch (IOException | RuntimeException e) {
      closeQuietly(opened);
      throw e;
    }
    connection = opened;
    lastUsedNanos = System.nanoTime();
    return FramedMessageClient.over(opened, MAX_RESPONSE_SIZE);
  }

  /**
   * Whether the idle connection can carry a call: false if the service has closed it (end of stream
   * or a reset waiting to be read) or sent something unasked, which leaves the stream out of step.
   */
  private boolean stillOpen() {
    try {
      connection.readTimeout(CLOSE_CHECK_WAIT);
      try {
        connection.inputStream().read();
        return false;
      } catch (SocketTimeoutException nothingPending) {
        connection.readTimeout(replyTimeout);
        return true;
      }
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private void dropClient() {
    if (client != null) {
      closeQuietly(client);
      client = null;
      connection = null;
    }
  }

  private static String describe(Exception e) {
    return e.getMessage() == null
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
