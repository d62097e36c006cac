package dev.nitroemu.cli;

import picocli.CommandLine.Option;

/**
 * Options of every {@code nitro-emu kms} subcommand: where KMS is, which NSM attests, the recipient
 * key.
 */
final class KmsOptions {
  /** {@code --nsm} values. */
  static final String NSM_AUTO = "auto";

  static final String NSM_STACK = "stack";
  static final String NSM_OFFLINE = "offline";

  @Option(
      names = "--endpoint",
      paramLabel = "URL",
      description =
          "KMS endpoint (default: $AWS_ENDPOINT_URL_KMS,"
              + " else $AWS_ENDPOINT_URL, else the running stack's KMS, else http://127.0.0.1:"
              + StartCommand.DEFAULT_KMS_PORT
              + ")")
  String endpoint;

  @Option(
      names = "--region",
      paramLabel = "REGION",
      description =
          "signing region (default: $AWS_REGION, else $AWS_DEFAULT_REGION, else the stack's, else us-east-1)")
  String region;

  @Option(
      names = "--nsm",
      paramLabel = "auto|stack|offline",
      defaultValue = NSM_AUTO,
      description =
          "who attests:"
              + " the running stack's NSM service (stack), an in-process emulated NSM with the emulator CA (offline), or the"
              + " stack's when it is up, else offline (auto, the default)")
  String nsm;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description =
          "the stack's state directory, as given to nitro-emu start (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/state)")
  String stateDir;

  @Option(
      names = "--endpoints-file",
      paramLabel = "FILE",
      description = "the stack's endpoints JSON (default: <state-dir>/endpoints.json)")
  String endpointsFile;

  @Option(
      names = "--ca",
      paramLabel = "DIR",
      description =
          "offline NSM: emulator CA directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/ca)")
  String caDir;

  @Option(
      names = "--profile",
      paramLabel = "FILE.json",
      description = "offline NSM: nitro-cli build-enclave/describe-eif output")
  String profile;

  @Option(names = "--debug", description = "offline NSM: debug-mode enclave (PCR0/1/2/8 are zero)")
  boolean debug;

  @Option(
      names = "--recipient-key",
      paramLabel = "FILE.pem",
      description =
          "use this RSA-2048 private key (PEM, as openssl genrsa writes) instead of a fresh key pair")
  String recipientKey;

  @Option(
      names = "--envelope-out",
      paramLabel = "FILE",
      description = "also write the raw CiphertextForRecipient (CMS EnvelopedData, DER/BER) here")
  String envelopeOut;

  /** True if an option that only the offline NSM uses was given. */
  boolean offlineOptionsGiven() {
    return caDir != null || profile != null || debug;
  }
}
