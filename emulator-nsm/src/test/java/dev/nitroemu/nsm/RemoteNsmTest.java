package dev.nitroemu.nsm;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.PcrDescription;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.TestPki;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockFault;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
@SuppressWarnings("try") // Servers opened only to be running during the try block.
class RemoteNsmTest {
  private static final VsockAddress ADDRESS =
      VsockAddress.of(VsockAddress.CID_PARENT, NsmVsockServer.DEFAULT_PORT);
  private static final Instant LAUNCH = Instant.parse("2026-03-01T12:00:00Z");

  private final VsockNetwork network = VsockNetwork.create();
  private final SoftwareNsm served = SoftwareNsm.create();
  private NsmVsockServer server;
  private RemoteNsm remote;

  @BeforeEach
  void connect() throws IOException {
    server = NsmVsockServer.start(served, network, ADDRESS);
    remote = RemoteNsm.connect(network, ADDRESS);
  }

  @AfterEach
  void close() throws IOException {
    remote.close();
    server.close();
    network.close();
  }

  @Test
  void rawSessionMatchesTheInProcessModuleByteForByte() throws Exception {
    MutableTestClock clock = new MutableTestClock(LAUNCH);
    EmulatorRootCa root = EmulatorRootCa.generate(clock);
    SoftwareNsm inProcess =
        SoftwareNsm.builder().clock(clock).rootCa(root).random(seeded()).build();
    SoftwareNsm twin = SoftwareNsm.builder().clock(clock).rootCa(root).random(seeded()).build();
    List<byte[]> session =
        List.of(
            request(new NsmRequest.DescribeNsm()),
            request(new NsmRequest.DescribePcr(0)),
            request(new NsmRequest.DescribePcr(16)),
            request(new NsmRequest.DescribePcr(32)),
            request(new NsmRequest.ExtendPcr(16, "app".getBytes(US_ASCII))),
            request(new NsmRequest.ExtendPcr(0, "boot".getBytes(US_ASCII))),
            request(new NsmRequest.LockPcr(16)),
            request(new NsmRequest.ExtendPcr(16, "late".getBytes(US_ASCII))),
            request(new NsmRequest.LockPcr(16)),
            request(new NsmRequest.LockPcrs(20)),
            request(new NsmRequest.LockPcrs(33)),
            request(new NsmRequest.GetRandom()),
            request(
                new NsmRequest.Attestation(
                    "user".getBytes(US_ASCII), "nonce".getBytes(US_ASCII), null)),
            request(new NsmRequest.DescribeNsm()),
            new byte[] {(byte) 0xA1, 0x00});

    try (NsmVsockServer twinServer =
            NsmVsockServer.start(twin, network, VsockAddress.of(16, 9797));
        RemoteNsm twinRemote = RemoteNsm.connect(network, VsockAddress.of(16, 9797))) {
      for (byte[] request : session) {
        byte[] expected = inProcess.process(request);
        assertThat(twinRemote.process(request))
            .as(NsmCodec.decodeResponse(expected).toString())
            .isEqualTo(expected);
      }
    }
    assertThat(twin.describeNsm()).isEqualTo(inProcess.describeNsm());
  }

  @Test
  void extendedValueIsSha384OfOldValueAndDataAndLivesInTheServedModule() throws Exception {
    byte[] data = "measurement".getBytes(US_ASCII);
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    sha384.update(new byte[48]);
    byte[] expected = sha384.digest(data);

    assertThat(remote.extendPcr(18, data)).isEqualTo(expected);
    assertThat(remote.describePcr(18)).isEqualTo(new PcrDescription(false, expected));
    assertThat(served.describePcr(18)).isEqualTo(new PcrDescription(false, expected));
  }

  @Test
  void lockedPcrCannotBeExtendedAndKeepsItsValue() {
    byte[] value = remote.extendPcr(17, new byte[] {1, 2, 3});
    remote.lockPcr(17);

    assertThatNsmError(() -> remote.extendPcr(17, new byte[] {4}), ErrorCode.READ_ONLY_INDEX);
    assertThatNsmError(() -> remote.lockPcr(17), ErrorCode.READ_ONLY_INDEX);
    assertThat(remote.describePcr(17)).isEqualTo(new PcrDescription(true, value));
    assertThat(remote.describeNsm().lockedPcrs()).contains(17);
  }

