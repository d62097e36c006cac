package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.ConnectionLimits;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.FramedMessageClient;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.WireNsm;
import dev.nitroemu.vsock.FramedMessageServer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.BindException;
import java.net.SocketTimeoutException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
@SuppressWarnings("try") // Servers opened only to be running during the try block.
class NsmVsockServerTest {
  private static final VsockAddress ADDRESS =
      VsockAddress.of(VsockAddress.CID_PARENT, NsmVsockServer.DEFAULT_PORT);
  private static final byte[] DESCRIBE_NSM = NsmCodec.encodeRequest(new NsmRequest.DescribeNsm());
  private static final byte[] INPUT_TOO_LARGE = error(ErrorCode.INPUT_TOO_LARGE);
  private static final byte[] INVALID_OPERATION = error(ErrorCode.INVALID_OPERATION);
  private static final byte[] INTERNAL_ERROR = error(ErrorCode.INTERNAL_ERROR);
  private static final byte[] HELD_REPLY = {7, 7};
  private static final Duration PATIENCE = Duration.ofSeconds(20);

  private final VsockNetwork network = VsockNetwork.create();
  private final SoftwareNsm nsm = SoftwareNsm.create();
  private NsmVsockServer server;

  @BeforeEach
  void startServer() throws IOException {
    server = NsmVsockServer.start(nsm, network, ADDRESS);
  }

  @AfterEach
  void stop() throws IOException {
    server.close();
    network.close();
  }

  private FramedMessageClient client() throws IOException {
    return FramedMessageClient.connect(network, ADDRESS, Duration.ofSeconds(10));
  }

  private static byte[] error(ErrorCode code) {
    return NsmCodec.encodeResponse(new NsmResponse.Error(code));
  }

