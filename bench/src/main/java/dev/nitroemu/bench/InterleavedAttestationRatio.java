package dev.nitroemu.bench;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.nsm.SoftwareNsm;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * Attestation documents against raw ES384 signing, and warm verification against raw ES384
 * verifying, each measured in alternating batches in one JVM, so that drift of a shared machine
 * (frequency, neighbours) hits both sides alike; complements {@link AttestationBenchmark} and
 * {@link VerifyBenchmark}, whose methods run in separate forks one after the other.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar
 * dev.nitroemu.bench.InterleavedAttestationRatio [rounds]}. Prints the median ratio of documents/s
 * to raw SunEC signatures/s, then of warm verifications/s (chain cached) to raw SunEC verifies/s,
 * over the rounds (after two warm-up rounds each). Documents are signed and verified by the
 * configured provider: {@code -Dnitro.crypto.provider=jca} for the choice without ACCP
 * (BouncyCastle's ES384), {@code jdk} for the JDK alone (SunEC); the baselines are SunEC in each.
 */
public final class InterleavedAttestationRatio {
  private static final int BATCH = 200;

  private InterleavedAttestationRatio() {}

  /** One side of a comparison: an operation run once. */
  private interface Operation {
    void run() throws GeneralSecurityException;
  }

  public static void main(String[] args) throws GeneralSecurityException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
    byte[] userData = new byte[32];
    byte[] nonce = new byte[16];
    try (SoftwareNsm nsm = SoftwareNsm.create()) {
      byte[] document = nsm.attestation(userData, nonce, null);
      CoseSign1 cose = CoseSign1.decode(document);
      byte[] sigStructure = cose.sigStructure();
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
      generator.initialize(new ECGenParameterSpec("secp384r1"));
      KeyPair keys = generator.generateKeyPair();
      Signature raw = Signature.getInstance("SHA384withECDSAinP1363Format", "SunEC");
      String provider = nsm.crypto().name();
      System.out.println(
          "documents signed and verified by "
              + nsm.crypto().description()
              + "; baselines: raw SunEC");
      raw.initSign(keys.getPrivate());
      double signRatio =
          median(
              "raw sign",
              () -> {
                raw.update(sigStructure);
                raw.sign();
              },
              "attest",
              () -> nsm.attestation(userData, nonce, null),
              rounds);
      System.out.printf(
          Locale.ROOT,
          "median attest/rawSign throughput ratio over %d rounds: %.2f (goal %s)%n",
          rounds,
          signRatio,
          goal(provider, ">= 3.0 with ACCP"));

      AttestationVerifier verifier = AttestationVerifier.forRoot(nsm.rootCa().certificate());
      PublicKey leafKey = verifier.verify(document).leaf().getPublicKey();
      byte[] signature = cose.signature();
      Signature rawVerifier = Signature.getInstance("SHA384withECDSAinP1363Format", "SunEC");
      double verifyRatio =
          median(
              "raw verify",
              () -> {
                rawVerifier.initVerify(leafKey);
                rawVerifier.update(sigStructure);
                rawVerifier.verify(signature);
              },
              "warm verify",
              () -> verifier.verify(document),
              rounds);
      System.out.printf(
          Locale.ROOT,
          "median warmVerify/rawVerify throughput ratio over %d rounds: %.2f (goal %s)%n",
          rounds,
          verifyRatio,
          goal(provider, ">= 2.5 with ACCP"));
    }
  }

  private static double median(
      String baselineName, Operation baseline, String subjectName, Operation subject, int rounds)
      throws GeneralSecurityException {
    double[] ratios = new double[rounds];
    for (int round = -2; round < rounds; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < BATCH; i++) {
        baseline.run();
      }
      long baselineNanos = System.nanoTime() - start;
      start = System.nanoTime();
      for (int i = 0; i < BATCH; i++) {
        subject.run();
      }
      long subjectNanos = System.nanoTime() - start;
      if (round >= 0) {
        ratios[round] = (double) baselineNanos / subjectNanos;
        System.out.printf(
            Locale.ROOT,
            "round %2d: %s %.3f ms, %s %.3f ms, ratio %.2f%n",
            round,
            baselineName,
            baselineNanos / 1e6 / BATCH,
            subjectName,
            subjectNanos / 1e6 / BATCH,
            ratios[round]);
      }
    }
    Arrays.sort(ratios);
    return ratios[rounds / 2];
  }

  private static String goal(String provider, String accpGoal) {
    return switch (provider) {
      case "accp" -> accpGoal;
      case "jca" -> ">= 0.9 without ACCP";
      default -> "none: the JDK alone, for reference";
    };
  }
}
