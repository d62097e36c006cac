package dev.nitroemu.bench;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.CoseSign1;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Verification per second against one raw ES384 verify: warm (chain cached) and cold (a new
 * verifier, so the whole chain is validated).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VerifyBenchmark {
  private byte[] document;
  private AttestationVerifier warm;
  private SoftwareNsm nsm;
  private Signature rawVerifier;
  private PublicKey leafKey;
  private byte[] sigStructure;
  private byte[] signature;

  @Setup
  public void setUp() throws GeneralSecurityException {
    nsm = SoftwareNsm.create();
    document = nsm.attestation(new byte[32], new byte[16], null);
    warm = AttestationVerifier.forRoot(nsm.rootCa().certificate());
    warm.verify(document);
    CoseSign1 cose = CoseSign1.decode(document);
    sigStructure = cose.sigStructure();
    signature = cose.signature();
    byte[] leafDer = dev.nitroemu.enclave.AttestationDocument.decodePayload(cose.payload()).certificate();
    leafKey = CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(leafDer)).getPublicKey();
    rawVerifier = Signature.getInstance("SHA384withECDSAinP1363Format");
  }

  /** Baseline: one raw ES384 verify of the document's signature. */
  @Benchmark
  public boolean rawVerify() throws GeneralSecurityException {
    rawVerifier.initVerify(leafKey);
    rawVerifier.update(sigStructure);
    return rawVerifier.verify(signature);
  }

  /** Full verification with the chain already validated (the steady state of a relying party). */
  @Benchmark
  public VerifiedAttestation verifyWarm() {
    return warm.verify(document);
  }

  /** Full verification by a fresh verifier: every chain signature and PKIX check again. */
  @Benchmark
  public VerifiedAttestation verifyCold() {
    return AttestationVerifier.forRoot(nsm.rootCa().certificate()).verify(document);
  }
}
