package dev.nitroemu.kms.internal;

import dev.nitroemu.enclave.AtomicFiles;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates for the KMS mock's HTTPS endpoint: P-256 keys, the self-signed CA of {@code
 * KmsTlsCa} and the server certificates it issues, PEM reading and writing, and the Netty server
 * TLS context.
 */
public final class TlsCertificates {
  /** Lifetime of a generated CA. */
  public static final int CA_LIFETIME_YEARS = 10;

  /** Lifetime of a server certificate (the longest that browsers and most TLS stacks accept). */
  public static final Duration SERVER_LIFETIME = Duration.ofDays(397);

  /**
   * How far before "now" certificates start, so hosts with slightly different clocks accept them.
   */
  static final Duration BACKDATE = Duration.ofHours(1);

  private static final String SIGNATURE = "SHA256withECDSA";
  private static final int MAX_PEM_BYTES = 64 * 1024;
  private static final SecureRandom RANDOM = new SecureRandom();

  private TlsCertificates() {}

  /**
   * A server key and certificate with the CA that issued it.
   *
   * @param key the server's private key
   * @param certificate the server certificate
   * @param issuer the CA certificate
   */
  public record ServerCertificate(
      PrivateKey key, X509Certificate certificate, X509Certificate issuer) {
    /** A Netty server TLS context (TLS 1.2 and 1.3) presenting this certificate and its issuer. */
    public SslContext serverContext() {
      try {
        return SslContextBuilder.forServer(key, certificate, issuer)
            .sslProvider(SslProvider.JDK)
            .protocols("TLSv1.3", "TLSv1.2")
            .build();
      } catch (IOException e) {
        throw new IllegalStateException("cannot build the KMS mock's TLS context", e);
      }
    }
  }

  /** A new P-256 key pair. */
  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 is unavailable", e);
    }
  }

  /**
   * A self-signed CA certificate for {@code pair} named {@code subject}, valid from {@code now}
   * minus an hour.
   */
  public static X509Certificate selfSignedCa(String subject, KeyPair pair, Instant now) {
    X500Name name = new X500Name(subject);
    Instant notBefore = now.minus(BACKDATE);
    Instant notAfter = notBefore.atZone(ZoneOffset.UTC).plusYears(CA_LIFETIME_YEARS).toInstant();
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  name, serial(), Date.from(notBefore), Date.from(notAfter), name, pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(pair.getPublic()));
      return sign(builder, pair.getPrivate());
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the KMS TLS CA certificate", e);
    }
  }

  /**
   * A server certificate issued by the CA for {@code kms.<region>.amazonaws.com}, {@code
   * localhost}, {@code 127.0.0.1} and {@code ::1}, valid for {@link #SERVER_LIFETIME} (at most
   * until the CA expires).
   */
  public static ServerCertificate serverCertificate(
      X509Certificate ca, PrivateKey caKey, String region, Instant now) {
    return serverCertificate(ca, caKey, List.of(region), now);
  }

  /**
   * The same for a mock serving several regions: one {@code kms.<region>.amazonaws.com} name each
   * (the first in the CN).
   */
  public static ServerCertificate serverCertificate(
      X509Certificate ca, PrivateKey caKey, List<String> regions, Instant now) {
    KeyPair pair = newKeyPair();
    String host = "kms." + regions.get(0) + ".amazonaws.com";
    Instant notBefore = now.minus(BACKDATE);
    Instant notAfter = now.plus(SERVER_LIFETIME);
    if (notAfter.isAfter(ca.getNotAfter().toInstant())) {
      notAfter = ca.getNotAfter().toInstant();
    }
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      List<GeneralName> all = new ArrayList<>();
      for (String region : regions) {
        all.add(new GeneralName(GeneralName.dNSName, "kms." + region + ".amazonaws.com"));
      }
      all.add(new GeneralName(GeneralName.dNSName, "localhost"));
      all.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
      all.add(new GeneralName(GeneralName.iPAddress, "::1"));
      GeneralNames names = new GeneralNames(all.toArray(new GeneralName[0]));
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  ca,
                  serial(),
                  Date.from(notBefore),
                  Date.from(notAfter),
                  new X500Name("C=US,O=nitro-emu,OU=Emulator,CN=" + host),
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
              .addExtension(Extension.subjectAlternativeName, false, names)
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  extensions.createSubjectKeyIdentifier(pair.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  extensions.createAuthorityKeyIdentifier(ca));
      return new ServerCertificate(pair.getPrivate(), sign(builder, caKey), ca);
    } catch (CertIOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue the KMS mock's server certificate", e);
    }
  }

  /** The certificate as PEM. */
  public static String certificatePem(X509Certificate certificate) {
    return pem(certificate);
  }

  /** The key as PKCS#8 PEM ({@code BEGIN PRIVATE KEY}). */
  public static String privateKeyPem(PrivateKey key) {
    String base64 =
        Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(key.getEncoded());
    return "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n";
  }

  /** Reads one PEM certificate (at most 64 KiB). */
  public static X509Certificate readCertificate(Path file) throws IOException {
    Object parsed = readPem(file);
    if (!(parsed instanceof X509CertificateHolder)) {
      throw new IOException(file + " does not hold a PEM certificate");
    }
    try {
      return new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) parsed);
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " holds an unreadable certificate", e);
    }
  }

  /** Reads one PEM PKCS#8 private key (at most 64 KiB). */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    Object parsed = readPem(file);
    if (!(parsed instanceof PrivateKeyInfo)) {
      throw new IOException(file + " does not hold a PEM PKCS#8 private key");
    }
    return new JcaPEMKeyConverter().getPrivateKey((PrivateKeyInfo) parsed);
  }

  /** Whether {@code key} signs what {@code publicKey} verifies. */
  public static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
    try {
      byte[] probe = "nitro-emu key check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(SIGNATURE);
      signer.initSign(key, RANDOM);
      signer.update(probe);
      Signature verifier = Signature.getInstance(SIGNATURE);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signer.sign());
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static Object readPem(Path file) throws IOException {
    String pem = new String(AtomicFiles.read(file, MAX_PEM_BYTES), StandardCharsets.US_ASCII);
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object parsed = parser.readObject();
      if (parsed == null) {
        throw new IOException(file + " holds no PEM object");
      }
      return parsed;
    }
  }

  private static String pem(Object object) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(text)) {
      writer.writeObject(object);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write PEM", e);
    }
    return text.toString();
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter()
          .getCertificate(
              builder.build(
                  new JcaContentSignerBuilder(SIGNATURE).setSecureRandom(RANDOM).build(key)));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException("cannot sign a certificate", e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(128, RANDOM).setBit(127);
  }
}
