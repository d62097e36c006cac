package dev.nitroemu.nsm.internal;

import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.NsmException;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;

/**
 * The certificate chain below the emulator root for one enclave, shaped like AWS's: regional
 * (pathlen 2, 20 days), zonal (pathlen 1, 6 days) and instance (pathlen 0, 1 day) intermediates and
 * a 3-hour leaf whose key signs attestation documents.
 *
 * <p>The leaf is created lazily, reused, and replaced once less than {@link #LEAF_MIN_REMAINING} of
 * its validity is left (or the clock moved before it). Intermediates are re-issued (with everything
 * below them) whenever they would not cover the new leaf's validity. Intermediates start one hour
 * before they are issued and never outlive their issuer. The CRL distribution points of the real
 * regional and zonal certificates are left out: the emulator publishes no CRL.
 */
public final class AttestationPki {
  /** Validity of a leaf after its creation time. */
  public static final Duration LEAF_LIFETIME = Duration.ofHours(3);

  /** A leaf's notBefore lies this far before its creation time. */
  public static final Duration LEAF_BACKDATE = Duration.ofSeconds(3);

  /** A leaf with less validity left than this is replaced before signing. */
  public static final Duration LEAF_MIN_REMAINING = Duration.ofMinutes(30);

  /** Validity of a regional intermediate (AWS: about 20 days and 1 hour). */
  public static final Duration REGIONAL_LIFETIME = Duration.ofDays(20).plusHours(1);

  /** Validity of a zonal intermediate (AWS: about 6 days). */
  public static final Duration ZONAL_LIFETIME = Duration.ofDays(6);

  /** Validity of an instance intermediate (AWS: exactly 1 day). */
  public static final Duration INSTANCE_LIFETIME = Duration.ofDays(1);

  /** Intermediates start this long before they are issued. */
  public static final Duration INTERMEDIATE_BACKDATE = Duration.ofHours(1);

  private final Issued root;
  private final String region;
  private final String instanceId;
  private final long enclaveId;
  private final String moduleId;
  private final SecureRandom random;

  private Issued regional;
  private Issued zonal;
  private Issued instance;
  private Issued leaf;
  private Instant leafCreated;

  /** Creates the chain state for one enclave under a root; nothing is issued until first use. */
  public AttestationPki(
      X509Certificate rootCertificate,
      PrivateKey rootKey,
      String region,
      String instanceId,
      long enclaveId,
      String moduleId,
      SecureRandom random) {
    this.root = new Issued(rootCertificate, rootKey);
    this.region = Objects.requireNonNull(region, "region");
    this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
    this.enclaveId = enclaveId;
    this.moduleId = Objects.requireNonNull(moduleId, "moduleId");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * The key and certificates to sign a document at {@code now}, issuing or renewing what is needed.
   *
   * @throws NsmException {@link ErrorCode#INTERNAL_ERROR} when the root is not valid from now until
   *     the end of a new leaf's validity
   */
  public synchronized Credentials credentialsAt(Instant now) {
    if (leaf == null
        || now.isBefore(leafCreated)
        || now.plus(LEAF_MIN_REMAINING).isAfter(leaf.notAfter())) {
      Instant created = now.truncatedTo(ChronoUnit.SECONDS);
      Instant until = created.plus(LEAF_LIFETIME);
      if (!covers(root, created, until)) {
        throw new NsmException(
            ErrorCode.INTERNAL_ERROR,
            "emulator root CA (valid "
                + root.notBefore()
                + " to "
                + root.notAfter()
                + ") does not cover a leaf valid until "
                + until);
      }
      ensureIntermediates(created, until);
      leaf = issueLeaf(created);
      leafCreated = created;
    }
    return new Credentials(leaf, List.of(root.der, regional.der, zonal.der, instance.der));
  }

  private void ensureIntermediates(Instant from, Instant until) {
    boolean reissue = regional == null || !covers(regional, from, until);
    if (reissue) {
      regional = issueRegional(from);
    }
    reissue |= zonal == null || !covers(zonal, from, until);
    if (reissue) {
      zonal = issueZonal(from);
    }
    reissue |= instance == null || !covers(instance, from, until);
    if (reissue) {
      instance = issueInstance(from);
    }
  }

  private static boolean covers(Issued cert, Instant from, Instant until) {
    return !from.isBefore(cert.notBefore()) && !until.isAfter(cert.notAfter());
  }

  private Issued issueRegional(Instant now) {
    X500Name subject =
        Certificates.name(
            Certificates.rdn(BCStyle.C, "US"),
            Certificates.rdn(BCStyle.O, "Amazon"),
            Certificates.rdn(BCStyle.OU, "AWS"),
            Certificates.rdn(BCStyle.CN, randomHex() + "." + region + ".aws.nitro-enclaves"));
    return issueCa(root, subject, now, REGIONAL_LIFETIME, 16, 2, true);
  }

  private Issued issueZonal(Instant now) {
    X500Name subject =
        Certificates.name(
            Certificates.rdn(BCStyle.CN, randomHex() + ".zonal." + region + ".aws.nitro-enclaves"),
            Certificates.rdn(BCStyle.OU, "AWS"),
            Certificates.rdn(BCStyle.O, "Amazon"),
            Certificates.rdn(BCStyle.C, "US"),
            Certificates.rdn(BCStyle.ST, "WA"),
            Certificates.rdn(BCStyle.L, "Seattle"));
    return issueCa(regional, subject, now, ZONAL_LIFETIME, 16, 1, true);
  }

  private Issued issueInstance(Instant now) {
    X500Name subject = seattleName(instanceId + "." + region + ".aws.nitro-enclaves");
    return issueCa(zonal, subject, now, INSTANCE_LIFETIME, 20, 0, false);
  }

  /**
   * Issues an intermediate. Regional and zonal carry BC, AKI, SKI, KU(digitalSignature,
   * keyCertSign, cRLSign); the instance CA carries BC, KU(keyCertSign), SKI, AKI: the orders AWS
   * uses.
   */
  private Issued issueCa(
      Issued issuer,
      X500Name subject,
      Instant now,
      Duration lifetime,
      int serialLength,
      int pathLength,
      boolean upperTier) {
    Instant notBefore = latest(now.minus(INTERMEDIATE_BACKDATE), issuer.notBefore());
    Instant notAfter = earliest(notBefore.plus(lifetime), issuer.notAfter());
    KeyPair keys = Certificates.newP384KeyPair(random);
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            Certificates.subjectOf(issuer.certificate),
            Certificates.randomSerial(random, serialLength),
            Certificates.time(notBefore),
            Certificates.time(notAfter),
            subject,
            keys.getPublic());
    BasicConstraints constraints = new BasicConstraints(pathLength);
    AuthorityKeyIdentifier aki = new AuthorityKeyIdentifier(issuer.keyIdentifier);
    SubjectKeyIdentifier ski =
        new SubjectKeyIdentifier(Certificates.keyIdentifier(keys.getPublic()));
    try {
      builder.addExtension(Extension.basicConstraints, true, constraints);
      if (upperTier) {
        builder.addExtension(Extension.authorityKeyIdentifier, false, aki);
        builder.addExtension(Extension.subjectKeyIdentifier, false, ski);
        builder.addExtension(
            Extension.keyUsage,
            true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign));
        builder.addExtension(Extension.subjectKeyIdentifier, false, ski);
        builder.addExtension(Extension.authorityKeyIdentifier, false, aki);
      }
    } catch (CertIOException e) {
      throw Certificates.extensionFailure(e);
    }
    return new Issued(Certificates.sign(builder, issuer.key, random), keys.getPrivate());
  }

