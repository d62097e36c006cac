package dev.nitroemu.bench;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * NSM traffic over vsock: {@link RemoteNsm} clients doing DescribeNSM, ExtendPCR on a PCR of their
 * own (16 and up, so the new value can be checked: SHA-384 of the old value and the data),
 * GetRandom, and attestation with a fresh nonce, each document verified against the stack's root.
 * Long-lived clients keep one {@code RemoteNsm} (which reopens its connection itself after a
 * failure) for a few minutes; short-lived ones open one per call.
 */
final class NsmTraffic {

  /** How long a long-lived client keeps its {@code RemoteNsm}. */
  static final Duration CLIENT_LIFETIME = Duration.ofMinutes(2);

  private static final String[] KINDS = {
    "nsm.describe", "nsm.extend-pcr", "nsm.get-random", "nsm.attest"
  };

  private final EnclaveEnvironment env;
  private final FaultSchedule faults;
  private final CallDeadlines calls;
  private final Duration callTimeout;
  private final VsockAddress address;
  private final String moduleId;
  private final byte[] pcr0;

  NsmTraffic(
      EnclaveEnvironment env,
      VsockAddress address,
      FaultSchedule faults,
      CallDeadlines calls,
      Duration callTimeout) {
    this.env = env;
    this.address = address;
    this.faults = faults;
    this.calls = calls;
    this.callTimeout = callTimeout;
    this.moduleId = env.nsm().describeNsm().moduleId();
    this.pcr0 = env.nsm().describePcr(0).data();
  }

  /**
   * A client that keeps its {@code RemoteNsm} for {@link #CLIENT_LIFETIME}; extends PCR {@code pcr}
   * only.
   */
  SoakWorker longLived(int pcr, long seed) {
    checkPcr(pcr);
    FaultSchedule.Tracked transport = faults.track(env.transport());
    SplittableRandom random = new SplittableRandom(seed);
    return new SoakWorker() {
      private RemoteNsm nsm;
      private long openedNanos;

      @Override
      public void step() {
        if (nsm != null && System.nanoTime() - openedNanos > CLIENT_LIFETIME.toNanos()) {
          close();
        }
        if (nsm == null) {
          CallDeadlines.Outcome opened =
              calls.call(
                  "nsm.connect",
                  transport::lastMayBeFaulted,
                  call -> {
                    nsm = call.closeOnHang(RemoteNsm.connect(transport, address, callTimeout));
                    openedNanos = System.nanoTime();
                  });
          if (opened != CallDeadlines.Outcome.OK) {
            close();
            return;
          }
        }
        int op = random.nextInt(KINDS.length);
        RemoteNsm client = nsm;
        CallDeadlines.Outcome outcome =
            calls.call(
                KINDS[op],
                transport::lastMayBeFaulted,
                call -> {
                  call.closeOnHang(client);
                  operate(client, op, pcr, random);
                });
        if (outcome == CallDeadlines.Outcome.HANG) {
          close(); // the watchdog closed it to end the call
        }
      }

      @Override
      public void close() {
        Closeables.closeQuietly(nsm);
        nsm = null;
      }
    };
  }

  /** A client that opens a {@code RemoteNsm} for every call; extends PCR {@code pcr} only. */
  SoakWorker shortLived(int pcr, long seed) {
    checkPcr(pcr);
    FaultSchedule.Tracked transport = faults.track(env.transport());
    SplittableRandom random = new SplittableRandom(seed);
    return () -> {
      int op = random.nextInt(KINDS.length);
      calls.call(
          KINDS[op] + " (own conn)",
          transport::lastMayBeFaulted,
          call -> {
            try (RemoteNsm nsm =
                call.closeOnHang(RemoteNsm.connect(transport, address, callTimeout))) {
              operate(nsm, op, pcr, random);
            }
          });
    };
  }

  private void operate(Nsm nsm, int op, int pcr, SplittableRandom random) {
    switch (op) {
      case 0 -> describe(nsm);
      case 1 -> extend(nsm, pcr, random);
      case 2 -> {
        byte[] bytes = nsm.getRandom();
        Soak.check(
            bytes.length > 0 && !isZero(bytes),
            "GetRandom returned " + bytes.length + " bytes, all zero");
      }
      default -> attest(nsm, random);
    }
  }

  private void describe(Nsm nsm) {
    NsmDescription description = nsm.describeNsm();
    Soak.check(
        description.maxPcrs() == Nsm.MAX_PCRS,
        "DescribeNSM says " + description.maxPcrs() + " PCRs");
    Soak.check(
        description.moduleId().equals(moduleId),
        "DescribeNSM module id changed to " + description.moduleId());
    Soak.check(
        description
            .lockedPcrs()
            .containsAll(java.util.stream.IntStream.range(0, 16).boxed().toList()),
        "DescribeNSM says boot PCRs are not all locked: " + description.lockedPcrs());
  }

  private static void extend(Nsm nsm, int pcr, SplittableRandom random) {
    byte[] before = nsm.describePcr(pcr).data();
    byte[] data = new byte[1 + random.nextInt(64)];
    random.nextBytes(data);
    byte[] after = nsm.extendPcr(pcr, data);
    Soak.check(
        Arrays.equals(after, sha384(before, data)),
        "ExtendPCR " + pcr + " is not SHA-384(old || data)");
  }

  private void attest(Nsm nsm, SplittableRandom random) {
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    byte[] userData = new byte[random.nextInt(AttestationDocument.MAX_OPTIONAL_FIELD + 1)];
    random.nextBytes(userData);
    byte[] document = nsm.attestation(userData, nonce, null);
    AttestationDocument verified =
        env.verifier()
            .verify(document, VerificationOptions.defaults().expectNonce(nonce))
            .document();
    Soak.check(
        Arrays.equals(verified.userData() == null ? new byte[0] : verified.userData(), userData),
        "attestation document carries other user data");
    Soak.check(Arrays.equals(verified.pcr(0), pcr0), "attestation document carries another PCR0");
    Soak.check(
        verified.moduleId().equals(moduleId), "attestation document carries another module id");
  }

  private static void checkPcr(int pcr) {
    if (pcr < 16 || pcr >= Nsm.MAX_PCRS) {
      throw new IllegalArgumentException("soak clients extend PCRs 16..31, not " + pcr);
    }
  }

  private static byte[] sha384(byte[] a, byte[] b) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-384");
      digest.update(a);
      return digest.digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is unavailable", e);
    }
  }

  private static boolean isZero(byte[] bytes) {
    for (byte b : bytes) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }
}
