package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.DeviceNsm;
import dev.nitroemu.enclave.DeviceNsmSeams;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.PcrDescription;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.internal.NsmIoctl;
import dev.nitroemu.enclave.internal.SimulatedNsmDriver;
import dev.nitroemu.nsm.internal.PcrBankNsm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class DeviceNsmTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final String NOT_FOUND = "not found: not running inside a Nitro Enclave";

  @TempDir Path tempDir;

  private static void assertNsmError(Throwable e, ErrorCode code) {
    assertThat(e).isInstanceOf(NsmException.class);
    assertThat(((NsmException) e).code()).isEqualTo(code);
  }

  private static byte[] sha384(byte[]... parts) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-384");
    for (byte[] p : parts) {
      sha.update(p);
    }
    return sha.digest();
  }

  /** DeviceNsm against a simulated kernel driver that reads the struct from native memory. */
  @Nested
  class AgainstSimulatedDriver {
    private final PcrBankNsm module = new PcrBankNsm();
    private final SimulatedNsmDriver driver = new SimulatedNsmDriver(module);
    private Path deviceNode;
    private DeviceNsm nsm;

    @BeforeEach
    void open() throws IOException {
      deviceNode = Files.createFile(tempDir.resolve("nsm"));
      nsm = DeviceNsmSeams.open(deviceNode, driver);
    }

    @AfterEach
    void close() {
      nsm.close();
    }

    @Test
    void typedCallsTravelThroughTheIoctlStruct() throws Exception {
      byte[] data = {1, 2, 3};

      assertThat(nsm.extendPcr(16, data)).isEqualTo(sha384(new byte[48], data));
      assertThat(nsm.describePcr(16))
          .isEqualTo(new PcrDescription(false, sha384(new byte[48], data)));
      assertThat(nsm.describePcr(0).locked()).isTrue();
      assertThat(nsm.describeNsm()).isEqualTo(module.describeNsm());
      assertThat(nsm.getRandom()).hasSize(256);
      assertThat(nsm.attestation(new byte[] {4}, null, new byte[] {5})).containsExactly(4, 5);
      nsm.lockPcr(16);
      nsm.lockPcrs(20);
      assertThat(driver.ioctls.get()).isEqualTo(8);
    }

    @Test
    void moduleErrorsSurfaceAsNsmExceptionsWithTheirCode() {
      assertThatThrownBy(() -> nsm.extendPcr(3, new byte[] {1}))
          .satisfies(e -> assertNsmError(e, ErrorCode.READ_ONLY_INDEX));
      assertThatThrownBy(() -> nsm.describePcr(40))
          .satisfies(e -> assertNsmError(e, ErrorCode.INVALID_INDEX));
    }

    @Test
    void processPassesRequestBytesVerbatimAndReturnsTheReplyVerbatim() {
      byte[] request = HEX.parseHex("6b44657363726962654e534d");

      byte[] reply = nsm.process(request);

      assertThat(driver.lastRequest).isEqualTo(request);
      assertThat(reply).isEqualTo(module.process(request));
    }

    @Test
    void malformedRequestGetsTheDevicesErrorReplyNotAnException() {
      byte[] reply = nsm.process(new byte[] {(byte) 0xFF});

      assertThat(NsmCodec.decodeResponse(reply))
          .isEqualTo(new NsmResponse.Error(ErrorCode.INVALID_OPERATION));
    }

    @Test
    void requestOfExactly4096BytesReachesTheDriver() {
      byte[] request = new byte[4096];

      nsm.process(request);

      assertThat(driver.lastRequest).isEqualTo(request);
    }

    @Test
    void requestOver4096BytesIsInputTooLargeWithoutAnySyscall() {
      assertThat(NsmCodec.decodeResponse(nsm.process(new byte[4097])))
          .isEqualTo(new NsmResponse.Error(ErrorCode.INPUT_TOO_LARGE));
      assertThatThrownBy(() -> nsm.extendPcr(16, new byte[5000]))
          .satisfies(e -> assertNsmError(e, ErrorCode.INPUT_TOO_LARGE));

      assertThat(driver.ioctls.get()).isZero();
    }

    @Test
    void driverEmsgsizeIsInputTooLarge() {
      driver.ioctlErrno = NsmIoctl.EMSGSIZE;

      assertThatThrownBy(() -> nsm.process(new byte[] {0x60}))
          .satisfies(e -> assertNsmError(e, ErrorCode.INPUT_TOO_LARGE));
    }

    @Test
    void otherDriverErrnoIsInternalErrorNamingTheErrno() {
      driver.ioctlErrno = NsmIoctl.ETIMEDOUT;

      assertThatThrownBy(() -> nsm.getRandom())
          .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
          .hasMessageContaining("ETIMEDOUT");
    }

    @Test
    void responseLengthBeyondTheBufferIsInternalError() {
      driver.forcedResponseLength = 20_000;

      assertThatThrownBy(() -> nsm.describeNsm())
          .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR));
    }

    @Test
    void shortResponseLengthTruncatesTheReplyAsTheDriverDoes() {
      driver.forcedResponseLength = 4;

      byte[] reply = nsm.process(NsmCodec.encodeRequest(new NsmRequest.GetRandom()));

      assertThat(reply).hasSize(4).startsWith(0xA1, 0x69, 'G', 'e');
      assertThatThrownBy(() -> nsm.getRandom())
          .satisfies(e -> assertNsmError(e, ErrorCode.INVALID_RESPONSE));
    }

    @Test
    void closeIsIdempotentAndClosesTheDescriptorOnce() {
      nsm.close();
      nsm.close();

      assertThat(driver.closes.get()).isEqualTo(1);
      assertThat(driver.openCount()).isZero();
    }

    @Test
    void useAfterCloseIsAnIllegalStateWithoutAnySyscall() {
      nsm.close();

      assertThatThrownBy(() -> nsm.process(new byte[] {0x60}))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThatThrownBy(() -> nsm.describeNsm()).isInstanceOf(IllegalStateException.class);
      assertThat(driver.ioctls.get()).isZero();
    }

    @Test
    @Timeout(60)
    void concurrentCallersAreSerializedAndEachGetsItsOwnReply() throws Exception {
      int threads = 8;
      int callsPerThread = 200;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<byte[]>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int pcr = 16 + t;
          results.add(
              pool.submit(
                  () -> {
                    byte[] value = new byte[48];
                    for (int i = 0; i < callsPerThread; i++) {
                      byte[] data = {(byte) pcr, (byte) i};
                      value = sha384(value, data);
                      assertThat(nsm.extendPcr(pcr, data)).isEqualTo(value);
                    }
                    return value;
                  }));
        }
        for (int t = 0; t < threads; t++) {
          byte[] finalValue = results.get(t).get(60, TimeUnit.SECONDS);
          assertThat(nsm.describePcr(16 + t).data()).isEqualTo(finalValue);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(driver.overlapped).as("two ioctls ran at once").isFalse();
      assertThat(driver.ioctls.get()).isEqualTo(threads * callsPerThread + threads);
    }
  }

  @Nested
  class Opening {
    @Test
    void missingDeviceNodeSaysWeAreNotInAnEnclave() {
      Path missing = tempDir.resolve("no-such-nsm");

      assertThatThrownBy(() -> DeviceNsm.open(missing))
          .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
          .hasMessageContaining(missing + " " + NOT_FOUND);
    }

    @Test
    void openWithoutDevNsmSaysWeAreNotInAnEnclave() {
      assumeThat(Files.exists(DeviceNsm.DEFAULT_DEVICE))
          .as("/dev/nsm present: inside an enclave")
          .isFalse();

      assertThatThrownBy(DeviceNsm::open)
          .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
          .hasMessageContaining("/dev/nsm " + NOT_FOUND);
    }

    @Test
    void isAvailableFollowsTheDeviceNode() throws IOException {
      assertThat(DeviceNsm.isAvailable())
          .isEqualTo(Platform.isLinux() && Files.exists(Path.of("/dev/nsm")));
      assertThat(DeviceNsm.isAvailable(tempDir.resolve("absent"))).isFalse();
      assertThat(DeviceNsm.isAvailable(Files.createFile(tempDir.resolve("present"))))
          .isEqualTo(Platform.isLinux());
    }

    @Test
    void openFailureNamesTheErrno() throws IOException {
      SimulatedNsmDriver driver = new SimulatedNsmDriver(new PcrBankNsm());
      driver.openErrno = NsmIoctl.EACCES;
      Path node = Files.createFile(tempDir.resolve("nsm"));

      assertThatThrownBy(() -> DeviceNsmSeams.open(node, driver))
          .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
          .hasMessageContaining("cannot open")
          .hasMessageContaining("EACCES");
    }

    @Test
    void deviceVanishingBeforeOpenIsReportedAsNotFound() throws IOException {
      SimulatedNsmDriver driver = new SimulatedNsmDriver(new PcrBankNsm());
      driver.openErrno = NsmIoctl.ENOENT;
      Path node = Files.createFile(tempDir.resolve("nsm"));

      assertThatThrownBy(() -> DeviceNsmSeams.open(node, driver)).hasMessageContaining(NOT_FOUND);
    }

    @Test
    void missingDeviceIsReportedWithoutCallingOpen() {
      SimulatedNsmDriver driver = new SimulatedNsmDriver(new PcrBankNsm());

      assertThatThrownBy(() -> DeviceNsmSeams.open(tempDir.resolve("nsm"), driver))
          .hasMessageContaining(NOT_FOUND);
      assertThat(driver.opens.get()).isZero();
    }
  }

  /** Real libc calls through JNA against files that are not the NSM. */
  @Nested
  class ThroughRealLibc {
    @BeforeEach
    void linuxOnly() {
      assumeThat(Platform.isLinux()).as("libc ioctl path is Linux-only").isTrue();
    }

    @Test
    void ioctlOnDevNullFailsWithEnottyAsInternalError() {
      try (DeviceNsm nsm = DeviceNsm.open(Path.of("/dev/null"))) {
        assertThatThrownBy(() -> nsm.process(NsmCodec.encodeRequest(new NsmRequest.DescribeNsm())))
            .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
            .hasMessageContaining("ENOTTY (errno 25)");
        assertThatThrownBy(nsm::getRandom)
            .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR));
      }
    }

    @Test
    void ioctlOnARegularFileFailsWithATypedError() throws IOException {
      Path file = Files.write(tempDir.resolve("not-nsm"), new byte[16]);

      try (DeviceNsm nsm = DeviceNsm.open(file)) {
        assertThatThrownBy(() -> nsm.describePcr(0))
            .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
            .hasMessageContaining("errno");
      }
      assertThat(Files.readAllBytes(file)).isEqualTo(new byte[16]);
    }

    @Test
    void openingADirectoryFailsWithATypedError() {
      assertThatThrownBy(() -> DeviceNsm.open(tempDir))
          .satisfies(e -> assertNsmError(e, ErrorCode.INTERNAL_ERROR))
          .hasMessageContaining("cannot open")
          .hasMessageContaining("errno 21");
    }

    @Test
    void realHandleClosesOnceAndRefusesUseAfterClose() {
      DeviceNsm nsm = DeviceNsm.open(Path.of("/dev/null"));
      assertThat(nsm.device()).isEqualTo(Path.of("/dev/null"));

      nsm.close();
      nsm.close();

      assertThatThrownBy(() -> nsm.process(new byte[] {0x60}))
          .isInstanceOf(IllegalStateException.class);
      assertThat(nsm.toString()).contains("closed");
    }

    @Test
    void manyOpenAndCloseCyclesDoNotLeakDescriptors() throws IOException {
      assumeThat(Files.isDirectory(Path.of("/proc/self/fd"))).isTrue();
      long before = countOpenDescriptors();

      for (int i = 0; i < 200; i++) {
        DeviceNsm.open(Path.of("/dev/null")).close();
      }

      assertThat(countOpenDescriptors()).isLessThanOrEqualTo(before + 2);
    }

    private long countOpenDescriptors() throws IOException {
      try (var fds = Files.list(Path.of("/proc/self/fd"))) {
        return fds.count();
      }
    }
  }

  @Test
  void attestationFromTheSoftwareNsmCrossesTheStructAndVerifies() throws IOException {
    SoftwareNsm module = SoftwareNsm.create();
    SimulatedNsmDriver driver = new SimulatedNsmDriver(module);
    byte[] nonce = HEX.parseHex("0123456789abcdef");

    try (DeviceNsm nsm = DeviceNsmSeams.open(Files.createFile(tempDir.resolve("nsm")), driver)) {
      byte[] document = nsm.attestation(new byte[] {1}, nonce, null);

      VerifiedAttestation verified =
          AttestationVerifier.forRoot(module.rootCa().certificate())
              .verify(document, VerificationOptions.defaults().expectNonce(nonce));
      assertThat(verified.document().moduleId()).isEqualTo(module.moduleId());
      assertThat(verified.document().userData()).containsExactly(1);
      assertThat(nsm.describeNsm().moduleId()).isEqualTo(module.moduleId());
    }
  }

  @Test
  void nativeBuffersAreWipedAfterEachCall() throws IOException {
    SimulatedNsmDriver driver = new SimulatedNsmDriver(new PcrBankNsm());
    try (DeviceNsm nsm = DeviceNsmSeams.open(Files.createFile(tempDir.resolve("nsm")), driver)) {
      byte[] userData = new byte[64];
      Arrays.fill(userData, (byte) 0x5A);

      byte[] document = nsm.attestation(userData, null, null);

      assertThat(document).isEqualTo(userData);
      // The buffers stay allocated until close, so the driver's addresses are still readable.
      assertThat(new Pointer(driver.lastRequestAddress).getByteArray(0, Nsm.MAX_REQUEST_SIZE))
          .containsOnly(0);
      assertThat(new Pointer(driver.lastResponseAddress).getByteArray(0, Nsm.MAX_RESPONSE_SIZE))
          .containsOnly(0);
    }
  }
}