  /** The leaf: only BC critical CA:FALSE and KU (non-critical) digitalSignature+nonRepudiation. */
  private Issued issueLeaf(Instant created) {
    KeyPair keys = Certificates.newP384KeyPair(random);
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            Certificates.subjectOf(instance.certificate),
            new BigInteger(1, ModuleIds.leafSerial(enclaveId, created)),
            Certificates.time(created.minus(LEAF_BACKDATE)),
            Certificates.time(created.plus(LEAF_LIFETIME)),
            seattleName(moduleId + "." + region + ".aws"),
            keys.getPublic());
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(
          Extension.keyUsage,
          false,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
    } catch (CertIOException e) {
      throw Certificates.extensionFailure(e);
    }
    return new Issued(Certificates.sign(builder, instance.key, random), keys.getPrivate());
  }

  private static X500Name seattleName(String commonName) {
    return Certificates.name(
        Certificates.rdn(BCStyle.C, "US"),
        Certificates.rdn(BCStyle.ST, "Washington"),
        Certificates.rdn(BCStyle.L, "Seattle"),
        Certificates.rdn(BCStyle.O, "Amazon"),
        Certificates.rdn(BCStyle.OU, "AWS"),
        Certificates.rdn(BCStyle.CN, commonName));
  }

  private String randomHex() {
    byte[] bytes = new byte[8];
    random.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  /** A certificate with its private key and cached encodings. */
  private static final class Issued {
    final X509Certificate certificate;
    final PrivateKey key;
    final byte[] der;
    final byte[] keyIdentifier;

    Issued(X509Certificate certificate, PrivateKey key) {
      this.certificate = certificate;
      this.key = key;
      try {
        this.der = certificate.getEncoded();
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException("certificate cannot be encoded", e);
      }
      this.keyIdentifier = Certificates.subjectKeyIdentifierOf(certificate);
    }

    Instant notBefore() {
      return certificate.getNotBefore().toInstant();
    }

    Instant notAfter() {
      return certificate.getNotAfter().toInstant();
    }
  }

  /**
   * What signing one document needs: the leaf key, the leaf certificate and the CA bundle (root
   * first).
   */
  public static final class Credentials {
    private final PrivateKey signingKey;
    private final X509Certificate leaf;
    private final byte[] leafDer;
    private final List<byte[]> cabundle;

    Credentials(Issued leaf, List<byte[]> cabundle) {
      this.signingKey = leaf.key;
      this.leaf = leaf.certificate;
      this.leafDer = leaf.der;
      this.cabundle = cabundle;
    }

    /** The leaf's private key. */
    public PrivateKey signingKey() {
      return signingKey;
    }

    /** The leaf certificate. */
    public X509Certificate leaf() {
      return leaf;
    }

    /** The leaf certificate's DER bytes (shared; callers must not modify them). */
    public byte[] leafDer() {
      return leafDer;
    }

    /** DER certificates root, regional, zonal, instance (shared; callers must not modify them). */
    public List<byte[]> cabundle() {
      return cabundle;
    }

    @Override
    public String toString() {
      return "Credentials[leaf=" + leaf.getSubjectX500Principal().getName() + "]";
    }
  }
}
