package dev.nitroemu.nsm;

import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.enclave.Pem;
import dev.nitroemu.nsm.internal.Certificates;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The emulator's self-signed P-384 root certificate authority, the trust anchor of every
 * attestation document a {@link SoftwareNsm} signs (in place of AWS's {@code aws.nitro-enclaves}
 * root).
 *
 * <p>Its profile copies the AWS root (30 years, basicConstraints critical CA:TRUE, keyUsage
 * critical digitalSignature+keyCertSign+cRLSign, subject key identifier) under its own subject
 * {@value #SUBJECT}, so it can never be mistaken for Amazon's. {@link #save(Path)} writes {@value
 * #CERTIFICATE_FILE} (mode 644) and the PKCS#8 key {@value #KEY_FILE} (mode 600) with {@link
 * AtomicFiles}.
 */
public final class EmulatorRootCa {
  /** The root's subject (and issuer) name. */
  public static final String SUBJECT = "C=US,O=nitro-emu,OU=Emulator,CN=emulator.nitro-enclaves";

  /** File name of the PEM certificate in a root directory. */
  public static final String CERTIFICATE_FILE = "root.pem";

  /** File name of the PEM PKCS#8 private key in a root directory. */
  public static final String KEY_FILE = "root-key.pem";

  /** Lifetime of a generated root, like AWS's. */
  public static final int LIFETIME_YEARS = 30;

  /** How far before "now" a new root starts, so hosts with slightly different clocks accept it. */
  static final Duration BACKDATE = Duration.ofHours(1);

  private static final int MAX_FILE_SIZE = 64 * 1024;

  private final X509Certificate certificate;
  private final PrivateKey privateKey;
  private final byte[] der;

