package dev.nitroemu.enclave;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * PCR arithmetic as the NSM and AWS's tools do it: {@code extend(pcr, data) = SHA384(pcr || data)},
 * the image PCRs of an EIF ({@code SHA384(0^48 || SHA384(bytes))}), and the parent-instance PCRs 3,
 * 4 and 8 exactly as the AWS Nitro Enclaves user guide computes them.
 */
public final class Pcrs {

  /** Bytes in one SHA-384 PCR. */
  public static final int LENGTH = 48;

  private Pcrs() {}

  /** {@code SHA384(pcr || data)}: one NSM extend. */
  public static byte[] extend(byte[] pcr, byte[] data) {
    Objects.requireNonNull(pcr, "pcr");
    Objects.requireNonNull(data, "data");
    if (pcr.length != LENGTH) {
      throw new IllegalArgumentException("a SHA-384 PCR has 48 bytes, not " + pcr.length);
    }
    MessageDigest sha384 = sha384();
    sha384.update(pcr);
    return sha384.digest(data);
  }

  /** {@code SHA384(48 zero bytes || data)}: one extend of a zero register. */
  public static byte[] extendFromZero(byte[] data) {
    return extend(new byte[LENGTH], data);
  }

  /** The PCR of measured bytes whose SHA-384 is {@code digest}: {@code SHA384(0^48 || digest)}. */
  public static byte[] fromDigest(byte[] digest) {
    if (digest.length != LENGTH) {
      throw new IllegalArgumentException("a SHA-384 digest has 48 bytes, not " + digest.length);
    }
    return extendFromZero(digest);
  }

  /** PCR3: the parent instance's IAM role ARN, extended as raw UTF-8 (no inner hash). */
  public static byte[] parentRole(String iamRoleArn) {
    return extendFromZero(
        Objects.requireNonNull(iamRoleArn, "iamRoleArn").getBytes(StandardCharsets.UTF_8));
  }

  /** PCR4: the parent instance id (e.g. {@code i-1234567890abcdef0}), extended as raw bytes. */
  public static byte[] parentInstance(String instanceId) {
    return extendFromZero(
        Objects.requireNonNull(instanceId, "instanceId").getBytes(StandardCharsets.UTF_8));
  }

  /** PCR8: the EIF signing certificate, {@code SHA384(0^48 || SHA384(certificate DER))}. */
  public static byte[] signingCertificate(X509Certificate certificate) {
    try {
      return fromDigest(sha384().digest(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate cannot be encoded: " + e.getMessage(), e);
    }
  }

  /** A fresh SHA-384 digest. */
  static MessageDigest sha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is required of every JRE", e);
    }
  }
}
