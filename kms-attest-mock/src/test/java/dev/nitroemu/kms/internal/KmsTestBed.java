package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

/** A KmsOperations over a store, with callers, a settable clock and JSON helpers for tests. */
final class KmsTestBed implements AutoCloseable {
  static final String REGION = "eu-west-1";
  static final String ACCOUNT = "111122223333";
  static final String OTHER_ACCOUNT_ID = "444455556666";
  static final CallerIdentity ROOT =
      new CallerIdentity("AKIAROOT", "arn:aws:iam::" + ACCOUNT + ":root", ACCOUNT);
  static final CallerIdentity OTHER_ACCOUNT =
      new CallerIdentity(
          "AKIAOTHER", "arn:aws:iam::" + OTHER_ACCOUNT_ID + ":root", OTHER_ACCOUNT_ID);
  static final ObjectMapper JSON = new ObjectMapper();

  final MutableTestClock clock;
  final KmsSettings settings;
  final KeyStore store;
  final KmsOperations operations;
  private int requests;

  private KmsTestBed(KeyStore store, MutableTestClock clock, X509Certificate trustAnchor) {
    this.clock = clock;
    this.store = store;
    this.settings = new KmsSettings(REGION, ACCOUNT, clock, new SecureRandom());
    AttestationVerifier verifier =
        trustAnchor == null
            ? null
            : AttestationVerifier.builder().trustAnchor(trustAnchor).clock(clock).build();
    this.operations =
        new KmsOperations(
            settings, store, new RecipientVerifier(verifier, Duration.ofMinutes(5), clock));
  }

  static KmsTestBed inMemory() {
    return new KmsTestBed(KeyStore.inMemory(), new MutableTestClock(Instant.now()), null);
  }

  static KmsTestBed over(KeyStore store, MutableTestClock clock) {
    return new KmsTestBed(store, clock, null);
  }

  static KmsTestBed trusting(X509Certificate root, MutableTestClock clock) {
    return new KmsTestBed(KeyStore.inMemory(), clock, root);
  }

  static ObjectNode json(String text) {
    try {
      return (ObjectNode) JSON.readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] bytes(JsonNode node) {
    assertThat(node).as("blob member").isNotNull();
    return Base64.getDecoder().decode(node.textValue());
  }

  KmsResult call(String operation, String body) {
    return call(ROOT, operation, json(body));
  }

  KmsResult call(CallerIdentity caller, String operation, String body) {
    return call(caller, operation, json(body));
  }

  KmsResult call(CallerIdentity caller, String operation, ObjectNode body) {
    KmsCall call =
        new KmsCall(
            operation,
            body,
            caller,
            "req-" + (++requests),
            clock.instant(),
            "kms-ops-test",
            "127.0.0.1");
    return operations.handle(call);
  }

  /** The KmsError a call fails with. */
  KmsError error(String operation, String body) {
    return error(ROOT, operation, body);
  }

  KmsError error(CallerIdentity caller, String operation, String body) {
    KmsError error = catchThrowableOfType(KmsError.class, () -> call(caller, operation, body));
    assertThat(error).as(operation + " should fail").isNotNull();
    return error;
  }

  /** Creates a key from a CreateKey body and returns its KeyMetadata. */
  JsonNode createKey(String body) {
    return call("CreateKey", body).response().get("KeyMetadata");
  }

  /** Creates a symmetric key and returns its id. */
  String symmetricKey() {
    return createKey("{}").get("KeyId").textValue();
  }

  String arn(String keyId) {
    return "arn:aws:kms:" + REGION + ":" + ACCOUNT + ":key/" + keyId;
  }

  /** Encrypts a plaintext and returns the ciphertext blob as base64. */
  String encrypt(String keyId, byte[] plaintext, String contextJson) {
    String context = contextJson == null ? "" : ", \"EncryptionContext\": " + contextJson;
    return call(
            "Encrypt",
            "{\"KeyId\": \""
                + keyId
                + "\", \"Plaintext\": \""
                + b64(plaintext)
                + "\""
                + context
                + "}")
        .response()
        .get("CiphertextBlob")
        .textValue();
  }

  @Override
  public void close() throws IOException {
    store.close();
  }
}
