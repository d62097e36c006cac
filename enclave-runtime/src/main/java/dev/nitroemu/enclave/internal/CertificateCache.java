package dev.nitroemu.enclave.internal;

import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationException.Reason;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Parses DER X.509 certificates once and keeps them by the SHA-256 of their DER, so verifying the
 * same leaf and cabundle again does not parse ASN.1 again.
 */
public final class CertificateCache {
  private final LruCache<String, X509Certificate> parsed;

  public CertificateCache(int maxEntries) {
    this.parsed = new LruCache<>(maxEntries);
  }

  /**
   * The certificate encoded by {@code der}.
   *
   * @throws AttestationException with {@link Reason#INVALID_CERTIFICATE} if it is not one DER X.509
   *     certificate
   */
  public X509Certificate parse(byte[] der, String what) {
    String key = sha256Hex(der);
    X509Certificate cached = parsed.get(key);
    if (cached != null) {
      return cached;
    }
    X509Certificate certificate = parseUncached(der, what);
    parsed.put(key, certificate);
    return certificate;
  }

  /** How many certificates are cached. */
  public int size() {
    return parsed.size();
  }

  private static X509Certificate parseUncached(byte[] der, String what) {
    if (der.length == 0 || (der[0] & 0xFF) != 0x30) {
      // CertificateFactory also accepts PEM and PKCS#7; a document carries only bare DER.
      throw new AttestationException(
          Reason.INVALID_CERTIFICATE, what + " is not a DER certificate");
    }
    Certificate certificate;
    try {
      certificate =
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      throw new AttestationException(
          Reason.INVALID_CERTIFICATE, what + " cannot be parsed: " + e.getMessage(), e);
    }
    if (!(certificate instanceof X509Certificate x509)) {
      throw new AttestationException(
          Reason.INVALID_CERTIFICATE, what + " is not an X.509 certificate");
    }
    try {
      if (!Arrays.equals(x509.getEncoded(), der)) {
        // Trailing bytes after the certificate, or a non-DER encoding the parser normalised.
        throw new AttestationException(
            Reason.INVALID_CERTIFICATE, what + " is not exactly one DER certificate");
      }
    } catch (CertificateException e) {
      throw new AttestationException(Reason.INVALID_CERTIFICATE, what + " cannot be re-encoded", e);
    }
    return x509;
  }

  /** Lowercase hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }
}
