package dev.nitroemu.kms;

import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.kms.internal.TlsCertificates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Objects;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificate authority behind the KMS mock's HTTPS endpoint: a self-signed P-256 CA,
 * exportable as PEM, that issues the server a certificate for {@code kms.<region>.amazonaws.com},
 * {@code localhost}, {@code 127.0.0.1} and {@code ::1}, so that TLS clients (an enclave image's
 * trust store, the AWS CLI's {@code --ca-bundle}, a Java trust manager) can be told to trust the
 * mock.
 *
 * <p>{@link #save(Path)} writes {@value #CERTIFICATE_FILE} (mode 644) and the PKCS#8 key {@value
 * #KEY_FILE} (mode 600) with {@link AtomicFiles}. The CA is for development only: whoever holds its
 * key can impersonate any host to clients that trust it.
 */
public final class KmsTlsCa {
  /** The CA's subject (and issuer) name. */
  public static final String SUBJECT = "C=US,O=nitro-emu,OU=Emulator,CN=nitro-emu KMS TLS CA";

  /** File name of the PEM certificate in a CA directory. */
  public static final String CERTIFICATE_FILE = "kms-tls-ca.pem";

  /** File name of the PEM PKCS#8 private key in a CA directory. */
  public static final String KEY_FILE = "kms-tls-ca-key.pem";

  private final X509Certificate certificate;
  private final PrivateKey privateKey;

  private KmsTlsCa(X509Certificate certificate, PrivateKey privateKey) {
    this.certificate = certificate;
    this.privateKey = privateKey;
  }

  /**
   * A new CA valid from an hour before the clock's now for {@value
   * TlsCertificates#CA_LIFETIME_YEARS} years.
   */
  public static KmsTlsCa generate(Clock clock) {
    KeyPair pair = TlsCertificates.newKeyPair();
    return new KmsTlsCa(
        TlsCertificates.selfSignedCa(SUBJECT, pair, clock.instant()), pair.getPrivate());
  }

  /**
   * Reads a CA saved by {@link #save(Path)}.
   *
   * @throws IOException if a file is missing, unreadable, or the key does not belong to the
   *     certificate
   */
  public static KmsTlsCa load(Path directory) throws IOException {
    X509Certificate certificate =
        TlsCertificates.readCertificate(directory.resolve(CERTIFICATE_FILE));
    PrivateKey key = TlsCertificates.readPrivateKey(directory.resolve(KEY_FILE));
    if (!TlsCertificates.keyMatches(key, certificate.getPublicKey())) {
      throw new IOException(
          directory.resolve(KEY_FILE)
              + " is not the key of "
              + directory.resolve(CERTIFICATE_FILE));
    }
    return new KmsTlsCa(certificate, key);
  }

  /** The CA saved in {@code directory}, or a new one saved there if there is none. */
  public static KmsTlsCa loadOrCreate(Path directory, Clock clock) throws IOException {
    if (Files.exists(directory.resolve(CERTIFICATE_FILE))) {
      return load(directory);
    }
    KmsTlsCa created = generate(clock);
    created.save(directory);
    return created;
  }

  /**
   * Writes {@value #CERTIFICATE_FILE} and {@value #KEY_FILE} (owner-only) to {@code directory},
   * atomically each.
   */
  public void save(Path directory) throws IOException {
    Files.createDirectories(directory);
    AtomicFiles.write(directory.resolve(KEY_FILE), TlsCertificates.privateKeyPem(privateKey));
    AtomicFiles.write(
        directory.resolve(CERTIFICATE_FILE),
        certificatePem().getBytes(StandardCharsets.US_ASCII),
        AtomicFiles.WORLD_READABLE);
  }

  /** The CA certificate that clients should trust. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * The CA certificate as PEM, e.g. for {@code aws --ca-bundle} or an enclave image's trust store.
   */
  public String certificatePem() {
    return TlsCertificates.certificatePem(certificate);
  }

  /**
   * Trust managers that trust this CA only, e.g. for {@code
   * UrlConnectionHttpClient.tlsTrustManagersProvider}.
   */
  public TrustManager[] trustManagers() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setCertificateEntry("nitro-emu-kms-tls-ca", certificate);
      TrustManagerFactory factory =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot build a trust manager for the KMS TLS CA", e);
    }
  }

  /**
   * Issues the server certificate for {@code region}; see {@link
   * TlsCertificates#serverCertificate}.
   */
  TlsCertificates.ServerCertificate issueServerCertificate(String region, Clock clock) {
    Objects.requireNonNull(region, "region");
    return issueServerCertificate(java.util.List.of(region), clock);
  }

  /**
   * Issues the server certificate for every region a mock serves (the first is the home region).
   */
  TlsCertificates.ServerCertificate issueServerCertificate(
      java.util.List<String> regions, Clock clock) {
    return TlsCertificates.serverCertificate(certificate, privateKey, regions, clock.instant());
  }

  @Override
  public String toString() {
    return "KmsTlsCa["
        + certificate.getSubjectX500Principal().getName()
        + ", valid until "
        + certificate.getNotAfter().toInstant()
        + "]";
  }
}
