package dev.nitroemu.enclave;

import dev.nitroemu.enclave.AttestationException.Reason;
import dev.nitroemu.enclave.internal.CertificateCache;
import dev.nitroemu.enclave.internal.ChainCache;
import dev.nitroemu.enclave.internal.ChainValidator;
import dev.nitroemu.enclave.internal.DocumentBytes;
import dev.nitroemu.enclave.internal.ValidatedChain;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifies NSM attestation documents (COSE_Sign1, ES384) against pinned trust anchors: the AWS
 * Nitro Enclaves root for real documents, an emulator root for emulated ones, through one code
 * path.
 *
 * <p>Steps, each failing with its own {@link Reason}: size bound, COSE envelope and ES384 header,
 * payload fields, certificate profile, chain {@code leaf -> cabundle[N..1] -> trust anchor} (the
 * anchor is the configured root; {@code cabundle[0]} must match it), validity of every certificate
 * at the verification time, the document signature, and the nonce if one is expected.
 *
 * <p>Validated chains are cached (keyed by the SHA-256 of leaf, cabundle and anchor, and used only
 * inside their common validity window), so verifying further documents from the same enclave costs
 * one ES384 verification. Instances are immutable apart from that cache and are thread-safe.
 */
public final class AttestationVerifier {
  /** SHA-256 of the DER of the AWS Nitro Enclaves Root-G1 certificate, as AWS publishes it. */
  public static final String AWS_ROOT_SHA256 =
      "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";

  static final String AWS_ROOT_RESOURCE = "AWS_NitroEnclaves_Root-G1.pem";

  private static final String COSE_ES384 = "SHA384withECDSAinP1363Format";
  private static final int CERTIFICATE_CACHE_ENTRIES = 1024;
  private static volatile X509Certificate awsRoot;

  private final List<X509Certificate> anchors;
  private final Clock clock;
  private final CryptoProviders crypto;
  private final ChainValidator validator;
  private final ChainCache chainCache = new ChainCache(ChainCache.DEFAULT_MAX_ENTRIES);
  private final AtomicLong chainValidations = new AtomicLong();

  private AttestationVerifier(Builder builder) {
    this.anchors = List.copyOf(builder.anchors);
    this.clock = builder.clock;
    this.crypto = builder.crypto != null ? builder.crypto : CryptoProviders.configured();
    this.validator = new ChainValidator(anchors, new CertificateCache(CERTIFICATE_CACHE_ENTRIES));
  }

  /** A verifier trusting only {@code root}, e.g. an emulator root CA certificate. */
  public static AttestationVerifier forRoot(X509Certificate root) {
    return builder().trustAnchor(root).build();
  }

  /** A verifier trusting only the bundled, fingerprint-pinned AWS Nitro Enclaves root. */
  public static AttestationVerifier forAwsRoot() {
    return builder().trustAwsRoot().build();
  }

  /** A builder for a verifier with several trust anchors or a custom clock. */
  public static Builder builder() {
    return new Builder();
  }

  /** The trusted roots, in the order they were added. */
  public List<X509Certificate> trustAnchors() {
    return anchors;
  }

  /** Verifies {@code document} at the clock's current time, without a nonce check. */
  public VerifiedAttestation verify(byte[] document) {
    return verify(document, VerificationOptions.defaults());
  }

  /**
   * Verifies {@code document} (raw CBOR bytes, tagged or untagged COSE_Sign1).
   *
   * @return the decoded, verified document
   * @throws AttestationException naming the first check that failed; no other exception results
   *     from the document's content
   */
  public VerifiedAttestation verify(byte[] document, VerificationOptions options) {
    Objects.requireNonNull(document, "document");
    Objects.requireNonNull(options, "options");
    if (document.length > Nsm.MAX_RESPONSE_SIZE) {
      throw new AttestationException(
          Reason.TOO_LARGE,
          "document has " + document.length + " bytes, limit " + Nsm.MAX_RESPONSE_SIZE);
    }
    CoseSign1 cose = CoseSign1.decode(document);
    byte[] payload = cose.payload();
    AttestationDocument decoded = AttestationDocument.decodePayload(payload);
    Instant time = options.verificationTime(decoded, clock);
    ValidatedChain chain = chainFor(decoded, time);
    verifySignature(chain.leafKey(), cose);
    byte[] expectedNonce = options.expectedNonce();
    if (expectedNonce != null) {
      byte[] nonce = decoded.nonce();
      if (nonce == null || !MessageDigest.isEqual(expectedNonce, nonce)) {
        throw new AttestationException(
            Reason.NONCE_MISMATCH,
            nonce == null
                ? "document carries no nonce"
                : "document nonce differs from the expected nonce");
      }
    }
    return new VerifiedAttestation(
        decoded,
        chain.certificates(),
        chain.anchor(),
        AttestationDocument.encodingOf(payload),
        time);
  }

