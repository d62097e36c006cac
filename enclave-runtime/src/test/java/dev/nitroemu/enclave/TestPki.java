package dev.nitroemu.enclave;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A small emulator-style PKI and COSE document builder for tests (root -> intermediate -> leaf).
 */
public final class TestPki {
  /** The instant test chains are built around. */
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  static final int CA_USAGE = KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature;
  static final int LEAF_USAGE = KeyUsage.digitalSignature | KeyUsage.nonRepudiation;

  private static final AtomicLong SERIALS = new AtomicLong(1);

  private TestPki() {}

  /** A certificate with its key pair. */
  record Issued(X509Certificate certificate, KeyPair keys) {
    byte[] der() {
      try {
        return certificate.getEncoded();
      } catch (CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Root (10 years), intermediate (pathLen 0, one day) and leaf (T0 - 1h .. T0 + 3h). */
  record Chain(Issued root, Issued intermediate, Issued leaf) {
    List<byte[]> cabundle() {
      return List.of(root.der(), intermediate.der());
    }

    Document document() {
      return new Document(leaf, cabundle());
    }
  }

  static Chain chain() {
    Issued root =
        cert("CN=test-root.nitro-emu")
            .ca(-1)
            .valid(T0.minus(Duration.ofDays(3650)), T0.plus(Duration.ofDays(3650)))
            .build();
    return chainUnder(root);
  }

  static Chain chainUnder(Issued root) {
    Issued intermediate =
        cert("CN=i-0123456789abcdef0.test.nitro-emu").issuedBy(root).ca(0).build();
    Issued leaf =
        cert("CN=i-0123456789abcdef0-enc0000000000000001.test.aws").issuedBy(intermediate).build();
    return new Chain(root, intermediate, leaf);
  }

  public static KeyPair keyPair(String curve) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec(curve));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static CertBuilder cert(String subject) {
    return new CertBuilder(subject);
  }

  /**
   * Builds one certificate; by default a P-384 leaf (CA:false, digitalSignature) valid T0 - 1h ..
   * T0 + 3h.
   */
  static final class CertBuilder {
    private final String subject;
    private Issued issuer;
    private Instant notBefore = T0.minus(Duration.ofHours(1));
    private Instant notAfter = T0.plus(Duration.ofHours(3));
    private KeyPair keys;
    private boolean ca;
    private int pathLen = -1;
    private int keyUsage = LEAF_USAGE;
    private String signatureAlgorithm = "SHA384withECDSA";
    private String excludedSubtree;

    private CertBuilder(String subject) {
      this.subject = subject;
    }

    CertBuilder issuedBy(Issued issuer) {
      this.issuer = issuer;
      return this;
    }

    CertBuilder valid(Instant from, Instant to) {
      this.notBefore = from;
      this.notAfter = to;
      return this;
    }

    CertBuilder keys(KeyPair keys) {
      this.keys = keys;
      return this;
    }

    /** Makes it a CA valid T0 - 1 day .. T0 + 1 day; {@code pathLen} -1 means unlimited. */
    CertBuilder ca(int pathLen) {
      this.ca = true;
      this.pathLen = pathLen;
      this.keyUsage = CA_USAGE;
      this.notBefore = T0.minus(Duration.ofDays(1));
      this.notAfter = T0.plus(Duration.ofDays(1));
      return this;
    }

    /** Sets basicConstraints CA without the other CA defaults. */
    CertBuilder caFlag(boolean ca) {
      this.ca = ca;
      return this;
    }

    /** Key usage bits (BouncyCastle {@link KeyUsage} constants); 0 omits the extension. */
    CertBuilder keyUsage(int bits) {
      this.keyUsage = bits;
      return this;
    }

    /**
     * Adds a non-critical nameConstraints extension excluding the directory names under {@code dn}.
     */
    CertBuilder excludedSubtree(String dn) {
      this.excludedSubtree = dn;
      return this;
    }

    CertBuilder signatureAlgorithm(String algorithm) {
      this.signatureAlgorithm = algorithm;
      return this;
    }

    Issued build() {
      KeyPair subjectKeys = keys != null ? keys : keyPair("secp384r1");
      X500Name subjectName = new X500Name(subject);
      X500Name issuerName =
          issuer == null
              ? subjectName
              : X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded());
      KeyPair signer = issuer == null ? subjectKeys : issuer.keys();
      try {
        JcaX509v3CertificateBuilder builder =
            new JcaX509v3CertificateBuilder(
                issuerName,
                BigInteger.valueOf(SERIALS.getAndIncrement()),
                Date.from(notBefore),
                Date.from(notAfter),
                subjectName,
                subjectKeys.getPublic());
        builder.addExtension(
            Extension.basicConstraints,
            true,
            ca
                ? (pathLen >= 0 ? new BasicConstraints(pathLen) : new BasicConstraints(true))
                : new BasicConstraints(false));
        if (excludedSubtree != null) {
          builder.addExtension(
              Extension.nameConstraints,
              false,
              new NameConstraints(
                  null,
                  new GeneralSubtree[] {
                    new GeneralSubtree(new GeneralName(new X500Name(excludedSubtree)))
                  }));
        }
        if (keyUsage != 0) {
          builder.addExtension(Extension.keyUsage, ca, new KeyUsage(keyUsage));
        }
        X509Certificate certificate =
            new JcaX509CertificateConverter()
                .getCertificate(
                    builder.build(
                        new JcaContentSignerBuilder(signatureAlgorithm)
                            .build(signer.getPrivate())));
        return new Issued(certificate, subjectKeys);
      } catch (Exception e) {
        throw new IllegalStateException("cannot build test certificate " + subject, e);
      }
    }
  }

