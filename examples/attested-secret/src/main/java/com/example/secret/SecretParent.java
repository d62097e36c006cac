package com.example.secret;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The parent side: seals a secret under a KMS key (whose policy lets only the enclave image decrypt),
 * asks the enclave to prove it can unseal it, and checks the answer: an attestation document that
 * verifies against the trusted root, carries this request's nonce and the expected PCR0.
 */
public final class SecretParent {

  private final VsockTransport vsock;
  private final AttestationVerifier verifier;

  /** A parent reaching enclaves through {@code vsock} and trusting documents {@code verifier} accepts. */
  public SecretParent(VsockTransport vsock, AttestationVerifier verifier) {
    this.vsock = vsock;
    this.verifier = verifier;
  }

  /** Encrypts {@code secret} under {@code keyId}; the result is safe to store or send anywhere. */
  public static byte[] seal(KmsClient kms, String keyId, byte[] secret) {
    return kms.encrypt(r -> r.keyId(keyId).plaintext(SdkBytes.fromByteArray(secret))).ciphertextBlob().asByteArray();
  }

  /**
   * Sends {@code nonce} and {@code ciphertext} to the enclave at {@code enclave} and returns its
   * verified answer.
   *
   * @throws EnclaveRefusedException if the enclave could not unseal the secret (e.g. KMS denied it)
   * @throws dev.nitroemu.enclave.AttestationException if the answer does not verify or the nonce differs
   * @throws IOException if the vsock connection fails
   */
  public VerifiedAttestation ask(VsockAddress enclave, byte[] nonce, byte[] ciphertext) throws IOException {
    try (VsockConnection connection = vsock.connect(enclave)) {
      DataOutputStream out = new DataOutputStream(connection.outputStream());
      Wire.write(out, nonce);
      Wire.write(out, ciphertext);
      out.flush();
      DataInputStream in = new DataInputStream(connection.inputStream());
      String status = in.readUTF();
      byte[] body = Wire.read(in);
      if (!status.equals("OK")) {
        throw new EnclaveRefusedException(new String(body, StandardCharsets.UTF_8));
      }
      return verifier.verify(body, VerificationOptions.defaults().expectNonce(nonce));
    }
  }

  /** Whether the verified answer proves the enclave with {@code pcr0} holds {@code secret}. */
  public static boolean provesSecret(VerifiedAttestation answer, byte[] pcr0, byte[] secret, byte[] nonce)
      throws java.security.GeneralSecurityException {
    byte[] expected = SecretEnclave.hmac(secret, nonce);
    return MessageDigest.isEqual(answer.document().pcr(0), pcr0)
        && MessageDigest.isEqual(answer.document().userData(), expected);
  }

  /** The enclave answered with an error instead of a document. */
  public static final class EnclaveRefusedException extends IOException {
    EnclaveRefusedException(String reason) {
      super("the enclave refused: " + reason);
    }
  }
}
