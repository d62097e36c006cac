package dev.nitroemu.bench;

import static dev.nitroemu.bench.AttestationBenchmark.requireAccp;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.CryptoProviders;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.nsm.SoftwareNsm;
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
 * Verification per second against one raw SunEC ES384 verify: warm (chain cached) through ACCP,
 * through {@link CryptoProviders#jca()} (BouncyCastle's ES384) and through the JDK alone (SunEC),
 * and cold (a new verifier, so the whole chain is validated) with the configured provider. The ACCP
 * methods fail, naming the reason, where ACCP does not load.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VerifyBenchmark {
  private byte[] document;
  private AttestationVerifier warmAccp;
  private AttestationVerifier warmJca;
  private AttestationVerifier warmJdk;
  private SoftwareNsm nsm;
  private Signature rawVerifier;
  private Signature rawAccpVerifier;
  private PublicKey leafKey;
  private PublicKey accpLeafKey;
  private byte[] sigStructure;
  private byte[] signature;

  @Setup
  public void setUp() throws GeneralSecurityException {
    nsm = SoftwareNsm.create();
    document = nsm.attestation(new byte[32], new byte[16], null);
    warmJca =
        AttestationVerifier.builder()
            .trustAnchor(nsm.rootCa().certificate())
            .crypto(CryptoProviders.jca())
            .build();
    warmJca.verify(document);
    warmJdk =
        AttestationVerifier.builder()
            .trustAnchor(nsm.rootCa().certificate())
            .crypto(CryptoProviders.jdk())
            .build();
    warmJdk.verify(document);
    CoseSign1 cose = CoseSign1.decode(document);
    sigStructure = cose.sigStructure();
    signature = cose.signature();
    byte[] leafDer = AttestationDocument.decodePayload(cose.payload()).certificate();
    leafKey =
        CertificateFactory.getInstance("X.509")
            .generateCertificate(new ByteArrayInputStream(leafDer))
            .getPublicKey();
    rawVerifier = Signature.getInstance("SHA384withECDSAinP1363Format", "SunEC");
    CryptoProviders accp = CryptoProviders.accpIfAvailable().orElse(null);
    if (accp != null) {
      warmAccp =
          AttestationVerifier.builder()
              .trustAnchor(nsm.rootCa().certificate())
              .crypto(accp)
              .build();
      warmAccp.verify(document);
      rawAccpVerifier = accp.signature("SHA384withECDSAinP1363Format");
      accpLeafKey = accp.ownPublicKey(leafKey);
    }
  }

  /** Baseline: one raw SunEC ES384 verify of the document's signature. */
  @Benchmark
  public boolean rawVerify() throws GeneralSecurityException {
    rawVerifier.initVerify(leafKey);
    rawVerifier.update(sigStructure);
    return rawVerifier.verify(signature);
  }

  /** For reference: the same raw verify through ACCP. */
  @Benchmark
  public boolean rawVerifyAccp() throws GeneralSecurityException {
    Signature verifier = requireAccp(rawAccpVerifier);
    verifier.initVerify(accpLeafKey);
    verifier.update(sigStructure);
    return verifier.verify(signature);
  }

  /**
   * Full verification through ACCP with the chain already validated (a relying party's steady
   * state).
   */
  @Benchmark
  public VerifiedAttestation verifyWarmAccp() {
    return requireAccp(warmAccp).verify(document);
  }

  /** Full verification without ACCP (BouncyCastle's ES384) with the chain already validated. */
  @Benchmark
  public VerifiedAttestation verifyWarmJca() {
    return warmJca.verify(document);
  }

  /** For reference: the same through the JDK alone (SunEC). */
  @Benchmark
  public VerifiedAttestation verifyWarmJdk() {
    return warmJdk.verify(document);
  }

  /** Full verification by a fresh verifier: every chain signature and PKIX check again. */
  @Benchmark
  public VerifiedAttestation verifyCold() {
    return AttestationVerifier.forRoot(nsm.rootCa().certificate()).verify(document);
  }
}