  @Test
  void errorsArriveWithTheModulesErrorCode() {
    assertThatNsmError(() -> remote.describePcr(32), ErrorCode.INVALID_INDEX);
    assertThatNsmError(() -> remote.extendPcr(40, new byte[1]), ErrorCode.INVALID_INDEX);
    assertThatNsmError(() -> remote.extendPcr(0, new byte[1]), ErrorCode.READ_ONLY_INDEX);
    assertThatNsmError(() -> remote.lockPcr(3), ErrorCode.READ_ONLY_INDEX);
    assertThatNsmError(() -> remote.lockPcrs(33), ErrorCode.INVALID_INDEX);
    assertThatNsmError(
        () -> remote.attestation(new byte[5000], null, null), ErrorCode.INPUT_TOO_LARGE);

    remote.lockPcrs(32);
    assertThat(served.describeNsm().lockedPcrs()).hasSize(32);
  }

  @Test
  void attestationFromTheServedModuleVerifiesWithItsRoot() throws Exception {
    byte[] userData = "hello".getBytes(US_ASCII);
    byte[] nonce = "nonce-1234".getBytes(US_ASCII);
    byte[] publicKey = TestPki.keyPair("secp384r1").getPublic().getEncoded();

    byte[] document = remote.attestation(userData, nonce, publicKey);

    VerifiedAttestation verified =
        AttestationVerifier.forRoot(served.rootCa().certificate())
            .verify(document, VerificationOptions.defaults().expectNonce(nonce));
    AttestationDocument content = verified.document();
    assertThat(content.moduleId()).isEqualTo(served.moduleId());
    assertThat(content.userData()).isEqualTo(userData);
    assertThat(content.publicKey()).isEqualTo(publicKey);
    assertThat(content.pcrs().get(0)).isEqualTo(served.profile().bootPcrs().get(0));
    assertThat(verified.root()).isEqualTo(served.rootCa().certificate());
    AttestationVerifier otherRoot =
        AttestationVerifier.forRoot(SoftwareNsm.create().rootCa().certificate());
    assertThatThrownBy(() -> otherRoot.verify(document))
        .isInstanceOfSatisfying(
            AttestationException.class,
            e -> assertThat(e.reason()).isEqualTo(AttestationException.Reason.UNTRUSTED_CHAIN));
  }

  @Test
  void describeNsmAndGetRandomAnswerFromTheServedModule() {
    assertThat(remote.describeNsm()).isEqualTo(served.describeNsm());
    byte[] first = remote.getRandom();
    byte[] second = remote.getRandom();
    assertThat(first).hasSize(SoftwareNsm.RANDOM_LENGTH);
    assertThat(second).hasSize(SoftwareNsm.RANDOM_LENGTH).isNotEqualTo(first);
  }

  @Test
  void oversizedRawRequestIsInputTooLargeAndTheClientStaysUsable() {
    byte[] reply = remote.process(new byte[Nsm.MAX_REQUEST_SIZE + 1]);

    assertThat(NsmCodec.decodeResponse(reply))
        .isEqualTo(new NsmResponse.Error(ErrorCode.INPUT_TOO_LARGE));
    assertThat(remote.describeNsm().moduleId()).isEqualTo(served.moduleId());
  }

  @Test
  void threadsShareOneConnectionWithoutLosingExtends() throws Exception {
    int threads = 8;
    int extendsEach = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<byte[]>> finals = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int index = 16 + t;
        finals.add(
            pool.submit(
                () -> {
                  start.await();
                  byte[] last = null;
                  for (int i = 0; i < extendsEach; i++) {
                    last = remote.extendPcr(index, new byte[] {(byte) i});
                  }
                  return last;
                }));
      }
      start.countDown();
      MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
      byte[] expected = new byte[48];
      for (int i = 0; i < extendsEach; i++) {
        sha384.update(expected);
        expected = sha384.digest(new byte[] {(byte) i});
      }
      for (int t = 0; t < threads; t++) {
        assertThat(finals.get(t).get(30, TimeUnit.SECONDS)).isEqualTo(expected);
        assertThat(served.describePcr(16 + t).data()).isEqualTo(expected);
      }
      assertThat(server.activeConnections()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void connectFailsWhenNothingListens() {
    assertThatThrownBy(() -> RemoteNsm.connect(network, VsockAddress.of(3, 1234)))
        .isInstanceOf(ConnectException.class)
        .hasMessageContaining("vsock://3:1234");
  }

  @Test
  void lostServiceIsInternalErrorNamingTheAddress() {
    server.close();

    assertThatThrownBy(remote::describeNsm)
        .isInstanceOfSatisfying(
            NsmException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
              assertThat(e.getMessage()).contains("vsock://3:9797");
            });
  }

