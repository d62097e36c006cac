package dev.nitroemu.enclave;

import dev.nitroemu.enclave.internal.KmsRecipient;
import dev.nitroemu.enclave.internal.KmsRequests;
import java.net.URI;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeyPairSpec;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DeriveSharedSecretRequest;
import software.amazon.awssdk.services.kms.model.DeriveSharedSecretResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyPairRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyPairResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.GenerateRandomRequest;
import software.amazon.awssdk.services.kms.model.GenerateRandomResponse;
import software.amazon.awssdk.services.kms.model.RecipientInfo;

/**
 * An enclave-side KMS client, the Java counterpart of {@code kmstool-enclave-cli}: every call
 * carries a fresh attestation document for this client's RSA-2048 key as {@code Recipient}, and the
 * answer ({@code CiphertextForRecipient}) is decrypted inside the enclave.
 *
 * <p>As in the Nitro C SDK, the key pair (e = 65537) is made once per client (or given with {@link
 * Builder#recipientKey}), and each call asks the NSM for a document whose {@code public_key} is the
 * key's DER SubjectPublicKeyInfo, with no nonce and no user data. Works the same against the
 * nitro-emu KMS mock and real KMS (through vsock-proxy). A response without {@code
 * CiphertextForRecipient} is refused: plaintext never comes from outside the envelope. Nothing is
 * logged. Thread-safe when the {@link Nsm} is.
 *
 * <p>Errors: KMS refusals arrive as the SDK's {@code KmsException} (e.g. error code {@code
 * AccessDeniedException} when the key policy's attestation conditions do not match), an answer that
 * cannot be unwrapped as {@code SdkClientException}, and NSM failures as {@code NsmException}.
 */
public final class EnclaveKmsClient implements AutoCloseable {

  /** Modulus size of the recipient key, as KMS requires. */
  public static final int RSA_KEY_BITS = 2048;

  private final KmsRecipient recipient;
  private final KmsClient kms;
  private final boolean ownsKms;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EnclaveKmsClient(Builder builder) {
    Nsm nsm = Objects.requireNonNull(builder.nsm, "nsm");
    SecureRandom random = builder.random != null ? builder.random : new SecureRandom();
    KeyPair keyPair =
        builder.recipientKey != null ? builder.recipientKey : KmsRecipient.generateKeyPair(random);
    this.recipient = new KmsRecipient(nsm, keyPair);
    this.ownsKms = builder.kms == null;
    this.kms =
        ownsKms ? kmsClient(builder.endpoint, builder.region, builder.credentials) : builder.kms;
  }

  /**
   * A builder; {@link Builder#nsm} and either a KmsClient or endpoint, region and credentials are
   * required.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A plain KMS client for {@code endpoint} (e.g. {@code KmsMockServer.endpoint()} or the local end
   * of a vsock-proxy), using the URL-connection HTTP client; the caller closes it.
   */
  public static KmsClient kmsClient(
      URI endpoint, String region, AwsCredentialsProvider credentials) {
    return KmsClient.builder()
        .endpointOverride(Objects.requireNonNull(endpoint, "endpoint"))
        .region(Region.of(Objects.requireNonNull(region, "region")))
        .credentialsProvider(Objects.requireNonNull(credentials, "credentials"))
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .build();
  }

