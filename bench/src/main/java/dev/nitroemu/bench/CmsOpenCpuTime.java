package dev.nitroemu.bench;

import dev.nitroemu.enclave.CmsEnvelope;
import dev.nitroemu.enclave.CryptoProviders;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.util.Locale;

/**
 * CPU time of one {@link CmsEnvelope#open} (the enclave's RSA-2048 OAEP unwrap and AES-CBC decrypt
 * of a KMS {@code Recipient} answer) with the configured provider, measured as this thread's CPU
 * time so that neighbours on a shared machine barely move it.
 *
 * <p>Run: {@code java [-Dnitro.crypto.provider=jca|accp] -cp bench/target/benchmarks.jar
 * dev.nitroemu.bench.CmsOpenCpuTime [calls per round]}; prints five rounds after two warm-up
 * rounds.
 */
public final class CmsOpenCpuTime {
  private static final int ROUNDS = 5;
  private static final int WARM_UP_ROUNDS = 2;

  private CmsOpenCpuTime() {}

  public static void main(String[] args) throws GeneralSecurityException {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    CryptoProviders crypto = CryptoProviders.configured();
    KeyPair rsa = crypto.keyPairGenerator("RSA").generateKeyPair();
    byte[] envelope =
        CmsEnvelope.seal(new byte[32], (RSAPublicKey) rsa.getPublic(), new SecureRandom());
    System.out.println("provider: " + crypto.description());
    for (int round = -WARM_UP_ROUNDS; round < ROUNDS; round++) {
      long start = threads.getCurrentThreadCpuTime();
      for (int i = 0; i < calls; i++) {
        CmsEnvelope.open(envelope, rsa.getPrivate());
      }
      double millis = (threads.getCurrentThreadCpuTime() - start) / 1e6 / calls;
      if (round >= 0) {
        System.out.printf(Locale.ROOT, "round %d: %.3f ms CPU per open%n", round, millis);
      }
    }
  }
}
