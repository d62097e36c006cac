package dev.nitroemu.cli;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * What {@code nitro-emu attest --public-key FILE} embeds as the document's {@code public_key}.
 *
 * <ul>
 *   <li>A private key is refused, so it never ends up in a document: any PEM block whose label ends
 *       in {@code PRIVATE KEY} (PKCS#8, encrypted PKCS#8, PKCS#1 {@code RSA}, SEC1 {@code EC},
 *       OpenSSH), and DER PKCS#8 ({@code PrivateKeyInfo}, {@code EncryptedPrivateKeyInfo}), PKCS#1
 *       {@code RSAPrivateKey} and SEC1 {@code ECPrivateKey}.
 *   <li>A PEM {@code PUBLIC KEY} becomes its DER SubjectPublicKeyInfo, and a PEM {@code RSA PUBLIC
 *       KEY} (PKCS#1) is wrapped into one: KMS {@code Recipient} and the Nitro Enclaves SDK use DER
 *       SPKI.
 *   <li>Any other file is embedded byte for byte, as the real NSM takes any bytes as {@code
 *       public_key} (DER SPKI is what KMS expects).
 * </ul>
 */
final class PublicKeyFile {
  /** The refusal text for a private key. */
  static final String PRIVATE_KEY = "that is a private key; pass the public key";

  private PublicKeyFile() {}

  /**
   * The bytes to embed for {@code content}, read from {@code path}.
   *
   * @throws CliFailure (exit 2) for a private key or a PEM file without a public key
   */
  static byte[] bytes(byte[] content, Path path) {
    String text = new String(content, StandardCharsets.ISO_8859_1);
    if (text.contains("-----BEGIN ")) {
      return fromPem(text, path);
    }
    if (isPrivateKeyDer(content)) {
      throw refused(path, PRIVATE_KEY);
    }
    return content;
  }

  private static byte[] fromPem(String text, Path path) {
    if (text.contains("PRIVATE KEY-----")) {
      throw refused(path, PRIVATE_KEY);
    }
    String found = null;
    try (PemReader reader = new PemReader(new StringReader(text))) {
      for (PemObject block = reader.readPemObject();
          block != null;
          block = reader.readPemObject()) {
        if (block.getType().equals("PUBLIC KEY")) {
          return SubjectPublicKeyInfo.getInstance(block.getContent()).getEncoded();
        }
        if (block.getType().equals("RSA PUBLIC KEY")) {
          AlgorithmIdentifier rsa =
              new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
          return new SubjectPublicKeyInfo(rsa, RSAPublicKey.getInstance(block.getContent()))
              .getEncoded();
        }
        found = found == null ? block.getType() : found;
      }
    } catch (IOException | IllegalArgumentException | IllegalStateException e) {
      throw refused(path, "not a readable PEM public key (" + e.getMessage() + ")");
    }
    throw refused(
        path,
        "the PEM file holds no PUBLIC KEY block" + (found == null ? "" : " (found " + found + ")"));
  }

  /**
   * Whether {@code der} is one DER structure shaped like a private key (never true for an SPKI).
   */
  static boolean isPrivateKeyDer(byte[] der) {
    ASN1Primitive parsed;
    try {
      parsed = ASN1Primitive.fromByteArray(der);
    } catch (IOException | RuntimeException notDer) {
      return false;
    }
    if (!(parsed instanceof ASN1Sequence) || ((ASN1Sequence) parsed).size() < 2) {
      return false;
    }
    ASN1Sequence sequence = (ASN1Sequence) parsed;
    ASN1Encodable first = sequence.getObjectAt(0);
    ASN1Encodable second = sequence.getObjectAt(1);
    if (first instanceof ASN1Integer) {
      // PrivateKeyInfo, RSAPrivateKey, ECPrivateKey and DSA keys start with a version 0 or 1; an
      // RSAPublicKey starts with its modulus.
      BigInteger version = ((ASN1Integer) first).getValue();
      return version.compareTo(BigInteger.ONE) <= 0
          && version.signum() >= 0
          && (second instanceof ASN1Integer
              || second instanceof ASN1Sequence
              || second instanceof ASN1OctetString);
    }
    // EncryptedPrivateKeyInfo: {AlgorithmIdentifier, OCTET STRING}; an SPKI has a BIT STRING there.
    return first instanceof ASN1Sequence
        && second instanceof ASN1OctetString
        && sequence.size() == 2;
  }

  private static CliFailure refused(Path path, String reason) {
    return new CliFailure("--public-key " + path + ": " + reason, 2);
  }
}