  /** Like {@link #kmsClient(URI, String, AwsCredentialsProvider)} with static credentials. */
  public static KmsClient kmsClient(
      URI endpoint, String region, String accessKeyId, String secretAccessKey) {
    return kmsClient(
        endpoint,
        region,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey)));
  }

  /** The public half of this client's recipient key (what every attestation document carries). */
  public RSAPublicKey recipientKey() {
    return recipient.publicKey();
  }

  /** The KMS client used for calls. */
  public KmsClient kmsClient() {
    return kms;
  }

  /** Decrypts a ciphertext blob of a symmetric key (the key is read from the blob). */
  public byte[] decrypt(byte[] ciphertextBlob) {
    return decrypt(ciphertextBlob, Map.of(), null);
  }

  /** Decrypts a ciphertext blob made with {@code encryptionContext}. */
  public byte[] decrypt(byte[] ciphertextBlob, Map<String, String> encryptionContext) {
    return decrypt(ciphertextBlob, encryptionContext, null);
  }

  /** Decrypts a ciphertext blob made with {@code encryptionContext}; {@code keyId} may be null. */
  public byte[] decrypt(
      byte[] ciphertextBlob, Map<String, String> encryptionContext, String keyId) {
    return decrypt(KmsRequests.decrypt(ciphertextBlob, encryptionContext, keyId));
  }

  /**
   * Sends {@code request} with this client's Recipient (replacing any) and returns the plaintext.
   */
  public byte[] decrypt(DecryptRequest request) {
    DecryptResponse response = kms.decrypt(request.toBuilder().recipient(freshRecipient()).build());
    return recipient.open(response.ciphertextForRecipient(), "Decrypt");
  }

  /** Generates a data key under {@code keyId}. */
  public DataKey generateDataKey(String keyId, DataKeySpec spec) {
    return generateDataKey(keyId, spec, Map.of());
  }

  /** Generates a data key under {@code keyId} bound to {@code encryptionContext}. */
  public DataKey generateDataKey(
      String keyId, DataKeySpec spec, Map<String, String> encryptionContext) {
    return generateDataKey(KmsRequests.generateDataKey(keyId, spec, encryptionContext));
  }

  /** Sends {@code request} with this client's Recipient (replacing any). */
  public DataKey generateDataKey(GenerateDataKeyRequest request) {
    GenerateDataKeyResponse response =
        kms.generateDataKey(request.toBuilder().recipient(freshRecipient()).build());
    byte[] plaintext = recipient.open(response.ciphertextForRecipient(), "GenerateDataKey");
    return new DataKey(response.keyId(), plaintext, bytes(response.ciphertextBlob()));
  }

  /** Returns {@code numberOfBytes} (1..1024) random bytes from KMS. */
  public byte[] generateRandom(int numberOfBytes) {
    GenerateRandomResponse response =
        kms.generateRandom(
            GenerateRandomRequest.builder()
                .numberOfBytes(numberOfBytes)
                .recipient(freshRecipient())
                .build());
    return recipient.open(response.ciphertextForRecipient(), "GenerateRandom");
  }

  /** Generates a data key pair under {@code keyId}; the private key arrives inside the envelope. */
  public DataKeyPair generateDataKeyPair(String keyId, DataKeyPairSpec spec) {
    return generateDataKeyPair(KmsRequests.generateDataKeyPair(keyId, spec));
  }

  /** Sends {@code request} with this client's Recipient (replacing any). */
  public DataKeyPair generateDataKeyPair(GenerateDataKeyPairRequest request) {
    GenerateDataKeyPairResponse response =
        kms.generateDataKeyPair(request.toBuilder().recipient(freshRecipient()).build());
    byte[] privateKey = recipient.open(response.ciphertextForRecipient(), "GenerateDataKeyPair");
    return new DataKeyPair(
        response.keyId(),
        response.keyPairSpecAsString(),
        privateKey,
        bytes(response.privateKeyCiphertextBlob()),
        bytes(response.publicKey()));
  }

  /**
   * ECDH between the KMS key {@code keyId} and {@code peerPublicKeyDer} (DER SubjectPublicKeyInfo).
   */
  public byte[] deriveSharedSecret(String keyId, byte[] peerPublicKeyDer) {
    return deriveSharedSecret(KmsRequests.deriveSharedSecret(keyId, peerPublicKeyDer));
  }

  /**
   * Sends {@code request} with this client's Recipient (replacing any) and returns the shared
   * secret.
   */
  public byte[] deriveSharedSecret(DeriveSharedSecretRequest request) {
    DeriveSharedSecretResponse response =
        kms.deriveSharedSecret(request.toBuilder().recipient(freshRecipient()).build());
    return recipient.open(response.ciphertextForRecipient(), "DeriveSharedSecret");
  }

  /** Closes the KMS client if this object created it; the NSM belongs to the caller. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true) && ownsKms) {
      kms.close();
    }
  }

  /** A fresh attestation document for this client's key, as Recipient. */
  private RecipientInfo freshRecipient() {
    if (closed.get()) {
      throw new IllegalStateException("EnclaveKmsClient is closed");
    }
    return recipient.recipientInfo();
  }

  private static byte[] bytes(SdkBytes value) {
    return value == null ? null : value.asByteArray();
  }

  /**
   * A data key: the plaintext (decrypted in the enclave) and the blob to store next to the data.
   *
   * @param keyId the ARN of the KMS key that encrypted it
   * @param plaintext the data key
   * @param ciphertextBlob the data key encrypted under the KMS key
   */
  public record DataKey(String keyId, byte[] plaintext, byte[] ciphertextBlob) {
    public DataKey {
      plaintext = plaintext.clone();
      ciphertextBlob = ciphertextBlob == null ? null : ciphertextBlob.clone();
    }

    @Override
    public byte[] plaintext() {
      return plaintext.clone();
    }

    @Override
    public byte[] ciphertextBlob() {
      return ciphertextBlob == null ? null : ciphertextBlob.clone();
    }

    /** Describes the key without its plaintext. */
    @Override
    public String toString() {
      return "DataKey[keyId="
          + keyId
          + ", plaintext="
          + plaintext.length
          + " bytes, ciphertextBlob="
          + (ciphertextBlob == null ? "null" : ciphertextBlob.length + " bytes")
          + "]";
    }
  }

  /**
   * A data key pair: the private key (decrypted in the enclave), its encrypted copy and the public
   * key.
   *
   * @param keyId the ARN of the KMS key that encrypted the private key
   * @param keyPairSpec e.g. {@code ECC_NIST_P256}
   * @param privateKey the DER PKCS#8 private key
   * @param privateKeyCiphertextBlob the private key encrypted under the KMS key
   * @param publicKey the DER SubjectPublicKeyInfo public key
   */
  public record DataKeyPair(
      String keyId,
      String keyPairSpec,
      byte[] privateKey,
      byte[] privateKeyCiphertextBlob,
      byte[] publicKey) {
    public DataKeyPair {
      privateKey = privateKey.clone();
      privateKeyCiphertextBlob =
          privateKeyCiphertextBlob == null ? null : privateKeyCiphertextBlob.clone();
      publicKey = publicKey == null ? null : publicKey.clone();
    }

    @Override
    public byte[] privateKey() {
      return privateKey.clone();
    }

    @Override
    public byte[] privateKeyCiphertextBlob() {
      return privateKeyCiphertextBlob == null ? null : privateKeyCiphertextBlob.clone();
    }

    @Override
    public byte[] publicKey() {
      return publicKey == null ? null : publicKey.clone();
    }

    /** Describes the pair without its private key. */
    @Override
    public String toString() {
      return "DataKeyPair[keyId="
          + keyId
          + ", keyPairSpec="
          + keyPairSpec
          + ", privateKey="
          + privateKey.length
          + " bytes]";
    }
  }

  /** Configures an {@link EnclaveKmsClient}. */
  public static final class Builder {
    private Nsm nsm;
    private KmsClient kms;
    private URI endpoint;
    private String region;
    private AwsCredentialsProvider credentials;
    private SecureRandom random;
    private KeyPair recipientKey;

    private Builder() {}

    /** The enclave's NSM (required); not closed by the client. */
    public Builder nsm(Nsm nsm) {
      this.nsm = Objects.requireNonNull(nsm, "nsm");
      return this;
    }

    /** An existing KMS client to call through; not closed by the client. */
    public Builder kmsClient(KmsClient kms) {
      this.kms = Objects.requireNonNull(kms, "kms");
      return this;
    }

    /** The KMS endpoint, when the client should make (and close) its own KMS client. */
    public Builder endpoint(URI endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
      return this;
    }

    /** The signing region for an endpoint-built KMS client, e.g. {@code us-east-1}. */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region");
      return this;
    }

    /** The credentials for an endpoint-built KMS client. */
    public Builder credentials(AwsCredentialsProvider credentials) {
      this.credentials = Objects.requireNonNull(credentials, "credentials");
      return this;
    }

    /** The randomness for the RSA key pair (default: a new SecureRandom). */
    public Builder random(SecureRandom random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    /**
     * Uses this RSA-2048 key pair as the recipient key instead of a fresh one, e.g. one made with
     * {@code openssl genrsa} so that a saved {@code CiphertextForRecipient} can be opened outside.
     *
     * @throws IllegalArgumentException if the pair is not RSA with a 2048-bit modulus
     */
    public Builder recipientKey(KeyPair keyPair) {
      this.recipientKey = KmsRecipient.checkKeyPair(keyPair);
      return this;
    }

    /**
     * Makes the key pair (unless {@link #recipientKey} gave one) and the client.
     *
     * @throws IllegalStateException if no NSM, or neither a KMS client nor
     *     endpoint+region+credentials
     */
    public EnclaveKmsClient build() {
      if (nsm == null) {
        throw new IllegalStateException("nsm(...) is required");
      }
      if (kms == null && (endpoint == null || region == null || credentials == null)) {
        throw new IllegalStateException(
            "set kmsClient(...), or endpoint(...), region(...) and credentials(...)");
      }
      return new EnclaveKmsClient(this);
    }
  }
}
