package dev.nitroemu.bench;

import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.enclave.CoseSign1;
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
 * Attestation documents per second against raw ES384 signing of a payload of the same size: the
 * emulator's overhead (PCR snapshot, CBOR encoding, COSE framing) over the signature itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AttestationBenchmark {
  private final byte[] userData = new byte[32];
  private final byte[] nonce = new byte[16];

  private SoftwareNsm nsm;
  private Signature rawSigner;
  private byte[] sigStructure;

  @Setup
  public void setUp() throws GeneralSecurityException {
    nsm = SoftwareNsm.create();
    byte[] document = nsm.attestation(userData, nonce, null);
    sigStructure = CoseSign1.decode(document).sigStructure();
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    KeyPair keys = generator.generateKeyPair();
    rawSigner = Signature.getInstance("SHA384withECDSAinP1363Format");
    rawSigner.initSign(keys.getPrivate());
  }

  @TearDown
  public void tearDown() {
    nsm.close();
  }

  /** Baseline: one raw ES384 signature over a Sig_structure of a real document's size. */
  @Benchmark
  public byte[] rawSign() throws GeneralSecurityException {
    rawSigner.update(sigStructure);
    return rawSigner.sign();
  }

  /** One complete attestation document from the software NSM. */
  @Benchmark
  public byte[] attest() {
    return nsm.attestation(userData, nonce, null);
  }
}