  /**
   * Builds a signed COSE_Sign1 attestation document; defaults: timestamp T0, no optionals,
   * indefinite map.
   */
  static final class Document {
    private byte[] certificate;
    private List<byte[]> cabundle;
    private KeyPair signingKeys;
    private Instant timestamp = T0;
    private byte[] nonce;
    private byte[] userData;
    private PayloadEncoding encoding = PayloadEncoding.INDEFINITE;

    Document(Issued leaf, List<byte[]> cabundle) {
      this.certificate = leaf.der();
      this.signingKeys = leaf.keys();
      this.cabundle = new ArrayList<>(cabundle);
    }

    Document cabundle(List<byte[]> cabundle) {
      this.cabundle = new ArrayList<>(cabundle);
      return this;
    }

    Document signedBy(KeyPair keys) {
      this.signingKeys = keys;
      return this;
    }

    Document timestamp(Instant timestamp) {
      this.timestamp = timestamp;
      return this;
    }

    Document nonce(byte[] nonce) {
      this.nonce = nonce;
      return this;
    }

    Document userData(byte[] userData) {
      this.userData = userData;
      return this;
    }

    Document encoding(PayloadEncoding encoding) {
      this.encoding = encoding;
      return this;
    }

    AttestationDocument payload() {
      TreeMap<Integer, byte[]> pcrs = new TreeMap<>();
      for (int i = 0; i < 16; i++) {
        byte[] value = new byte[48];
        Arrays.fill(value, i < 5 ? (byte) (0x10 + i) : 0);
        pcrs.put(i, value);
      }
      return new AttestationDocument(
          "i-0123456789abcdef0-enc0000000000000001",
          "SHA384",
          timestamp.toEpochMilli(),
          pcrs,
          certificate,
          cabundle,
          null,
          userData,
          nonce);
    }

    byte[] build() {
      byte[] payload = payload().encodePayload(encoding);
      return new CoseSign1(CoseSign1.ES384_PROTECTED, payload, sign(signingKeys, payload)).encode();
    }
  }

  static byte[] sign(KeyPair keys, byte[] payload) {
    try {
      Signature es384 = Signature.getInstance("SHA384withECDSAinP1363Format");
      es384.initSign(keys.getPrivate());
      es384.update(CoseSign1.sigStructure(CoseSign1.ES384_PROTECTED, payload));
      return es384.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
