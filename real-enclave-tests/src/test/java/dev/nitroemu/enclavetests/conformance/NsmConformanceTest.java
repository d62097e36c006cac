package dev.nitroemu.enclavetests.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.nitroemu.enclave.Digest;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.PcrDescription;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.stream.IntStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;

/**
 * The NSM's PCR bank, locks, errors and GetRandom, as AWS's on-hardware nsm-check asserts them.
 * Error names the public sources do not pin down are not asserted on hardware but published as
 * report entries, so the nightly XML records what the real NSM answers.
 */
@NitroEnclaveTest
class NsmConformanceTest {

  private static final int EXTEND_PCR = 16;
  private static final int LOCK_PCR = 17;

  @Test
  void theBankHas32Sha384PcrsAndBootLocksPcrs0To15(Nsm nsm) {
    NsmDescription description = nsm.describeNsm();

    assertThat(description.maxPcrs()).isEqualTo(Nsm.MAX_PCRS);
    assertThat(description.digest()).isEqualTo(Digest.SHA384);
    assertThat(description.moduleId()).isNotBlank();
    assertThat(description.lockedPcrs()).containsAll(IntStream.range(0, 16).boxed().toList());
    for (int index = 0; index < 16; index++) {
      PcrDescription pcr = nsm.describePcr(index);
      assertThat(pcr.locked()).as("PCR%d locked", index).isTrue();
      assertThat(pcr.data()).as("PCR%d", index).hasSize(48);
    }
  }

  @Test
  void pcrs5To7And9To15AreZeroAtBoot(Nsm nsm) {
    for (int index : new int[] {5, 6, 7, 9, 10, 11, 12, 13, 14, 15}) {
      assertThat(nsm.describePcr(index).data()).as("PCR%d", index).isEqualTo(new byte[48]);
    }
  }

  @Test
  void extendingAUserPcrHashesItsOldValueWithTheData(Nsm nsm) throws Exception {
    byte[] data = "conformance: extend".getBytes(StandardCharsets.UTF_8);
    PcrDescription before = nsm.describePcr(EXTEND_PCR);

    byte[] extended = nsm.extendPcr(EXTEND_PCR, data);

    byte[] expected = sha384(before.data(), data);
    assertThat(extended).isEqualTo(expected);
    assertThat(nsm.describePcr(EXTEND_PCR)).isEqualTo(new PcrDescription(false, expected));
  }

  @Test
  void bootPcrsRefuseExtensionAndLockingAndKeepTheirValue(
      Nsm nsm, EnclaveRuntimeInfo info, TestReporter reporter) {
    byte[] before = nsm.describePcr(0).data();

    NsmException extend = nsmError(() -> nsm.extendPcr(0, new byte[] {1}));
    NsmException lock = nsmError(() -> nsm.lockPcr(0));

    reporter.publishEntry("nsm.error.extendPcr0", extend.code().wireName());
    reporter.publishEntry("nsm.error.lockPcr0", lock.code().wireName());
    assertThat(nsm.describePcr(0)).isEqualTo(new PcrDescription(true, before));
    assertEmulatorCode(info, extend, ErrorCode.READ_ONLY_INDEX);
    assertEmulatorCode(info, lock, ErrorCode.READ_ONLY_INDEX);
  }

  @Test
  void aLockedUserPcrRefusesExtensionAndKeepsItsValue(
      Nsm nsm, EnclaveRuntimeInfo info, TestReporter reporter) {
    byte[] value = nsm.extendPcr(LOCK_PCR, "conformance: lock".getBytes(StandardCharsets.UTF_8));

    nsm.lockPcr(LOCK_PCR);
    NsmException extend = nsmError(() -> nsm.extendPcr(LOCK_PCR, new byte[] {2}));
    NsmException relock = nsmError(() -> nsm.lockPcr(LOCK_PCR));

    reporter.publishEntry("nsm.error.extendLockedUserPcr", extend.code().wireName());
    reporter.publishEntry("nsm.error.lockLockedUserPcr", relock.code().wireName());
    assertThat(nsm.describePcr(LOCK_PCR)).isEqualTo(new PcrDescription(true, value));
    assertThat(nsm.describeNsm().lockedPcrs()).contains(LOCK_PCR);
    assertEmulatorCode(info, extend, ErrorCode.READ_ONLY_INDEX);
  }

  @Test
  void lockingARangeOfLockedPcrsSucceedsAndARangePast32Fails(
      Nsm nsm, EnclaveRuntimeInfo info, TestReporter reporter) {
    nsm.lockPcrs(16);
    NsmException tooWide = nsmError(() -> nsm.lockPcrs(Nsm.MAX_PCRS + 1));

    reporter.publishEntry("nsm.error.lockPcrs33", tooWide.code().wireName());
    assertThat(nsm.describePcr(31).locked()).as("PCR31 after a refused LockPCRs(33)").isFalse();
    assertEmulatorCode(info, tooWide, ErrorCode.INVALID_INDEX);
  }

  @Test
  void indexesPast31AreInvalid(Nsm nsm, EnclaveRuntimeInfo info, TestReporter reporter) {
    NsmException describe = nsmError(() -> nsm.describePcr(Nsm.MAX_PCRS));
    NsmException extend = nsmError(() -> nsm.extendPcr(Nsm.MAX_PCRS, new byte[] {3}));
    NsmException lock = nsmError(() -> nsm.lockPcr(Nsm.MAX_PCRS));

    reporter.publishEntry("nsm.error.describePcr32", describe.code().wireName());
    reporter.publishEntry("nsm.error.extendPcr32", extend.code().wireName());
    reporter.publishEntry("nsm.error.lockPcr32", lock.code().wireName());
    assertEmulatorCode(info, describe, ErrorCode.INVALID_INDEX);
    assertEmulatorCode(info, extend, ErrorCode.INVALID_INDEX);
    assertEmulatorCode(info, lock, ErrorCode.INVALID_INDEX);
  }

  @Test
  void getRandomReturnsUpTo256FreshBytes(Nsm nsm, TestReporter reporter) {
    byte[] first = nsm.getRandom();
    byte[] second = nsm.getRandom();

    reporter.publishEntry("nsm.getRandom.length", Integer.toString(first.length));
    assertThat(first.length).isBetween(1, 256);
    assertThat(second.length).isBetween(1, 256);
    assertThat(second).isNotEqualTo(first);
    assertThat(first).isNotEqualTo(new byte[first.length]);
  }

  private static NsmException nsmError(ThrowingCallable call) {
    NsmException error = catchThrowableOfType(NsmException.class, call);
    assertThat(error).as("the NSM refuses the call").isNotNull();
    return error;
  }

  /**
   * The emulator answers what QEMU's virtio-nsm answers; the real NSM's exact error name for these
   * cases is not public, so on hardware the code is only reported.
   */
  private static void assertEmulatorCode(
      EnclaveRuntimeInfo info, NsmException error, ErrorCode expected) {
    if (info.mode() == NitroMode.EMULATED) {
      assertThat(error.code()).isEqualTo(expected);
    }
  }

  private static byte[] sha384(byte[] first, byte[] second) throws Exception {
    MessageDigest digest = MessageDigest.getInstance("SHA-384");
    digest.update(first);
    digest.update(second);
    return digest.digest();
  }
}
