package dev.nitroemu.bench;

import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.CryptoProviders;
import dev.nitroemu.nsm.SoftwareNsm;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Attestation documents per second, signed through ACCP (AWS-LC), through {@link
 * CryptoProviders#jca()} (BouncyCastle's ES384, the choice without ACCP) and through the JDK alone
 * (SunEC), against raw SunEC ES384 signing of a payload of the same size: the emulator's overhead
 * (PCR snapshot, CBOR encoding, COSE framing) over the signature itself, and what AWS-LC and
 * BouncyCastle gain. The ACCP methods fail, naming the reason, where ACCP does not load.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AttestationBenchmark {
  private final byte[] userData = new byte[32];
  private final byte[] nonce = new byte[16];

  private SoftwareNsm accpNsm;
  private SoftwareNsm jcaNsm;
  private SoftwareNsm jdkNsm;
  private Signature rawSigner;
  private Signature rawAccpSigner;
  private byte[] sigStructure;

  @Setup
  public void setUp() throws GeneralSecurityException {
    jcaNsm = SoftwareNsm.builder().crypto(CryptoProviders.jca()).build();
    jdkNsm = SoftwareNsm.builder().crypto(CryptoProviders.jdk()).build();
    byte[] document = jcaNsm.attestation(userData, nonce, null);
    sigStructure = CoseSign1.decode(document).sigStructure();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC", "SunEC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair keys = generator.generateKeyPair();
    rawSigner = Signature.getInstance("SHA384withECDSAinP1363Format", "SunEC");
    rawSigner.initSign(keys.getPrivate());
    CryptoProviders accp = CryptoProviders.accpIfAvailable().orElse(null);
    if (accp != null) {
      accpNsm = SoftwareNsm.builder().crypto(accp).build();
      rawAccpSigner = accp.signature("SHA384withECDSAinP1363Format");
      rawAccpSigner.initSign(accp.ownPrivateKey(keys.getPrivate()));
    }
  }

  @TearDown
  public void tearDown() {
    jcaNsm.close();
    jdkNsm.close();
    if (accpNsm != null) {
      accpNsm.close();
    }
  }

  /** Baseline: one raw SunEC ES384 signature over a Sig_structure of a real document's size. */
  @Benchmark
  public byte[] rawSign() throws GeneralSecurityException {
    rawSigner.update(sigStructure);
    return rawSigner.sign();
  }

  /** For reference: the same raw signature through ACCP. */
  @Benchmark
  public byte[] rawSignAccp() throws GeneralSecurityException {
    Signature signer = requireAccp(rawAccpSigner);
    signer.update(sigStructure);
    return signer.sign();
  }

  /** One complete attestation document from a software NSM signing through ACCP. */
  @Benchmark
  public byte[] attestAccp() {
    return requireAccp(accpNsm).attestation(userData, nonce, null);
  }

  /**
   * One complete attestation document from a software NSM signing without ACCP (BouncyCastle's
   * ES384).
   */
  @Benchmark
  public byte[] attestJca() {
    return jcaNsm.attestation(userData, nonce, null);
  }

  /** For reference: one complete document signed by the JDK alone (SunEC). */
  @Benchmark
  public byte[] attestJdk() {
    return jdkNsm.attestation(userData, nonce, null);
  }

  static <T> T requireAccp(T accpObject) {
    if (accpObject == null) {
      throw new IllegalStateException(
          "ACCP does not load here: " + CryptoProviders.accpUnavailableReason().orElse(""));
    }
    return accpObject;
  }
}
