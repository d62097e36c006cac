package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.Digest;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.MutableTestClock;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.enclave.PcrDescription;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SoftwareNsmTest {
  private static final Instant LAUNCH = Instant.parse("2026-03-01T12:00:00.123Z");
  private static final byte[] ZERO = new byte[48];
  private static final HexFormat HEX = HexFormat.of();

  private final MutableTestClock clock = new MutableTestClock(LAUNCH);
  private final SoftwareNsm nsm = SoftwareNsm.builder().clock(clock).build();

  @Test
  void describeNsmReportsRealModuleShape() {
    NsmDescription description = nsm.describeNsm();

    assertThat(description.maxPcrs()).isEqualTo(32);
    assertThat(description.lockedPcrs())
        .containsExactlyElementsOf(IntStream.range(0, 16).boxed().toList());
    assertThat(description.digest()).isEqualTo(Digest.SHA384);
    assertThat(
            List.of(
                description.versionMajor(), description.versionMinor(), description.versionPatch()))
        .containsExactly(1, 0, 0);
    assertThat(description.moduleId()).isEqualTo(nsm.moduleId());
  }

  @Test
  void moduleIdCarriesInstanceIdAndLaunchTime() {
    String moduleId = nsm.moduleId();

    assertThat(moduleId).matches(EnclaveProfile.DEFAULT_INSTANCE_ID + "-enc[0-9a-f]{16}");
    long enclaveId = Long.parseUnsignedLong(moduleId.substring(moduleId.length() - 16), 16);
    assertThat(enclaveId >>> 16).isEqualTo(LAUNCH.toEpochMilli());
  }

  @Test
  void bootPcrsComeFromProfileAndAreLocked() {
    EnclaveProfile profile = EnclaveProfile.defaultProfile();

    for (int i = 0; i < 16; i++) {
      assertThat(nsm.describePcr(i))
          .as("PCR%d", i)
          .isEqualTo(new PcrDescription(true, profile.bootPcrs().get(i)));
    }
    for (int i = 16; i < 32; i++) {
      assertThat(nsm.describePcr(i)).as("PCR%d", i).isEqualTo(new PcrDescription(false, ZERO));
    }
  }

  @Test
  void debugProfileReportsZeroImagePcrs() {
    SoftwareNsm debug =
        SoftwareNsm.builder()
            .clock(clock)
            .profile(EnclaveProfile.builder().debug(true).build())
            .build();

    for (int i : new int[] {0, 1, 2, 8}) {
      assertThat(debug.describePcr(i).data()).as("PCR%d", i).isEqualTo(ZERO);
    }
    assertThat(debug.describePcr(4).data()).isEqualTo(EnclaveProfile.defaultProfile().imagePcr(4));
  }

  @Test
  void extendReturnsSha384OfOldValueAndData() throws Exception {
    byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
    byte[] first = sha384(ZERO, data);

    assertThat(nsm.extendPcr(16, data)).isEqualTo(first);
    assertThat(nsm.extendPcr(16, data)).isEqualTo(sha384(first, data));
    assertThat(nsm.describePcr(16)).isEqualTo(new PcrDescription(false, sha384(first, data)));
  }

  @Test
  void lockedPcrCannotBeExtended() {
    byte[] before = nsm.describePcr(0).data();

    assertThatNsmError(() -> nsm.extendPcr(0, new byte[] {1}), ErrorCode.READ_ONLY_INDEX);
    assertThat(nsm.describePcr(0).data()).isEqualTo(before);
  }

  @Test
  void indexOutsideBankIsInvalid() {
    for (int index : new int[] {32, 33, 65535, -1}) {
      assertThatNsmError(() -> nsm.describePcr(index), ErrorCode.INVALID_INDEX);
      assertThatNsmError(() -> nsm.extendPcr(index, new byte[] {1}), ErrorCode.INVALID_INDEX);
      assertThatNsmError(() -> nsm.lockPcr(index), ErrorCode.INVALID_INDEX);
    }
  }

  @Test
  void lockingBootPcrIsReadOnly() {
    for (int i = 0; i < 16; i++) {
      int index = i;
      assertThatNsmError(() -> nsm.lockPcr(index), ErrorCode.READ_ONLY_INDEX);
    }
  }

  @Test
  void lockedUserPcrFreezesItsValue() {
    byte[] value = nsm.extendPcr(20, new byte[] {42});

    nsm.lockPcr(20);

    assertThat(nsm.describePcr(20)).isEqualTo(new PcrDescription(true, value));
    assertThatNsmError(() -> nsm.extendPcr(20, new byte[] {1}), ErrorCode.READ_ONLY_INDEX);
    assertThatNsmError(() -> nsm.lockPcr(20), ErrorCode.READ_ONLY_INDEX);
    assertThat(nsm.describeNsm().lockedPcrs()).contains(20).doesNotContain(19, 21);
  }

  @Test
  void lockPcrsLocksPrefixAndAcceptsFullRangeRepeatedly() {
    nsm.lockPcrs(18);
    assertThat(nsm.describeNsm().lockedPcrs())
        .containsExactlyElementsOf(IntStream.range(0, 18).boxed().toList());

    nsm.lockPcrs(32);
    nsm.lockPcrs(32);
    assertThat(nsm.describeNsm().lockedPcrs()).hasSize(32);
    assertThatNsmError(() -> nsm.lockPcrs(33), ErrorCode.INVALID_INDEX);
  }

  @Test
  void lockPcrsBeyondBankChangesNothing() {
    assertThatNsmError(() -> nsm.lockPcrs(33), ErrorCode.INVALID_INDEX);
    assertThatNsmError(() -> nsm.lockPcrs(-1), ErrorCode.INVALID_INDEX);

    assertThat(nsm.describeNsm().lockedPcrs()).hasSize(16);
  }

  @Test
  void extendWithRequestOverDriverLimitIsInputTooLarge() {
    assertThatNsmError(() -> nsm.extendPcr(16, new byte[4096]), ErrorCode.INPUT_TOO_LARGE);
    assertThatNsmError(() -> nsm.extendPcr(16, null), ErrorCode.INVALID_ARGUMENT);

    assertThat(nsm.describePcr(16).data()).isEqualTo(ZERO);
  }

  @Test
  void getRandomReturns256FreshBytes() {
    byte[] first = nsm.getRandom();
    byte[] second = nsm.getRandom();

    assertThat(first).hasSize(256);
    assertThat(second).hasSize(256).isNotEqualTo(first);
  }

  @Test
  void attestationAcceptsThreeKilobyteFieldsLikeNsmCheck() {
    byte[] field = new byte[1024];
    Arrays.fill(field, (byte) 1);

    AttestationDocument document = decode(nsm.attestation(field, field, field));

    assertThat(document.userData()).isEqualTo(field);
    assertThat(document.nonce()).isEqualTo(field);
    assertThat(document.publicKey()).isEqualTo(field);
  }

  @Test
  void attestationFieldOverTheDocumentLimitIsInputTooLargeAndSignsNothing() {
    byte[] over = new byte[AttestationDocument.MAX_OPTIONAL_FIELD + 1];

    assertThatThrownBy(() -> nsm.attestation(over, null, null))
        .isInstanceOfSatisfying(
            NsmException.class,
            e -> {
              assertThat(e.code()).isEqualTo(ErrorCode.INPUT_TOO_LARGE);
              assertThat(e.getMessage())
                  .isEqualTo("InputTooLarge: Attestation user_data of 1025 bytes exceeds 1024");
            });
    assertThatNsmError(() -> nsm.attestation(null, over, null), ErrorCode.INPUT_TOO_LARGE);
    assertThatNsmError(() -> nsm.attestation(null, null, over), ErrorCode.INPUT_TOO_LARGE);
    assertThat(
            NsmCodec.decodeResponse(
                nsm.process(NsmCodec.encodeRequest(new NsmRequest.Attestation(null, over, null)))))
        .isEqualTo(new NsmResponse.Error(ErrorCode.INPUT_TOO_LARGE));
  }

  @Test
  void attestationRequestOverDriverLimitIsInputTooLarge() {
    byte[] big = new byte[1400];
    int encoded = NsmCodec.encodeRequest(new NsmRequest.Attestation(big, big, big)).length;

    assertThat(encoded).isGreaterThan(Nsm.MAX_REQUEST_SIZE);
    assertThatNsmError(() -> nsm.attestation(big, big, big), ErrorCode.INPUT_TOO_LARGE);
  }

  @Test
  void documentCarriesAllLockedPcrsAscending() {
    byte[] extended = nsm.extendPcr(16, new byte[] {1});
    nsm.lockPcr(16);
    nsm.extendPcr(17, new byte[] {2});
    nsm.lockPcr(30);

    AttestationDocument document = decode(nsm.attestation(null, null, null));

    List<Integer> expected = new ArrayList<>(IntStream.range(0, 17).boxed().toList());
    expected.add(30);
    assertThat(document.pcrs().keySet()).containsExactlyElementsOf(expected);
    assertThat(document.pcr(16)).isEqualTo(extended);
    assertThat(document.pcr(30)).isEqualTo(ZERO);
    for (int i = 0; i < 16; i++) {
      assertThat(document.pcr(i)).as("PCR%d", i).isEqualTo(nsm.describePcr(i).data());
    }
  }

  @Test
  void documentHasModuleIdDigestAndClockTimestamp() {
    clock.advance(java.time.Duration.ofSeconds(4));

    AttestationDocument document = decode(nsm.attestation(null, null, null));

    assertThat(document.moduleId()).isEqualTo(nsm.moduleId());
    assertThat(document.digest()).isEqualTo("SHA384");
    assertThat(document.timestamp()).isEqualTo(LAUNCH.plusSeconds(4).toEpochMilli());
  }

  @Test
  void rawGetRandomReplyHasThePrefixTheLinuxHwrngRequires() {
    byte[] reply = nsm.process(HEX.parseHex("6947657452616e646f6d"));
    byte[] prefix = HEX.parseHex("a16947657452616e646f6da16672616e646f6d" + "590100");

    assertThat(Arrays.copyOf(reply, prefix.length)).isEqualTo(prefix);
    assertThat(reply).hasSize(prefix.length + 256);
  }

  @Test
  void rawRequestsFollowTheWireFormat() {
    byte[] pcr3 = nsm.describePcr(3).data();

    assertThat(
            HEX.formatHex(nsm.process(HEX.parseHex("a16b4465736372696265504352a165696e64657803"))))
        .isEqualTo("a16b4465736372696265504352a2646c6f636bf564646174615830" + HEX.formatHex(pcr3));
    assertThat(
            HEX.formatHex(
                nsm.process(
                    HEX.parseHex("a169457874656e64504352a265696e64657804646461746143010203"))))
        .isEqualTo("a1654572726f726d526561644f6e6c79496e646578");
    assertThat(
            HEX.formatHex(
                nsm.process(
                    HEX.parseHex("a1684c6f636b50435273a16572616e676518 21".replace(" ", "")))))
        .isEqualTo("a1654572726f726c496e76616c6964496e646578");
    NsmResponse attestation =
        NsmCodec.decodeResponse(
            nsm.process(
                HEX.parseHex(
                    "a16b4174746573746174696f6ea369757365725f64617461420909656e6f6e6365f66a7075626c69635f6b65794107")));
    AttestationDocument document = decode(((NsmResponse.Attestation) attestation).document());
    assertThat(document.userData()).containsExactly(9, 9);
    assertThat(document.nonce()).isNull();
    assertThat(document.publicKey()).containsExactly(7);
  }

  @Test
  @Timeout(60)
  void concurrentExtendsAreNeverLost() throws Exception {
    int threads = 8;
    int extendsPerThread = 200;
    byte[] data = "same".getBytes(StandardCharsets.US_ASCII);
    ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<List<byte[]>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  List<byte[]> seen = new ArrayList<>();
                  for (int i = 0; i < extendsPerThread; i++) {
                    seen.add(nsm.extendPcr(17, data));
                  }
                  return seen;
                }));
      }
      Future<byte[]> attestation =
          pool.submit(
              () -> {
                start.await();
                return nsm.attestation(null, null, null);
              });
      start.countDown();

      Set<String> distinct = new HashSet<>();
      for (Future<List<byte[]>> result : results) {
        result.get().forEach(v -> distinct.add(HEX.formatHex(v)));
      }
      byte[] expected = ZERO;
      for (int i = 0; i < threads * extendsPerThread; i++) {
        expected = sha384(expected, data);
      }
      assertThat(distinct).hasSize(threads * extendsPerThread);
      assertThat(nsm.describePcr(17).data()).isEqualTo(expected);
      assertThat(decode(attestation.get()).moduleId()).isEqualTo(nsm.moduleId());
    } finally {
      pool.shutdownNow();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void createUsesDefaults() {
    SoftwareNsm created = SoftwareNsm.create();

    assertThat(created.profile()).isEqualTo(EnclaveProfile.defaultProfile());
    assertThat(created.payloadEncoding()).isEqualTo(PayloadEncoding.INDEFINITE);
    assertThat(created.rootCa().certificate().getSubjectX500Principal().getName())
        .isEqualTo("CN=emulator.nitro-enclaves,OU=Emulator,O=nitro-emu,C=US");
    assertThat(created.moduleId()).startsWith(EnclaveProfile.DEFAULT_INSTANCE_ID + "-enc");
  }

  private static AttestationDocument decode(byte[] document) {
    return AttestationDocument.decodePayload(CoseSign1.decode(document).payload());
  }

  private static byte[] sha384(byte[] old, byte[] data) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-384");
    digest.update(old);
    return digest.digest(data);
  }

  private static void assertThatNsmError(ThrowingCallable call, ErrorCode code) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(NsmException.class, e -> assertThat(e.code()).isEqualTo(code));
  }
}