  private ValidatedChain chainFor(AttestationDocument document, Instant time) {
    byte[] leaf = document.certificate();
    List<byte[]> cabundle = document.cabundle();
    X509Certificate anchor = validator.findAnchor(cabundle.get(0));
    String key = null;
    if (anchor != null) {
      key = ChainCache.key(leaf, cabundle, ChainValidator.der(anchor));
      ValidatedChain cached = chainCache.lookup(key, time);
      if (cached != null) {
        return cached;
      }
    }
    chainValidations.incrementAndGet();
    ValidatedChain chain = validator.validate(leaf, cabundle, time);
    if (key != null) {
      chainCache.store(key, chain);
    }
    return chain;
  }

  private void verifySignature(PublicKey leafKey, CoseSign1 cose) {
    boolean valid;
    try {
      Signature es384 = crypto.signature(COSE_ES384);
      es384.initVerify(leafKey);
      es384.update(cose.sigStructure());
      valid = es384.verify(cose.signature());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(COSE_ES384 + " is unavailable in this JDK", e);
    } catch (GeneralSecurityException | RuntimeException e) {
      // A malformed r||s (zero, or not below the group order) is just a bad signature.
      valid = false;
    }
    if (!valid) {
      throw new AttestationException(
          Reason.BAD_SIGNATURE, "COSE signature does not verify with the leaf certificate's key");
    }
  }

  /** How many times the full chain validation ran (cache misses); for tests. */
  long chainValidations() {
    return chainValidations.get();
  }

  /** How many verifications reused a cached chain; for tests. */
  long chainCacheHits() {
    return chainCache.hits();
  }

  /**
   * The AWS Nitro Enclaves Root-G1 certificate bundled with this library.
   *
   * @throws IllegalStateException if the bundled file is missing or its DER SHA-256 is not {@link
   *     #AWS_ROOT_SHA256}
   */
  public static X509Certificate awsRoot() {
    X509Certificate root = awsRoot;
    if (root == null) {
      try (InputStream in = AttestationVerifier.class.getResourceAsStream(AWS_ROOT_RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException("bundled AWS root " + AWS_ROOT_RESOURCE + " is missing");
        }
        root = loadPinned(in.readAllBytes(), AWS_ROOT_SHA256);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read bundled AWS root " + AWS_ROOT_RESOURCE, e);
      }
      awsRoot = root;
    }
    return root;
  }

  /** Parses a PEM or DER certificate and checks that its DER SHA-256 is {@code sha256Hex}. */
  static X509Certificate loadPinned(byte[] pemOrDer, String sha256Hex) {
    X509Certificate certificate;
    try {
      certificate =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(pemOrDer));
    } catch (CertificateException | ClassCastException e) {
      throw new IllegalStateException("pinned root certificate cannot be parsed", e);
    }
    String actual = CertificateCache.sha256Hex(ChainValidator.der(certificate));
    if (!actual.equalsIgnoreCase(sha256Hex)) {
      throw new IllegalStateException(
          "pinned root certificate has SHA-256 "
              + actual
              + ", expected "
              + sha256Hex
              + "; refusing to trust it");
    }
    return certificate;
  }

  /**
   * Reads an attestation document file holding raw CBOR (first byte {@code 0x84} or {@code 0xD2}),
   * base64 (possibly wrapped) or hex.
   *
   * @throws IOException if the file cannot be read
   * @throws AttestationException {@link Reason#TOO_LARGE} or {@link Reason#MALFORMED_COSE} if its
   *     contents are too large or in none of those forms
   */
  public static byte[] readDocument(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return DocumentBytes.decode(in.readNBytes(DocumentBytes.MAX_CONTENT_SIZE + 1));
    }
  }

  /** Like {@link #readDocument(Path)} for contents already in memory (e.g. read from stdin). */
  public static byte[] decodeDocument(byte[] contents) {
    return DocumentBytes.decode(Objects.requireNonNull(contents, "contents"));
  }

  /** Collects trust anchors and a clock for an {@link AttestationVerifier}. */
  public static final class Builder {
    private final List<X509Certificate> anchors = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private CryptoProviders crypto;

    private Builder() {}

    /**
     * Trusts {@code root} (repeatable). It must be a P-384 CA certificate.
     *
     * @throws IllegalArgumentException if it is not
     */
    public Builder trustAnchor(X509Certificate root) {
      Objects.requireNonNull(root, "root");
      ChainValidator.checkAnchor(root);
      if (!anchors.contains(root)) {
        anchors.add(root);
      }
      return this;
    }

    /** Trusts the bundled AWS Nitro Enclaves root (see {@link #awsRoot()}). */
    public Builder trustAwsRoot() {
      return trustAnchor(awsRoot());
    }

    /** The clock whose current time is the default verification time (default: system UTC). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The provider that checks the ES384 signature (default: {@link CryptoProviders#configured()}).
     */
    public Builder crypto(CryptoProviders crypto) {
      this.crypto = Objects.requireNonNull(crypto, "crypto");
      return this;
    }

    /**
     * Builds the verifier.
     *
     * @throws IllegalStateException if no trust anchor was added
     */
    public AttestationVerifier build() {
      if (anchors.isEmpty()) {
        throw new IllegalStateException(
            "no trust anchor: call trustAnchor(root) or trustAwsRoot() first");
      }
      return new AttestationVerifier(this);
    }
  }
}