  private EmulatorRootCa(X509Certificate certificate, PrivateKey privateKey) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    try {
      this.der = certificate.getEncoded();
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("root certificate cannot be encoded", e);
    }
  }

  /** Generates a new root valid from one hour before the clock's now for 30 years. */
  public static EmulatorRootCa generate(Clock clock) {
    return generate(clock, new SecureRandom());
  }

  /** Generates a new root with the given source of randomness. */
  public static EmulatorRootCa generate(Clock clock, SecureRandom random) {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(random, "random");
    KeyPair keys = Certificates.newP384KeyPair(random);
    X500Name subject =
        Certificates.name(
            Certificates.rdn(BCStyle.C, "US"),
            Certificates.rdn(BCStyle.O, "nitro-emu"),
            Certificates.rdn(BCStyle.OU, "Emulator"),
            Certificates.rdn(BCStyle.CN, "emulator.nitro-enclaves"));
    Instant notBefore = clock.instant().minus(BACKDATE);
    Instant notAfter = notBefore.atOffset(ZoneOffset.UTC).plusYears(LIFETIME_YEARS).toInstant();
    JcaX509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            subject,
            Certificates.randomSerial(random, 16),
            Certificates.time(notBefore),
            Certificates.time(notAfter),
            subject,
            keys.getPublic());
    try {
      // Same extensions, criticality and order as the AWS root.
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          new SubjectKeyIdentifier(Certificates.keyIdentifier(keys.getPublic())));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign | KeyUsage.cRLSign));
    } catch (CertIOException e) {
      throw Certificates.extensionFailure(e);
    }
    return new EmulatorRootCa(
        Certificates.sign(builder, keys.getPrivate(), random), keys.getPrivate());
  }

  /**
   * Loads a root saved by {@link #save(Path)} from {@code dir}.
   *
   * @throws UncheckedIOException when a file cannot be read
   * @throws IllegalArgumentException when a file is malformed, the certificate is not a P-384 CA
   *     that signed itself, or the key does not belong to the certificate
   */
  public static EmulatorRootCa load(Path dir) {
    Path certFile = dir.resolve(CERTIFICATE_FILE);
    Path keyFile = dir.resolve(KEY_FILE);
    X509Certificate certificate = parseCertificate(read(certFile), certFile);
    PrivateKey key = parsePrivateKey(read(keyFile), keyFile);
    if (!(certificate.getPublicKey() instanceof ECPublicKey ec)
        || ec.getParams().getCurve().getField().getFieldSize() != 384) {
      throw new IllegalArgumentException(certFile + " does not hold a P-384 key");
    }
    if (certificate.getBasicConstraints() < 0) {
      throw new IllegalArgumentException(certFile + " is not a CA certificate");
    }
    try {
      certificate.verify(certificate.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(certFile + " is not a self-signed certificate", e);
    }
    if (!Certificates.keyMatches(key, certificate.getPublicKey(), new SecureRandom())) {
      throw new IllegalArgumentException(keyFile + " does not match the public key of " + certFile);
    }
    return new EmulatorRootCa(certificate, key);
  }

  /**
   * Loads the root in {@code dir}, or generates and saves one when the directory holds neither
   * file.
   *
   * @throws IllegalStateException when only one of the two files exists
   */
  public static EmulatorRootCa loadOrCreate(Path dir, Clock clock) {
    boolean hasCert = Files.exists(dir.resolve(CERTIFICATE_FILE));
    boolean hasKey = Files.exists(dir.resolve(KEY_FILE));
    if (hasCert && hasKey) {
      return load(dir);
    }
    if (hasCert || hasKey) {
      throw new IllegalStateException(
          dir
              + " holds "
              + (hasCert ? CERTIFICATE_FILE : KEY_FILE)
              + " but not "
              + (hasCert ? KEY_FILE : CERTIFICATE_FILE)
              + "; refusing to overwrite half a root");
    }
    EmulatorRootCa root = generate(clock);
    root.save(dir);
    return root;
  }

  /**
   * Writes {@value #CERTIFICATE_FILE} and {@value #KEY_FILE} (owner-only on POSIX) into {@code
   * dir}.
   */
  public void save(Path dir) {
    try {
      Files.createDirectories(dir);
      AtomicFiles.write(
          dir.resolve(CERTIFICATE_FILE),
          certificatePem().getBytes(StandardCharsets.US_ASCII),
          AtomicFiles.WORLD_READABLE);
      AtomicFiles.write(
          dir.resolve(KEY_FILE), Pem.encode(Pem.PRIVATE_KEY, privateKey.getEncoded()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save root CA to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** The root certificate. */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The root certificate's DER bytes (what {@code cabundle[0]} carries). */
  public byte[] certificateDer() {
    return der.clone();
  }

  /** The root certificate as PEM, e.g. to hand to a verifier. */
  public String certificatePem() {
    return Pem.encode(Pem.CERTIFICATE, der);
  }

  /** SHA-256 of the certificate's DER, the usual way to pin a root. */
  public byte[] fingerprintSha256() {
    try {
      return MessageDigest.getInstance("SHA-256").digest(der);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  /** The signing key; package-private so only the software module can issue under this root. */
  PrivateKey privateKey() {
    return privateKey;
  }

  @Override
  public String toString() {
    return "EmulatorRootCa["
        + certificate.getSubjectX500Principal().getName()
        + ", notAfter="
        + certificate.getNotAfter().toInstant()
        + "]";
  }

  private static String read(Path file) {
    try {
      return new String(AtomicFiles.read(file, MAX_FILE_SIZE), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static X509Certificate parseCertificate(String pem, Path file) {
    try {
      byte[] der = Pem.decode(pem, Pem.CERTIFICATE);
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          file + " is not a PEM X.509 certificate: " + e.getMessage(), e);
    }
  }

  /** Reads a PKCS#8 ({@code PRIVATE KEY}) or SEC1 ({@code EC PRIVATE KEY}) PEM key. */
  private static PrivateKey parsePrivateKey(String pem, Path file) {
    Object object;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      object = parser.readObject();
    } catch (IOException | RuntimeException e) {
      // Only the exception type is reported: a parser message could quote key material.
      throw new IllegalArgumentException(
          file + " is not a PEM private key (" + e.getClass().getSimpleName() + ")", e);
    }
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      if (object instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          file + " holds an unusable private key (" + e.getClass().getSimpleName() + ")", e);
    }
    throw new IllegalArgumentException(file + " holds no unencrypted private key");
  }
}
