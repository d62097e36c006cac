package dev.nitroemu.bench;

import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.nsm.SoftwareNsm;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * Attestation documents against raw ES384 signing, measured in alternating batches in one JVM, so
 * that drift of a shared machine (frequency, neighbours) hits both sides alike; complements {@link
 * AttestationBenchmark}, whose two methods run in separate forks one after the other.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar
 * dev.nitroemu.bench.InterleavedAttestationRatio [rounds]}. Prints the median ratio of documents/s
 * to raw SunEC signatures/s over the rounds (after two warm-up rounds). Documents are signed by the
 * configured provider: {@code -Dnitro.crypto.provider=jca} for SunEC.
 */
public final class InterleavedAttestationRatio {
  private static final int BATCH = 200;

  private InterleavedAttestationRatio() {}

  public static void main(String[] args) throws GeneralSecurityException {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 12;
    byte[] userData = new byte[32];
    byte[] nonce = new byte[16];
    try (SoftwareNsm nsm = SoftwareNsm.create()) {
      byte[] sigStructure = CoseSign1.decode(nsm.attestation(userData, nonce, null)).sigStructure();
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
      generator.initialize(new ECGenParameterSpec("secp384r1"));
      KeyPair keys = generator.generateKeyPair();
      Signature raw = Signature.getInstance("SHA384withECDSAinP1363Format", "SunEC");
      System.out.println(
          "documents signed by " + nsm.crypto().description() + "; baseline: raw SunEC");
      raw.initSign(keys.getPrivate());
      double[] ratios = new double[rounds];
      for (int round = -2; round < rounds; round++) {
        long start = System.nanoTime();
        for (int i = 0; i < BATCH; i++) {
          raw.update(sigStructure);
          raw.sign();
        }
        long rawNanos = System.nanoTime() - start;
        start = System.nanoTime();
        for (int i = 0; i < BATCH; i++) {
          nsm.attestation(userData, nonce, null);
        }
        long attestNanos = System.nanoTime() - start;
        if (round >= 0) {
          ratios[round] = (double) rawNanos / attestNanos;
          System.out.printf(
              Locale.ROOT,
              "round %2d: raw sign %.3f ms, attest %.3f ms, ratio %.2f%n",
              round,
              rawNanos / 1e6 / BATCH,
              attestNanos / 1e6 / BATCH,
              ratios[round]);
        }
      }
      Arrays.sort(ratios);
      System.out.printf(
          Locale.ROOT,
          "median attest/rawSign throughput ratio over %d rounds: %.2f (goal %s)%n",
          rounds,
          ratios[rounds / 2],
          nsm.crypto().isAccp() ? ">= 3.0 with ACCP" : ">= 0.9 without ACCP");
    }
  }
}
