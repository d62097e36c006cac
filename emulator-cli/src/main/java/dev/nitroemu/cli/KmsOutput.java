package dev.nitroemu.cli;

import java.io.PrintWriter;
import java.util.Base64;

/**
 * Where the {@code nitro-emu kms} subcommands put what they got: files (raw) or standard output
 * (base64).
 */
final class KmsOutput {
  private KmsOutput() {}

  /**
   * Writes {@code plaintext} raw to {@code file} (owner-only), or as one line of base64 to {@code
   * out}.
   */
  static void plaintext(
      NitroEmu.CliEnvironment env, PrintWriter out, String file, byte[] plaintext, String what) {
    if (file != null) {
      CliSupport.writePrivate(env.resolve(file), plaintext, what);
    } else {
      out.println(Base64.getEncoder().encodeToString(plaintext));
      out.flush();
    }
  }

  /** Writes the call's CiphertextForRecipient to {@code --envelope-out}, if asked. */
  static void envelope(NitroEmu.CliEnvironment env, KmsOptions options, KmsEnclaveSession session) {
    if (options.envelopeOut != null) {
      byte[] envelope =
          session
              .lastEnvelope()
              .orElseThrow(
                  () -> new CliFailure("the KMS answer had no CiphertextForRecipient to save"));
      CliSupport.write(env.resolve(options.envelopeOut), envelope, "envelope");
    }
  }
}
