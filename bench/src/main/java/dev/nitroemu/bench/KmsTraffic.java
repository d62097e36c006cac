package dev.nitroemu.bench;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.KeyListEntry;
import software.amazon.awssdk.services.kms.model.KmsException;

/**
 * KMS traffic against the stack's KMS mock through an unmodified AWS SDK {@link KmsClient} (no
 * retries, so no failure is hidden; every call bounded by the SDK's API call timeout) and an {@link
 * EnclaveKmsClient} attesting with the stack's NSM: CreateKey (at most {@value #MAX_KEYS} keys),
 * Encrypt, Decrypt, Decrypt with Recipient of a key only an enclave with the profile's PCR0 may
 * use, a plain Decrypt of that key (which must be denied), GenerateDataKey and ListKeys. Every
 * answer is checked against what was sent: decrypted bytes equal the encrypted ones.
 */
final class KmsTraffic implements AutoCloseable {

  /** Symmetric keys the soak creates at most, the first one at start. */
  static final int MAX_KEYS = 32;

  /** Largest Encrypt plaintext (KMS's limit). */
  static final int MAX_PLAINTEXT_BYTES = 4096;

  private static final int SEALED_KEPT = 64;

  /** A ciphertext blob and the plaintext it must decrypt to. */
  private record Sealed(byte[] blob, byte[] plaintext) {}

  private final KmsClient kms;
  private final EnclaveKmsClient enclave;
  private final CallDeadlines calls;
  private final String enclaveKeyId;
  private final List<String> keyIds = new CopyOnWriteArrayList<>();
  private final AtomicInteger keysCreating = new AtomicInteger();
  private final AtomicReferenceArray<Sealed> sealed = new AtomicReferenceArray<>(SEALED_KEPT);
  private final AtomicReferenceArray<Sealed> sealedForEnclave =
      new AtomicReferenceArray<>(SEALED_KEPT);
  private final AtomicLong sealCount = new AtomicLong();

