package dev.nitroemu.nsm;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.CoseSign1;
import dev.nitroemu.enclave.CryptoProviders;
import dev.nitroemu.enclave.Digest;
import dev.nitroemu.enclave.ErrorCode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmDescription;
import dev.nitroemu.enclave.NsmException;
import dev.nitroemu.enclave.NsmRequest;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.enclave.PcrDescription;
import dev.nitroemu.nsm.internal.AttestationPki;
import dev.nitroemu.nsm.internal.ModuleIds;
import dev.nitroemu.nsm.internal.PcrBank;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.SortedMap;

/**
 * A software Nitro Security Module with real semantics: 32 SHA-384 PCRs booted from an {@link
 * EnclaveProfile} (0..15 locked), and attestation documents signed byte-compatibly with real
 * hardware by a P-384 chain under an {@link EmulatorRootCa}.
 *
 * <p>The module id is {@code <instance id>-enc<enclave id>}, the enclave id being the clock's
 * millisecond time at {@link Builder#build()} (48 bits) followed by 16 random bits. The document's
 * {@code pcrs} are all PCRs locked at that moment; its certificate chain is created on first use
 * and renewed as the clock advances (see {@link AttestationPki}). Thread-safe: PCR operations are
 * atomic, and signing happens outside the PCR lock.
 *
 * <p><b>Field limit.</b> {@link #attestation} refuses a {@code user_data}, {@code nonce} or {@code
 * public_key} over {@value AttestationDocument#MAX_OPTIONAL_FIELD} bytes with {@link
 * ErrorCode#INPUT_TOO_LARGE}, the error the real module gives for input it will not take (a request
 * over 4096 bytes). The limit is the one the attestation document schema documents and that {@link
 * dev.nitroemu.enclave.AttestationVerifier} and other verifiers enforce; real hardware is known to
 * sign larger fields (up to the 4096-byte request limit), but such documents are refused by those
 * verifiers, so the emulator does not produce them.
 */
public final class SoftwareNsm implements Nsm {
  /**
   * Module version reported by DescribeNSM (the real values are not public; QEMU also reports
   * 1.0.0).
   */
  public static final int VERSION_MAJOR = 1;

  /** Minor version reported by DescribeNSM. */
  public static final int VERSION_MINOR = 0;

  /** Patch version reported by DescribeNSM. */
  public static final int VERSION_PATCH = 0;

  /** Bytes returned by GetRandom. */
  public static final int RANDOM_LENGTH = 256;

  private static final String DOCUMENT_SIGNATURE_ALGORITHM = "SHA384withECDSAinP1363Format";

  private final EnclaveProfile profile;
  private final EmulatorRootCa rootCa;
  private final Clock clock;
  private final PayloadEncoding encoding;
  private final SecureRandom random;
  private final String moduleId;
  private final PcrBank pcrs;
  private final AttestationPki pki;
  private final CryptoProviders crypto;
  private volatile SigningKey signingKey;

  private SoftwareNsm(Builder b) {
    this.profile = b.profile;
    this.clock = b.clock;
    this.encoding = b.encoding;
    this.random = b.random != null ? b.random : new SecureRandom();
    this.crypto =
        b.crypto != null
            ? b.crypto
            : b.random != null ? CryptoProviders.jca() : CryptoProviders.configured();
    this.rootCa = b.rootCa != null ? b.rootCa : EmulatorRootCa.generate(clock, random);
    long enclaveId = ModuleIds.enclaveId(clock.millis(), random);
    this.moduleId = ModuleIds.moduleId(profile.instanceId(), enclaveId);
    this.pcrs = new PcrBank(profile.bootPcrs());
    this.pki =
        new AttestationPki(
            rootCa.certificate(),
            rootCa.privateKey(),
            profile.region(),
            profile.instanceId(),
            enclaveId,
            moduleId,
            random);
  }

  /** A builder; every setting has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A module with the default profile, a freshly generated root, the UTC system clock and {@code
   * BF} documents.
   */
  public static SoftwareNsm create() {
    return builder().build();
  }

  /** The root every document's chain ends in; hand its certificate to verifiers. */
  public EmulatorRootCa rootCa() {
    return rootCa;
  }

  /** The profile this module booted with. */
  public EnclaveProfile profile() {
    return profile;
  }

  /** The module id, e.g. {@code i-0e5f4c3a2b1d09876-enc0191cceb4289903f}. */
  public String moduleId() {
    return moduleId;
  }

  /** How the outer payload map of this module's documents is encoded. */
  public PayloadEncoding payloadEncoding() {
    return encoding;
  }

  @Override
  public PcrDescription describePcr(int index) {
    return pcrs.describe(index);
  }

  @Override
  public byte[] extendPcr(int index, byte[] data) {
    if (data == null) {
      throw new NsmException(ErrorCode.INVALID_ARGUMENT, "ExtendPCR needs data");
    }
    checkRequestSize(new NsmRequest.ExtendPcr(index, data));
    return pcrs.extend(index, data);
  }

  @Override
  public void lockPcr(int index) {
    pcrs.lock(index);
  }

  @Override
  public void lockPcrs(int range) {
    pcrs.lockRange(range);
  }

  @Override
  public NsmDescription describeNsm() {
    return new NsmDescription(
        VERSION_MAJOR,
        VERSION_MINOR,
        VERSION_PATCH,
        moduleId,
        MAX_PCRS,
        pcrs.lockedIndices(),
        Digest.SHA384);
  }

