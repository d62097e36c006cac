package dev.nitroemu.nsm;

import static dev.nitroemu.nsm.NsmVsockServerFixtures.ADDRESS;
import static dev.nitroemu.nsm.NsmVsockServerFixtures.DESCRIBE_NSM;
import static dev.nitroemu.nsm.NsmVsockServerFixtures.writeFrameHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationVerifier;
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
import dev.nitroemu.nsm.NsmVsockServerFixtures.DelegatingNsm;
import dev.nitroemu.vsock.FramedMessageServer;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.BindException;
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

/** NsmVsockServer: its framing, error replies, concurrent connections, bind and close. */
@Timeout(60)
@SuppressWarnings("try") // Servers opened only to be running during the try block.
class NsmVsockServerTest {
  private static final byte[] INPUT_TOO_LARGE = error(ErrorCode.INPUT_TOO_LARGE);
  private static final byte[] INVALID_OPERATION = error(ErrorCode.INVALID_OPERATION);
  private static final byte[] INTERNAL_ERROR = error(ErrorCode.INTERNAL_ERROR);

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
}