  private static byte[] extendRequest(int index, int dataLength) {
    return NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(index, new byte[dataLength]));
  }

  private static void writeFrameHeader(VsockConnection connection, int declaredLength, byte[] body)
      throws IOException {
    DataOutputStream out = new DataOutputStream(connection.outputStream());
    out.writeInt(declaredLength);
    out.write(body);
    out.flush();
  }

  @Test
  void listensOnTheRequestedAddress() {
    assertThat(server.localAddress()).isEqualTo(ADDRESS);
    assertThat(server.activeConnections()).isZero();
  }

  @Test
  void repliesAreTheModulesResponseBytesInAFourByteBigEndianFrame() throws Exception {
    try (VsockConnection raw = network.connect(ADDRESS)) {
      writeFrameHeader(raw, DESCRIBE_NSM.length, DESCRIBE_NSM);
      DataInputStream in = new DataInputStream(raw.inputStream());
      int length = in.readInt();
      byte[] reply = new byte[length];
      in.readFully(reply);

      assertThat(reply).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  @Test
  void attestationFieldOverTheDocumentLimitIsInputTooLargeOverTheWire() throws Exception {
    byte[] over = new byte[AttestationDocument.MAX_OPTIONAL_FIELD + 1];
    try (FramedMessageClient client = client();
        RemoteNsm remote = RemoteNsm.connect(network, ADDRESS)) {
      assertThat(client.call(NsmCodec.encodeRequest(new NsmRequest.Attestation(null, null, over))))
          .isEqualTo(INPUT_TOO_LARGE);
      assertThatThrownBy(() -> remote.attestation(over, null, null))
          .isInstanceOfSatisfying(
              NsmException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INPUT_TOO_LARGE));
      assertThat(remote.attestation(new byte[1024], null, null)).isNotEmpty();
    }
  }

  @Test
  void oneConnectionServesManyRequests() throws Exception {
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    byte[] expected = new byte[48];
    try (FramedMessageClient client = client()) {
      for (int i = 0; i < 100; i++) {
        byte[] data = {(byte) i};
        sha384.update(expected);
        expected = sha384.digest(data);
        byte[] reply = client.call(NsmCodec.encodeRequest(new NsmRequest.ExtendPcr(16, data)));
        assertThat(NsmCodec.decodeResponse(reply)).isEqualTo(new NsmResponse.ExtendPcr(expected));
      }
    }
    assertThat(nsm.describePcr(16).data()).isEqualTo(expected);
  }

  @Test
  void requestOverTheDriverLimitGetsInputTooLargeAndTheConnectionStaysUsable() throws Exception {
    int overhead = extendRequest(16, 1000).length - 1000; // same 2-byte length head for 256..65535
    byte[] justTooLarge = extendRequest(16, Nsm.MAX_REQUEST_SIZE + 1 - overhead);
    byte[] largest = extendRequest(16, Nsm.MAX_REQUEST_SIZE - overhead);
    assertThat(justTooLarge.length).isEqualTo(4097);
    assertThat(largest.length).isEqualTo(4096);
    byte[] before = nsm.describePcr(16).data();
    AtomicInteger reachedModule = new AtomicInteger();
    VsockAddress address = VsockAddress.of(16, NsmVsockServer.DEFAULT_PORT);

    try (NsmVsockServer counting =
            NsmVsockServer.start(
                new DelegatingNsm(
                    request -> {
                      reachedModule.incrementAndGet();
                      return nsm.process(request);
                    }),
                network,
                address);
        FramedMessageClient client = FramedMessageClient.connect(network, address, Duration.ZERO)) {
      assertThat(client.call(justTooLarge)).isEqualTo(INPUT_TOO_LARGE);
      assertThat(client.call(new byte[FramedMessageServer.MAX_FRAME_SIZE]))
          .isEqualTo(INPUT_TOO_LARGE);
      assertThat(reachedModule).as("oversized requests never reach the module").hasValue(0);
      assertThat(nsm.describePcr(16).data()).isEqualTo(before);

      assertThat(NsmCodec.decodeResponse(client.call(largest)))
          .isInstanceOf(NsmResponse.ExtendPcr.class);
      assertThat(reachedModule).hasValue(1);
      assertThat(nsm.describePcr(16).data()).isNotEqualTo(before);
      assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  @Test
  void frameOver64KibClosesOnlyThatConnection() throws Exception {
    try (FramedMessageClient bystander = client();
        VsockConnection raw = network.connect(ADDRESS)) {
      assertThat(bystander.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));

      writeFrameHeader(raw, FramedMessageServer.MAX_FRAME_SIZE + 1, new byte[16]);

      assertThat(raw.inputStream().read()).isEqualTo(-1);
      assertThat(bystander.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
    try (FramedMessageClient later = client()) {
      assertThat(later.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  @Test
  void garbageCborGetsInvalidOperation() throws Exception {
    byte[] unknownOperation = {0x66, 'R', 'e', 'b', 'o', 'o', 't'}; // the text "Reboot"
    try (FramedMessageClient client = client()) {
      assertThat(client.call(new byte[] {(byte) 0xFF, 0x00, 0x13})).isEqualTo(INVALID_OPERATION);
      assertThat(client.call(new byte[0])).isEqualTo(INVALID_OPERATION);
      assertThat(client.call(unknownOperation)).isEqualTo(INVALID_OPERATION);
      assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  @Test
  void failuresOfTheModuleBecomeInternalErrorAndTheServerKeepsServing() throws Exception {
    byte[] throwsMarker = {1};
    byte[] nullMarker = {2};
    byte[] hugeMarker = {3};
    UnaryOperator<byte[]> faulty =
        request -> {
          if (request.length == 1 && request[0] == throwsMarker[0]) {
            throw new IllegalStateException("module exploded");
          }
          if (request.length == 1 && request[0] == nullMarker[0]) {
            return null;
          }
          if (request.length == 1 && request[0] == hugeMarker[0]) {
            return new byte[Nsm.MAX_RESPONSE_SIZE + 1];
          }
          return nsm.process(request);
        };
    try (DelegatingNsm module = new DelegatingNsm(faulty);
        NsmVsockServer faultyServer =
            NsmVsockServer.start(module, network, VsockAddress.of(16, 9797));
        FramedMessageClient client =
            FramedMessageClient.connect(network, VsockAddress.of(16, 9797), Duration.ZERO)) {
      assertThat(client.call(throwsMarker)).isEqualTo(INTERNAL_ERROR);
      assertThat(client.call(nullMarker)).isEqualTo(INTERNAL_ERROR);
      assertThat(client.call(hugeMarker)).isEqualTo(INTERNAL_ERROR);
      assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  @Test
  void servesFiftyConcurrentConnectionsEachDoingRequests() throws Exception {
    int clients = 60;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    CountDownLatch allServedOnce = new CountDownLatch(clients);
    CountDownLatch counted = new CountDownLatch(1);
    AtomicBoolean allOpenAtOnce = new AtomicBoolean();
    try {
      List<Future<byte[]>> documents = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        byte[] nonce = ("nonce-" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        documents.add(
            pool.submit(
                () -> {
                  try (FramedMessageClient client = client()) {
                    assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
                    allServedOnce.countDown();
                    counted.await();
                    NsmResponse random =
                        NsmCodec.decodeResponse(
                            client.call(NsmCodec.encodeRequest(new NsmRequest.GetRandom())));
                    assertThat(((NsmResponse.GetRandom) random).random())
                        .hasSize(SoftwareNsm.RANDOM_LENGTH);
                    byte[] reply =
                        client.call(
                            NsmCodec.encodeRequest(new NsmRequest.Attestation(null, nonce, null)));
                    return ((NsmResponse.Attestation) NsmCodec.decodeResponse(reply)).document();
                  }
                }));
      }
      assertThat(allServedOnce.await(30, TimeUnit.SECONDS)).isTrue();
      allOpenAtOnce.set(server.activeConnections() == clients);
      counted.countDown();

      AttestationVerifier verifier = AttestationVerifier.forRoot(nsm.rootCa().certificate());
      for (int i = 0; i < clients; i++) {
        byte[] nonce = ("nonce-" + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] document = documents.get(i).get(30, TimeUnit.SECONDS);
        assertThat(
                verifier
                    .verify(document, VerificationOptions.defaults().expectNonce(nonce))
                    .document()
                    .nonce())
            .isEqualTo(nonce);
      }
      assertThat(allOpenAtOnce).as("all %d connections served at once", clients).isTrue();
    } finally {
      counted.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void keepsServingAfterAClientVanishesMidFrame() throws Exception {
    try (VsockConnection stalled = network.connect(ADDRESS)) {
      writeFrameHeader(stalled, 100, new byte[10]);
      try (FramedMessageClient other = client()) {
        assertThat(other.call(DESCRIBE_NSM))
            .isEqualTo(nsm.process(DESCRIBE_NSM)); // not blocked by it
      }
    } // vanishes 90 bytes short of its frame
    try (VsockConnection headerOnly = network.connect(ADDRESS)) {
      headerOnly.outputStream().write(new byte[] {0, 0});
      headerOnly.outputStream().flush();
    } // vanishes inside the length prefix
    try (FramedMessageClient client = client()) {
      assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  @Test
  void closeIsIdempotentEndsConnectionsAndLeavesTheModuleOpen() throws Exception {
    DelegatingNsm module = new DelegatingNsm(nsm::process);
    VsockAddress address = VsockAddress.of(16, NsmVsockServer.DEFAULT_PORT);
    NsmVsockServer closing = NsmVsockServer.start(module, network, address);
    FramedMessageClient client = FramedMessageClient.connect(network, address, Duration.ZERO);
    assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));

    closing.close();
    closing.close();

    assertThatThrownBy(() -> client.call(DESCRIBE_NSM)).isInstanceOf(IOException.class);
    assertThat(module.closed).isFalse();
    try (NsmVsockServer again = NsmVsockServer.start(module, network, address);
        FramedMessageClient next = FramedMessageClient.connect(network, address, Duration.ZERO)) {
      assertThat(next.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
    client.close();
  }

  @Test
  void addressInUseIsABindException() {
    assertThatThrownBy(() -> NsmVsockServer.start(nsm, network, ADDRESS))
        .isInstanceOf(BindException.class);
  }

  @Test
  void anyPortIsResolvedToAConcretePort() throws Exception {
    try (NsmVsockServer any =
        NsmVsockServer.start(nsm, network, VsockAddress.of(16, VsockAddress.PORT_ANY))) {
      VsockAddress bound = any.localAddress();
      assertThat(bound.cid()).isEqualTo(16);
      assertThat(bound.isAnyPort()).isFalse();
      try (FramedMessageClient client =
          FramedMessageClient.connect(network, bound, Duration.ZERO)) {
        assertThat(client.call(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
      }
    }
  }

  /**
   * Issue 9: 256 idle connections, or connections stuck halfway through a frame, blocked every
   * further request, because the server took one of its 256 slots before accepting and then read
   * with no timeout. On that code the newcomer below is never served and its 20 s read timeout
   * fails the call; now, with the default limits, it takes the place of the connection that has
   * waited longest for its client.
   */
  @Test
  void idleAndHalfSentConnectionsDoNotKeepAFurtherClientFromItsAnswer() throws Exception {
    int squatters = ConnectionLimits.DEFAULT_MAX_CONNECTIONS;
    List<VsockConnection> open = new ArrayList<>();
    try {
      for (int i = 0; i < squatters; i++) {
        VsockConnection connection = network.connect(ADDRESS);
        open.add(connection);
        if (i % 2 == 1) {
          writeFrameHeader(connection, 100, new byte[10]); // Stuck 90 bytes short of its frame.
        }
      }
      awaitActiveConnections(server, squatters);

      assertThat(callUntilAnswered(ADDRESS, DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    } finally {
      open.forEach(Closeables::closeQuietly);
    }
  }

  /** Issue 9: a client that sends part of a frame and then nothing held its connection for ever. */
  @Test
  void aSlowlorisClientIsDisconnectedAfterTheIdleTimeout() throws Exception {
    VsockAddress address = VsockAddress.of(16, 9798);
    ConnectionLimits quick = ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(300));
    try (NsmVsockServer impatient = NsmVsockServer.start(nsm, network, address, quick);
        VsockConnection slowloris = network.connect(address)) {
      slowloris.readTimeout(PATIENCE);
      writeFrameHeader(slowloris, DESCRIBE_NSM.length, new byte[] {DESCRIBE_NSM[0]});

      assertThat(readOrReset(slowloris))
          .as("closed by the server, not by our read timeout")
          .isEqualTo(-1);
      awaitActiveConnections(impatient, 0);
    }
  }

  /**
   * Issue 9: more connections than the cap waited unaccepted for ever. Now, when every connection
   * has a request in the module, a newcomer is closed at once; on the old code its call hangs until
   * its 20 s read timeout, which this test tells apart from a refusal.
   */
  @Test
  void connectionsBeyondTheCapAreRefusedPromptlyWhileEveryOneIsBusy() throws Exception {
    byte[] hold = {42};
    CountDownLatch inModule = new CountDownLatch(2);
    CountDownLatch release = new CountDownLatch(1);
    VsockAddress address = VsockAddress.of(16, 9799);
    UnaryOperator<byte[]> holding =
        request -> {
          if (request.length == 1 && request[0] == hold[0]) {
            inModule.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return HELD_REPLY.clone();
          }
          return nsm.process(request);
        };
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (DelegatingNsm module = new DelegatingNsm(holding);
        NsmVsockServer capped =
            NsmVsockServer.start(
                module, network, address, ConnectionLimits.DEFAULT.withMaxConnections(2))) {
      List<Future<byte[]>> held = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        held.add(
            callers.submit(
                () -> {
                  try (FramedMessageClient client =
                      FramedMessageClient.connect(network, address, PATIENCE)) {
                    client.readTimeout(PATIENCE);
                    return client.call(hold);
                  }
                }));
      }
      assertThat(inModule.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();

      try (FramedMessageClient newcomer = FramedMessageClient.connect(network, address, PATIENCE)) {
        newcomer.readTimeout(PATIENCE);
        assertThatThrownBy(() -> newcomer.call(DESCRIBE_NSM))
            .isInstanceOf(IOException.class)
            .isNotInstanceOf(SocketTimeoutException.class);
      }
      assertThat(capped.refusedConnections()).isEqualTo(1);

      release.countDown();
      for (Future<byte[]> reply : held) {
        assertThat(reply.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isEqualTo(HELD_REPLY);
      }
      assertThat(callUntilAnswered(address, DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    } finally {
      release.countDown();
      callers.shutdownNow();
    }
  }

  /**
   * The service closes connections unused for its idle timeout; RemoteNsm keeps one connection for
   * all its calls, and before it checked for that close its next call failed with InternalError.
   */
  @Test
  void remoteNsmReopensAConnectionTheServiceClosedWhileUnused() throws Exception {
    VsockAddress address = VsockAddress.of(16, 9800);
    ConnectionLimits quick = ConnectionLimits.DEFAULT.withIdleTimeout(Duration.ofMillis(1500));
    try (NsmVsockServer impatient = NsmVsockServer.start(nsm, network, address, quick);
        RemoteNsm remote = RemoteNsm.connect(network, address)) {
      assertThat(remote.process(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));

      awaitActiveConnections(impatient, 0); // The service closed the unused connection.

      assertThat(remote.process(DESCRIBE_NSM)).isEqualTo(nsm.process(DESCRIBE_NSM));
    }
  }

  /**
   * Calls on fresh connections until one is answered (a full server may refuse a newcomer) or
   * patience runs out.
   */
  private byte[] callUntilAnswered(VsockAddress address, byte[] request) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      try (FramedMessageClient client = FramedMessageClient.connect(network, address, PATIENCE)) {
        client.readTimeout(PATIENCE);
        return client.call(request);
      } catch (SocketTimeoutException hung) {
        throw hung; // Not refused: left waiting, which is the failure this guards against.
      } catch (IOException refused) {
        if (System.nanoTime() > deadline) {
          throw refused;
        }
        Thread.sleep(20);
      }
    }
  }

  private static void awaitActiveConnections(NsmVsockServer server, int expected)
      throws InterruptedException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (server.activeConnections() != expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(server.activeConnections()).isEqualTo(expected);
  }

  private static int readOrReset(VsockConnection connection) throws IOException {
    try {
      return connection.inputStream().read();
    } catch (java.net.SocketException reset) {
      return -1;
    }
  }

  /** An Nsm whose raw entry point is a function, recording whether it was closed. */
  private static final class DelegatingNsm extends WireNsm {
    private final UnaryOperator<byte[]> process;
    private volatile boolean closed;

    DelegatingNsm(UnaryOperator<byte[]> process) {
      this.process = process;
    }

    @Override
    public byte[] process(byte[] request) {
      return process.apply(request);
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
