package com.example.secret;

import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.LoopbackForwarder;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockTransport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The enclave application: listens on vsock port {@value Wire#ENCLAVE_PORT}; for each request (a
 * nonce and a KMS ciphertext) it decrypts the secret through KMS with an attestation document as
 * {@code Recipient} (so only an enclave whose PCR0 the key policy names gets it), and answers with an
 * attestation document that carries the parent's nonce, the enclave's own public key and, as user
 * data, HMAC-SHA256(secret, nonce): proof that it holds the secret, without the secret leaving it.
 *
 * <p>Under nitro-emu's {@code EnclaveContainer} (and on hardware) the transport, the NSM and the KMS
 * path come from the environment: vsock from {@code VsockTransport.fromEnvironment()}, the NSM at
 * {@code 3:9797} and KMS through the parent's vsock-proxy at {@code 3:8000}.
 */
public final class SecretEnclave {

  /** Where the parent's vsock-proxy to KMS listens. */
  static final VsockAddress KMS_PROXY = VsockAddress.of(VsockAddress.CID_PARENT, 8000);

  private final Nsm nsm;
  private final EnclaveKmsClient kms;
  private final KeyPair identity;

  SecretEnclave(Nsm nsm, EnclaveKmsClient kms, KeyPair identity) {
    this.nsm = nsm;
    this.kms = kms;
    this.identity = identity;
  }

  /** Serves until the enclave is terminated. */
  public static void main(String[] args) throws Exception {
    VsockTransport vsock = VsockTransport.fromEnvironment();
    try (RemoteNsm nsm = RemoteNsm.fromEnvironment();
        // The AWS SDK speaks HTTP to 127.0.0.1; the forwarder carries it over vsock to the parent's proxy.
        LoopbackForwarder toKms = LoopbackForwarder.start(vsock, KMS_PROXY);
        KmsClient client = EnclaveKmsClient.kmsClient(toKms.httpEndpoint(), System.getenv("AWS_REGION"),
            System.getenv("AWS_ACCESS_KEY_ID"), System.getenv("AWS_SECRET_ACCESS_KEY"));
        EnclaveKmsClient kms = EnclaveKmsClient.builder().nsm(nsm).kmsClient(client).build();
        VsockListener listener = vsock.listen(VsockAddress.anyCid(Wire.ENCLAVE_PORT))) {
      SecretEnclave enclave = new SecretEnclave(nsm, kms, newIdentity());
      System.out.println("attested-secret enclave listening on vsock port " + Wire.ENCLAVE_PORT);
      while (true) {
        try (VsockConnection parent = listener.accept()) {
          enclave.serve(parent);
        } catch (IOException e) {
          System.out.println("a parent connection failed: " + e.getMessage());
        }
      }
    }
  }

  /** Answers one request: "OK" and the attestation document, or "ERROR" and why (never the secret). */
  void serve(VsockConnection parent) throws IOException {
    DataInputStream in = new DataInputStream(parent.inputStream());
    DataOutputStream out = new DataOutputStream(parent.outputStream());
    byte[] nonce = Wire.read(in);
    byte[] ciphertext = Wire.read(in);
    String status;
    byte[] body;
    try {
      body = answer(nonce, ciphertext);
      status = "OK";
    } catch (RuntimeException | GeneralSecurityException e) {
      body = String.valueOf(e.getMessage()).getBytes(StandardCharsets.UTF_8);
      status = "ERROR";
    }
    out.writeUTF(status);
    Wire.write(out, body);
    out.flush();
  }

  private byte[] answer(byte[] nonce, byte[] ciphertext) throws GeneralSecurityException {
    byte[] secret = kms.decrypt(ciphertext); // Recipient: KMS checks the document's PCRs against the key policy
    try {
      byte[] proof = hmac(secret, nonce);
      return nsm.attestation(proof, nonce, identity.getPublic().getEncoded());
    } finally {
      Arrays.fill(secret, (byte) 0);
    }
  }

  /** HMAC-SHA256 of {@code nonce} under {@code secret}: what the parent compares with its own. */
  public static byte[] hmac(byte[] secret, byte[] nonce) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret, "HmacSHA256"));
    return mac.doFinal(nonce);
  }

  private static KeyPair newIdentity() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp384r1"));
    return generator.generateKeyPair();
  }
}
