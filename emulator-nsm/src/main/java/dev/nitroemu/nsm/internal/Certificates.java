package dev.nitroemu.nsm.internal;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Building blocks for the emulator's X.509 certificates: P-384 keys, serials, names with the string
 * types AWS uses, key identifiers and ecdsa-with-SHA384 signing (JDK SunEC).
 */
public final class Certificates {
  /** Signature algorithm of every certificate in an NSM chain. */
  public static final String CERT_SIGNATURE_ALGORITHM = "SHA384withECDSA";

  private Certificates() {}

  /** Generates a fresh NIST P-384 key pair. */
  public static KeyPair newP384KeyPair(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp384r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-384 key generation is unavailable", e);
    }
  }

  /**
   * A positive, non-zero serial number of {@code length} random bytes (as AWS: high bit may be
   * set).
   */
  public static BigInteger randomSerial(SecureRandom random, int length) {
    byte[] bytes = new byte[length];
    BigInteger serial;
    do {
      random.nextBytes(bytes);
      serial = new BigInteger(1, bytes);
    } while (serial.signum() == 0);
    return serial;
  }

  /** One attribute of a name: countryName as PrintableString, everything else as UTF8String. */
  public static RDN rdn(ASN1ObjectIdentifier type, String value) {
    ASN1Encodable encoded =
        BCStyle.C.equals(type) ? new DERPrintableString(value, true) : new DERUTF8String(value);
    return new RDN(new AttributeTypeAndValue(type, encoded));
  }

  /** A distinguished name whose attributes are encoded exactly in the given order. */
  public static X500Name name(RDN... rdns) {
    return new X500Name(rdns);
  }

  /** The subject name of a certificate, with its original encoding. */
  public static X500Name subjectOf(X509Certificate certificate) {
    return X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
  }

  /** RFC 5280 method 1 key identifier: SHA-1 of the subjectPublicKey bits, as AWS computes it. */
  public static byte[] keyIdentifier(PublicKey key) {
    byte[] bits = SubjectPublicKeyInfo.getInstance(key.getEncoded()).getPublicKeyData().getBytes();
    try {
      return MessageDigest.getInstance("SHA-1").digest(bits);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-1 is unavailable", e);
    }
  }

  /**
   * The subject key identifier a certificate declares, or the method-1 identifier of its key when
   * it declares none; what the authority key identifier of a certificate it issues must hold.
   */
  public static byte[] subjectKeyIdentifierOf(X509Certificate certificate) {
    byte[] extension = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (extension == null) {
      return keyIdentifier(certificate.getPublicKey());
    }
    return SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(extension).getOctets())
        .getKeyIdentifier();
  }

  /** Converts an instant to a certificate time (whole seconds). */
  public static Date time(Instant instant) {
    return Date.from(instant.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  /** Signs a prepared certificate with ecdsa-with-SHA384 and returns it as a JDK certificate. */
  public static X509Certificate sign(
      X509v3CertificateBuilder builder, PrivateKey issuerKey, SecureRandom random) {
    try {
      ContentSigner signer =
          new JcaContentSignerBuilder(CERT_SIGNATURE_ALGORITHM)
              .setSecureRandom(random)
              .build(issuerKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException | CertificateException e) {
      throw new IllegalStateException("cannot sign certificate", e);
    }
  }

  /** Wraps the checked exception BouncyCastle throws when an extension cannot be encoded. */
  public static IllegalStateException extensionFailure(CertIOException e) {
    return new IllegalStateException("cannot encode certificate extension", e);
  }

  /**
   * True when the private key belongs to the public key (a signature made with one verifies with
   * the other).
   */
  public static boolean keyMatches(
      PrivateKey privateKey, PublicKey publicKey, SecureRandom random) {
    byte[] challenge = new byte[32];
    random.nextBytes(challenge);
    try {
      Signature signer = Signature.getInstance(CERT_SIGNATURE_ALGORITHM);
      signer.initSign(privateKey, random);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(CERT_SIGNATURE_ALGORITHM);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