  @Test
  void nextCallAfterAFailureOpensANewConnection() throws Exception {
    server.close();
    assertThatNsmError(remote::getRandom, ErrorCode.INTERNAL_ERROR);

    try (NsmVsockServer restarted = NsmVsockServer.start(served, network, ADDRESS)) {
      assertThat(remote.describeNsm().moduleId()).isEqualTo(served.moduleId());
      assertThat(restarted.activeConnections()).isEqualTo(1);
    }
  }

  @Test
  void stalledReplyTimesOutAsInternalError() throws Exception {
    network.injectFault(ADDRESS, VsockFault.stallReads(Duration.ofMinutes(5)));
    try (RemoteNsm stalled = RemoteNsm.connect(network, ADDRESS, Duration.ofMillis(200))) {
      assertThatThrownBy(stalled::getRandom)
          .isInstanceOfSatisfying(
              NsmException.class,
              e -> {
                assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL_ERROR);
                assertThat(e.getMessage()).contains("vsock://3:9797");
                assertThat(e).hasCauseInstanceOf(SocketTimeoutException.class);
              });
    }
  }

  @Test
  void closeIsIdempotentAndLaterCallsAreRejected() {
    remote.close();
    remote.close();

    assertThatThrownBy(remote::describeNsm)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    assertThat(remote).hasToString("RemoteNsm[vsock://3:9797, closed]");
  }

  @Test
  void fromEnvironmentFindsTheServiceThroughTheMappingFile(@TempDir Path dir) throws Exception {
    Path map = dir.resolve("vsock-map.json");
    VsockAddress address = VsockAddress.of(16, 5005);
    try (VsockNetwork host = VsockNetwork.builder().mappingFile(map).build();
        NsmVsockServer published = NsmVsockServer.start(served, host, address)) {
      String previousMap = System.setProperty(VsockNetwork.MAPPING_FILE_PROPERTY, map.toString());
      String previousAddress = System.setProperty(RemoteNsm.ADDRESS_PROPERTY, "vsock://16:5005");
      try (RemoteNsm fromEnvironment = RemoteNsm.fromEnvironment()) {
        assertThat(fromEnvironment.address()).isEqualTo(address);
        assertThat(fromEnvironment.describeNsm().moduleId()).isEqualTo(served.moduleId());
        assertThat(published.activeConnections()).isEqualTo(1);
      } finally {
        restore(VsockNetwork.MAPPING_FILE_PROPERTY, previousMap);
        restore(RemoteNsm.ADDRESS_PROPERTY, previousAddress);
      }
    }
  }

  @Test
  void configuredAddressDefaultsToTheParentOnPort9797() {
    assumeTrue(System.getProperty(RemoteNsm.ADDRESS_PROPERTY) == null);
    assumeTrue(System.getenv(RemoteNsm.ADDRESS_ENVIRONMENT_VARIABLE) == null);

    assertThat(RemoteNsm.configuredAddress()).isEqualTo(VsockAddress.parse("vsock://3:9797"));
  }

  @Test
  void malformedConfiguredAddressIsRejected() {
    String previous = System.setProperty(RemoteNsm.ADDRESS_PROPERTY, "vsock://parent:9797");
    try {
      assertThatThrownBy(RemoteNsm::fromEnvironment)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("vsock://parent:9797");
    } finally {
      restore(RemoteNsm.ADDRESS_PROPERTY, previous);
    }
  }

  private static byte[] request(NsmRequest request) {
    return NsmCodec.encodeRequest(request);
  }

  private static SecureRandom seeded() throws Exception {
    SecureRandom random = SecureRandom.getInstance("SHA1PRNG");
    random.setSeed(20260301L);
    return random;
  }

  private static void restore(String property, String previous) {
    if (previous == null) {
      System.clearProperty(property);
    } else {
      System.setProperty(property, previous);
    }
  }

  private static void assertThatNsmError(ThrowingCallable call, ErrorCode code) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(NsmException.class, e -> assertThat(e.code()).isEqualTo(code));
  }
}