  /**
   * Makes the clients and the first key, and seals one secret of each kind; a failure here stops
   * the soak.
   */
  KmsTraffic(
      EnclaveEnvironment env, CallDeadlines calls, Duration connectTimeout, Duration callTimeout) {
    EnclaveRuntimeInfo info = env.info();
    this.calls = calls;
    this.kms =
        KmsClient.builder()
            .endpointOverride(info.kmsEndpoint())
            .region(Region.of(info.region()))
            .credentialsProvider(info.credentials())
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(connectTimeout)
                    .socketTimeout(callTimeout))
            .overrideConfiguration(
                o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(callTimeout))
            .build();
    this.enclave = EnclaveKmsClient.builder().nsm(env.nsm()).kmsClient(kms).build();
    this.enclaveKeyId = info.kmsKeyId(SoakStack.ENCLAVE_KEY_ALIAS);
    keyIds.add(kms.createKey(r -> r.description("soak: symmetric")).keyMetadata().keyId());
    SplittableRandom random = new SplittableRandom(1);
    encrypt(keyIds.get(0), random, sealed);
    encrypt(enclaveKeyId, random, sealedForEnclave);
  }

  /** A client thread: one KMS call per step, chosen at random. */
  SoakWorker worker(long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    return () -> {
      int pick = random.nextInt(100);
      if (pick < 2 && keysCreating.incrementAndGet() < MAX_KEYS) {
        calls.call(
            "kms.create-key",
            () -> false,
            call ->
                keyIds.add(
                    kms.createKey(r -> r.description("soak: symmetric")).keyMetadata().keyId()));
      } else if (pick < 22) {
        String keyId =
            random.nextInt(5) == 0 ? enclaveKeyId : keyIds.get(random.nextInt(keyIds.size()));
        calls.call(
            "kms.encrypt",
            () -> false,
            call -> encrypt(keyId, random, keyId.equals(enclaveKeyId) ? sealedForEnclave : sealed));
      } else if (pick < 47) {
        Sealed secret = pickSealed(sealed, random);
        calls.call(
            "kms.decrypt",
            () -> false,
            call -> {
              byte[] plaintext =
                  kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(secret.blob())))
                      .plaintext()
                      .asByteArray();
              Soak.check(
                  Arrays.equals(plaintext, secret.plaintext()),
                  "Decrypt returned other bytes than were encrypted");
            });
      } else if (pick < 60) {
        Sealed secret = pickSealed(sealedForEnclave, random);
        calls.call(
            "kms.decrypt-recipient",
            () -> false,
            call ->
                Soak.check(
                    Arrays.equals(enclave.decrypt(secret.blob()), secret.plaintext()),
                    "Decrypt with Recipient returned other bytes than were encrypted"));
      } else if (pick < 63) {
        Sealed secret = pickSealed(sealedForEnclave, random);
        calls.call("kms.decrypt-denied", () -> false, call -> decryptDenied(secret));
      } else if (pick < 88) {
        calls.call("kms.generate-data-key", () -> false, call -> generateDataKey(random));
      } else {
        calls.call("kms.list-keys", () -> false, call -> listKeys());
      }
    };
  }

  /** Keys created so far (at most {@value #MAX_KEYS}). */
  int keys() {
    return keyIds.size();
  }

  @Override
  public void close() {
    Closeables.closeQuietly(enclave);
    Closeables.closeQuietly(kms);
  }

  private void encrypt(String keyId, SplittableRandom random, AtomicReferenceArray<Sealed> into) {
    byte[] plaintext = new byte[1 + random.nextInt(MAX_PLAINTEXT_BYTES)];
    random.nextBytes(plaintext);
    byte[] blob =
        kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(plaintext)))
            .ciphertextBlob()
            .asByteArray();
    keep(into, new Sealed(blob, plaintext));
  }

  private void generateDataKey(SplittableRandom random) {
    String keyId = keyIds.get(random.nextInt(keyIds.size()));
    GenerateDataKeyResponse key =
        kms.generateDataKey(r -> r.keyId(keyId).keySpec(DataKeySpec.AES_256));
    byte[] plaintext = key.plaintext().asByteArray();
    Soak.check(
        plaintext.length == 32, "GenerateDataKey AES_256 returned " + plaintext.length + " bytes");
    Soak.check(
        key.keyId().endsWith(keyId),
        "GenerateDataKey names key " + key.keyId() + ", asked for " + keyId);
    keep(sealed, new Sealed(key.ciphertextBlob().asByteArray(), plaintext));
  }

  private void decryptDenied(Sealed secret) {
    try {
      kms.decrypt(r -> r.ciphertextBlob(SdkBytes.fromByteArray(secret.blob())));
    } catch (KmsException e) {
      String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
      Soak.check(
          "AccessDeniedException".equals(code),
          "plain Decrypt of the enclave key failed with "
              + code
              + " instead of AccessDeniedException");
      return;
    }
    throw new IllegalStateException(
        "plain Decrypt of a key that requires an attested PCR0 succeeded");
  }

  private void listKeys() {
    List<String> known = List.copyOf(keyIds);
    List<String> listed =
        kms.listKeys(r -> r.limit(1000)).keys().stream().map(KeyListEntry::keyId).toList();
    Soak.check(
        listed.contains(enclaveKeyId) && listed.containsAll(known),
        "ListKeys misses a key the soak created (" + listed.size() + " listed)");
  }

  private void keep(AtomicReferenceArray<Sealed> ring, Sealed secret) {
    ring.set((int) (sealCount.getAndIncrement() % SEALED_KEPT), secret);
  }

  private static Sealed pickSealed(AtomicReferenceArray<Sealed> ring, SplittableRandom random) {
    for (int i = random.nextInt(SEALED_KEPT), tries = 0;
        tries < SEALED_KEPT;
        i = (i + 1) % SEALED_KEPT, tries++) {
      Sealed secret = ring.get(i);
      if (secret != null) {
        return secret;
      }
    }
    throw new IllegalStateException("no sealed secret kept (setup seals one of each kind)");
  }
}
