package dev.nitroemu.probe;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A parent-side client of the probe enclave for a parent that is itself a container (the emulator
 * in a container, its hybrid vsock directory a shared volume): connects to the enclave at {@code
 * (cid, }{@value ProbeEnclave#PORT}{@code )} through {@code $NITRO_VSOCK_DIR}, retrying for up to
 * 60 s while the enclave starts, asks for an attestation document for a nonce and prints {@code
 * ATTESTATION <base64>}. Arguments: the enclave CID and the nonce in hex.
 */
public final class ProbeParent {

  private static final long RETRY_MILLIS = 60_000;

  private ProbeParent() {}

  /** Runs one ATTEST call and exits 0, or prints the failure and exits 1. */
  public static void main(String[] args) throws Exception {
    long cid = Long.parseLong(args[0]);
    byte[] nonce = HexFormat.of().parseHex(args[1]);
    Path directory = Path.of(System.getenv(HybridVsockTransport.DIRECTORY_ENVIRONMENT_VARIABLE));
    try (HybridVsockTransport parent =
        HybridVsockTransport.parent(directory, HybridVsockTransport.DEFAULT_BASE_NAME, cid)) {
      long deadline = System.currentTimeMillis() + RETRY_MILLIS;
      while (true) {
        try (VsockConnection connection = parent.connect(VsockAddress.of(cid, ProbeEnclave.PORT))) {
          DataOutputStream out = new DataOutputStream(connection.outputStream());
          out.writeUTF("ATTEST");
          out.writeInt(nonce.length);
          out.write(nonce);
          out.flush();
          DataInputStream in = new DataInputStream(connection.inputStream());
          byte[] document = in.readNBytes(in.readInt());
          System.out.println("ATTESTATION " + Base64.getEncoder().encodeToString(document));
          return;
        } catch (IOException e) {
          if (System.currentTimeMillis() > deadline) {
            System.out.println("FAILED " + e);
            System.exit(1);
          }
          Thread.sleep(250);
        }
      }
    }
  }
}
