package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationException.Reason;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Validates an attestation document's chain {@code leaf -> cabundle[N..1] -> trusted root} the way
 * AWS describes it: profile checks, name chaining, every signature, CA constraints, the validity of
 * every certificate including the root, and finally the JDK's PKIX validator without revocation.
 *
 * <p>The checks run in a fixed order so a failure has one precise reason: certificates that cannot
 * be parsed or break the profile ({@link Reason#INVALID_CERTIFICATE}) come first, then a chain that
 * does not link up ({@link Reason#UNTRUSTED_CHAIN}), then time ({@link Reason#CERTIFICATE_EXPIRED},
 * {@link Reason#CERTIFICATE_NOT_YET_VALID}).
 */
public final class ChainValidator {
  /** OID of ecdsa-with-SHA384, the only signature algorithm in NSM chains. */
  static final String ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3";

  private static final String BASIC_CONSTRAINTS = "2.5.29.19";
  private static final String KEY_USAGE = "2.5.29.15";
  private static final Set<String> UNDERSTOOD_CRITICAL = Set.of(BASIC_CONSTRAINTS, KEY_USAGE);
  private static final int KU_DIGITAL_SIGNATURE = 0;
  private static final int KU_KEY_CERT_SIGN = 5;
  private static final ECParameterSpec P384 = p384();

  private final List<X509Certificate> anchors;
  private final List<byte[]> anchorDers;
  private final CertificateCache certificates;

  /**
   * @param anchors trusted roots; each must pass {@link #checkAnchor}
   * @param certificates where parsed certificates are kept
   */
  public ChainValidator(List<X509Certificate> anchors, CertificateCache certificates) {
    this.anchors = List.copyOf(anchors);
    this.anchors.forEach(ChainValidator::checkAnchor);
    this.anchorDers = this.anchors.stream().map(ChainValidator::der).toList();
    this.certificates = certificates;
  }

  /**
   * Checks that a certificate can serve as a trust anchor: a P-384 CA allowed to sign certificates.
   *
   * @throws IllegalArgumentException if it cannot
   */
  public static void checkAnchor(X509Certificate anchor) {
    String subject = anchor.getSubjectX500Principal().getName();
    if (!isP384(anchor.getPublicKey())) {
      throw new IllegalArgumentException("trust anchor " + subject + " must have an EC P-384 key");
    }
    if (anchor.getBasicConstraints() < 0 || !hasKeyUsage(anchor, KU_KEY_CERT_SIGN)) {
      throw new IllegalArgumentException(
          "trust anchor " + subject + " must be a CA (basicConstraints CA, keyUsage keyCertSign)");
    }
  }

  /**
   * The trust anchor that {@code cabundle[0]} stands for: the anchor with the same DER or, failing
   * that, with the same subject and public key; null if there is none.
   *
   * @throws AttestationException with {@link Reason#INVALID_CERTIFICATE} if the DER differs from
   *     every anchor and cannot be parsed
   */
  public X509Certificate findAnchor(byte[] bundleRootDer) {
    for (int i = 0; i < anchors.size(); i++) {
      if (Arrays.equals(anchorDers.get(i), bundleRootDer)) {
        return anchors.get(i);
      }
    }
    X509Certificate bundleRoot = certificates.parse(bundleRootDer, "cabundle[0]");
    for (X509Certificate anchor : anchors) {
      if (anchor.getSubjectX500Principal().equals(bundleRoot.getSubjectX500Principal())
          && Arrays.equals(
              anchor.getPublicKey().getEncoded(), bundleRoot.getPublicKey().getEncoded())) {
        return anchor;
      }
    }
    return null;
  }

  /** The DER encoding of a certificate. */
  public static byte[] der(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded", e);
    }
  }

  /**
   * Validates the chain at {@code time}.
   *
   * @param leafDer the document's {@code certificate}
   * @param cabundle the document's {@code cabundle}, root first
   * @throws AttestationException if any check fails
   */
  public ValidatedChain validate(byte[] leafDer, List<byte[]> cabundle, Instant time) {
    if (cabundle.isEmpty()) {
      throw new AttestationException(Reason.UNTRUSTED_CHAIN, "cabundle is empty");
    }
    X509Certificate leaf = certificates.parse(leafDer, "leaf certificate");
    List<X509Certificate> bundle = new ArrayList<>(cabundle.size());
    for (int i = 0; i < cabundle.size(); i++) {
      bundle.add(certificates.parse(cabundle.get(i), "cabundle[" + i + "]"));
    }
    checkLeafProfile(leaf);
    for (int i = 0; i < bundle.size(); i++) {
      checkCommonProfile(bundle.get(i), "cabundle[" + i + "]");
    }
    X509Certificate anchor = matchAnchor(cabundle.get(0), bundle.get(0));

    List<X509Certificate> chain = new ArrayList<>(bundle.size() + 1);
    chain.add(leaf);
    for (int i = bundle.size() - 1; i >= 1; i--) {
      chain.add(bundle.get(i));
    }
    chain.add(anchor);
    checkLinks(chain);
    checkValidity(chain, time);
    checkWithJdkPkix(chain, anchor, time);

    Instant notBefore = Instant.MIN;
    Instant notAfter = Instant.MAX;
    for (X509Certificate c : chain) {
      notBefore = max(notBefore, c.getNotBefore().toInstant());
      notAfter = min(notAfter, c.getNotAfter().toInstant());
    }
    return new ValidatedChain(chain, notBefore, notAfter);
  }

  private static void checkLeafProfile(X509Certificate leaf) {
    checkCommonProfile(leaf, "leaf certificate");
    if (leaf.getBasicConstraints() >= 0) {
      throw invalid("leaf certificate must not be a CA");
    }
    if (!hasKeyUsage(leaf, KU_DIGITAL_SIGNATURE)) {
      throw invalid("leaf certificate keyUsage must include digitalSignature");
    }
  }

  private static void checkCommonProfile(X509Certificate cert, String what) {
    if (!isP384(cert.getPublicKey())) {
      throw invalid(what + " must have an EC P-384 key");
    }
    if (!ECDSA_WITH_SHA384.equals(cert.getSigAlgOID())) {
      throw invalid(what + " must be signed with ecdsa-with-SHA384, not " + cert.getSigAlgName());
    }
    Set<String> critical = cert.getCriticalExtensionOIDs();
    if (critical != null && !UNDERSTOOD_CRITICAL.containsAll(critical)) {
      throw invalid(what + " has an unsupported critical extension: " + critical);
    }
  }

  private X509Certificate matchAnchor(byte[] bundleRootDer, X509Certificate bundleRoot) {
    X509Certificate anchor = findAnchor(bundleRootDer);
    if (anchor == null) {
      throw new AttestationException(
          Reason.UNTRUSTED_CHAIN,
          "cabundle[0] ("
              + bundleRoot.getSubjectX500Principal().getName()
              + ") is not a trusted root");
    }
    return anchor;
  }

  /** Name chaining, each signature by its issuer's key, and the issuer's CA constraints. */
  private static void checkLinks(List<X509Certificate> chain) {
    for (int i = 0; i < chain.size() - 1; i++) {
      X509Certificate child = chain.get(i);
      X509Certificate issuer = chain.get(i + 1);
      String childName = child.getSubjectX500Principal().getName();
      if (!child.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
        throw new AttestationException(
            Reason.UNTRUSTED_CHAIN,
            childName
                + " is issued by "
                + child.getIssuerX500Principal().getName()
                + ", but the next certificate is "
                + issuer.getSubjectX500Principal().getName());
      }
      try {
        child.verify(issuer.getPublicKey());
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new AttestationException(
            Reason.UNTRUSTED_CHAIN,
            "signature of " + childName + " does not verify with its issuer's key",
            e);
      }
      String issuerName = issuer.getSubjectX500Principal().getName();
      int pathLen = issuer.getBasicConstraints();
      if (pathLen < 0) {
        throw invalid(issuerName + " issues certificates but is not a CA");
      }
      // Intermediate CAs below the issuer: chain[1..i] (the leaf does not count).
      if (i > pathLen) {
        throw invalid(issuerName + " allows " + pathLen + " CAs below it, the chain has " + i);
      }
      if (!hasKeyUsage(issuer, KU_KEY_CERT_SIGN)) {
        throw invalid(issuerName + " keyUsage lacks keyCertSign");
      }
    }
  }

  private static void checkValidity(List<X509Certificate> chain, Instant time) {
    Date date = Date.from(time);
    for (X509Certificate cert : chain) {
      String name = cert.getSubjectX500Principal().getName();
      try {
        cert.checkValidity(date);
      } catch (CertificateExpiredException e) {
        throw new AttestationException(
            Reason.CERTIFICATE_EXPIRED,
            name + " expired at " + cert.getNotAfter().toInstant() + ", before " + time);
      } catch (CertificateNotYetValidException e) {
        throw new AttestationException(
            Reason.CERTIFICATE_NOT_YET_VALID,
            name + " is valid from " + cert.getNotBefore().toInstant() + ", after " + time);
      }
    }
  }

  /** The JDK's own PKIX validation as a last gate (it also knows policy and name constraints). */
  private static void checkWithJdkPkix(
      List<X509Certificate> chain, X509Certificate anchor, Instant time) {
    try {
      CertPath path =
          CertificateFactory.getInstance("X.509")
              .generateCertPath(chain.subList(0, chain.size() - 1));
      PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
      parameters.setRevocationEnabled(false);
      parameters.setDate(Date.from(time));
      CertPathValidator.getInstance("PKIX").validate(path, parameters);
    } catch (CertPathValidatorException e) {
      if (e.getReason() == BasicReason.EXPIRED) {
        throw new AttestationException(Reason.CERTIFICATE_EXPIRED, "PKIX: " + e.getMessage(), e);
      }
      if (e.getReason() == BasicReason.NOT_YET_VALID) {
        throw new AttestationException(
            Reason.CERTIFICATE_NOT_YET_VALID, "PKIX: " + e.getMessage(), e);
      }
      throw new AttestationException(Reason.UNTRUSTED_CHAIN, "PKIX: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new AttestationException(
          Reason.UNTRUSTED_CHAIN, "PKIX validation failed: " + e.getMessage(), e);
    }
  }

  private static boolean hasKeyUsage(X509Certificate cert, int bit) {
    boolean[] usage = cert.getKeyUsage();
    return usage != null && usage.length > bit && usage[bit];
  }

  /** Whether {@code key} is an EC key on NIST P-384. */
  public static boolean isP384(PublicKey key) {
    if (!(key instanceof ECPublicKey ec)) {
      return false;
    }
    ECParameterSpec params = ec.getParams();
    return params.getCurve().equals(P384.getCurve())
        && params.getGenerator().equals(P384.getGenerator())
        && params.getOrder().equals(P384.getOrder())
        && params.getCofactor() == P384.getCofactor();
  }

  private static ECParameterSpec p384() {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp384r1"));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-384 is unavailable", e);
    }
  }

  private static AttestationException invalid(String message) {
    return new AttestationException(Reason.INVALID_CERTIFICATE, message);
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