  @Override
  public byte[] attestation(byte[] userData, byte[] nonce, byte[] publicKey) {
    checkFieldSize("user_data", userData);
    checkFieldSize("nonce", nonce);
    checkFieldSize("public_key", publicKey);
    checkRequestSize(new NsmRequest.Attestation(userData, nonce, publicKey));
    Instant now = clock.instant();
    SortedMap<Integer, byte[]> locked = pcrs.lockedValues();
    AttestationPki.Credentials credentials = pki.credentialsAt(now);
    AttestationDocument document =
        new AttestationDocument(
            moduleId,
            Digest.SHA384.wireName(),
            now.toEpochMilli(),
            locked,
            credentials.leafDer(),
            credentials.cabundle(),
            publicKey,
            userData,
            nonce);
    byte[] payload = document.encodePayload(encoding);
    byte[] toSign = CoseSign1.sigStructure(CoseSign1.ES384_PROTECTED, payload);
    byte[] signature;
    try {
      Signature signer = crypto.signature(DOCUMENT_SIGNATURE_ALGORITHM);
      signer.initSign(ownSigningKey(credentials.signingKey()), random);
      signer.update(toSign);
      signature = signer.sign();
    } catch (GeneralSecurityException e) {
      throw new NsmException(ErrorCode.INTERNAL_ERROR, "cannot sign attestation document", e);
    }
    return new CoseSign1(CoseSign1.ES384_PROTECTED, payload, signature).encode();
  }

  /** The provider that signs this module's documents. */
  public CryptoProviders crypto() {
    return crypto;
  }

  /**
   * The leaf key in the signing provider's own form, converted once per leaf rather than per
   * document.
   */
  private PrivateKey ownSigningKey(PrivateKey leafKey) {
    SigningKey current = signingKey;
    if (current == null || current.leafKey != leafKey) {
      current = new SigningKey(leafKey, crypto.ownPrivateKey(leafKey));
      signingKey = current;
    }
    return current.ownKey;
  }

  @Override
  public byte[] getRandom() {
    byte[] bytes = new byte[RANDOM_LENGTH];
    random.nextBytes(bytes);
    return bytes;
  }

  @Override
  public String toString() {
    return "SoftwareNsm["
        + moduleId
        + ", region="
        + profile.region()
        + ", debug="
        + profile.debug()
        + "]";
  }

  /**
   * The driver rejects requests over 4096 bytes before the module sees them; typed calls match
   * that.
   */
  private static void checkRequestSize(NsmRequest request) {
    int size = NsmCodec.encodeRequest(request).length;
    if (size > MAX_REQUEST_SIZE) {
      throw new NsmException(
          ErrorCode.INPUT_TOO_LARGE,
          request.operation() + " request of " + size + " bytes exceeds 4096");
    }
  }

  /**
   * Each optional attestation field is at most {@value AttestationDocument#MAX_OPTIONAL_FIELD}
   * bytes.
   */
  private static void checkFieldSize(String field, byte[] value) {
    if (value != null && value.length > AttestationDocument.MAX_OPTIONAL_FIELD) {
      throw new NsmException(
          ErrorCode.INPUT_TOO_LARGE,
          "Attestation "
              + field
              + " of "
              + value.length
              + " bytes exceeds "
              + AttestationDocument.MAX_OPTIONAL_FIELD);
    }
  }

  /** A leaf's private key and the same key as the signing provider holds it. */
  private record SigningKey(PrivateKey leafKey, PrivateKey ownKey) {}

  /** Configures a {@link SoftwareNsm}. */
  public static final class Builder {
    private EnclaveProfile profile = EnclaveProfile.defaultProfile();
    private EmulatorRootCa rootCa;
    private Clock clock = Clock.systemUTC();
    private PayloadEncoding encoding = PayloadEncoding.INDEFINITE;
    private SecureRandom random;
    private CryptoProviders crypto;

    private Builder() {}

    /** The enclave to emulate (default: {@link EnclaveProfile#defaultProfile()}). */
    public Builder profile(EnclaveProfile profile) {
      this.profile = Objects.requireNonNull(profile, "profile");
      return this;
    }

    /** The root to issue under (default: a new root generated with this builder's clock). */
    public Builder rootCa(EmulatorRootCa rootCa) {
      this.rootCa = Objects.requireNonNull(rootCa, "rootCa");
      return this;
    }

    /**
     * The clock for the enclave id, document timestamps and certificate validity (default: UTC
     * system clock).
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The outer payload map form (default {@link PayloadEncoding#INDEFINITE}, as current hardware).
     */
    public Builder payloadEncoding(PayloadEncoding encoding) {
      this.encoding = Objects.requireNonNull(encoding, "encoding");
      return this;
    }

    /**
     * The randomness for keys, serials, the enclave id, GetRandom and signature nonces (default: a
     * new SecureRandom). Given one, documents are signed with {@link CryptoProviders#jca()} unless
     * {@link #crypto} says otherwise, because its ECDSA (BouncyCastle's on P-384, as the JDK's
     * SunEC) draws its nonces from it and ACCP's does not: a seeded source then reproduces every
     * byte.
     */
    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * The provider that signs documents (default: {@link CryptoProviders#configured()}, ACCP where
     * it loads; JCA when {@link #random} is given).
     */
    public Builder crypto(CryptoProviders crypto) {
      this.crypto = Objects.requireNonNull(crypto, "crypto");
      return this;
    }

    /** Boots the module: PCRs from the profile, enclave id from the clock. */
    public SoftwareNsm build() {
      return new SoftwareNsm(this);
    }
  }
}
