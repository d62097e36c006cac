package dev.nitroemu.nsm;

import dev.nitroemu.enclave.RemoteNsm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;

/**
 * A stand-in enclave application run in a separate JVM by {@link RemoteNsmChildJvmTest}: it finds
 * the NSM service by vsock address alone ({@link RemoteNsm#fromEnvironment()}) and writes the
 * attestation document it gets for a nonce to a file.
 *
 * <p>Arguments: {@code OUTPUT_FILE NONCE_HEX}. Exit status 0 on success, 1 with a stack trace on
 * standard error otherwise.
 */
public final class ChildEnclaveApp {
  private ChildEnclaveApp() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: ChildEnclaveApp OUTPUT_FILE NONCE_HEX");
      System.exit(2);
    }
    try (RemoteNsm nsm = RemoteNsm.fromEnvironment()) {
      byte[] nonce = HexFormat.of().parseHex(args[1]);
      byte[] document = nsm.attestation(null, nonce, null);
      Path output = Path.of(args[0]);
      Path partial = output.resolveSibling(output.getFileName() + ".partial");
      Files.write(partial, document);
      Files.move(partial, output, StandardCopyOption.ATOMIC_MOVE);
      System.out.println("attested by " + nsm.address() + ": " + document.length + " bytes");
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }
}
