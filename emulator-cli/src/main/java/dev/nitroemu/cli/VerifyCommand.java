package dev.nitroemu.cli;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationException;
import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.PayloadEncoding;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nitro-emu verify}: verifies a document against a root and prints what it attests. */
@Command(
    name = "verify",
    header =
        "Verifies an attestation document against the AWS Nitro root, the emulator CA or a PEM root.",
    mixinStandardHelpOptions = true,
    description = {
      "Verifies an attestation document (raw, base64 or hex) and prints its fields.",
      "Exits 0 when it verifies, 1 with the reason when it does not."
    })
final class VerifyCommand extends CliCommand {
  @Parameters(index = "0", paramLabel = "FILE", description = "the document")
  String file;

  @Option(
      names = "--root",
      paramLabel = "aws|emulator|PEMFILE",
      defaultValue = "emulator",
      description =
          "trust anchor: the AWS Nitro root, the emulator CA, or a PEM file (default: ${DEFAULT-VALUE})")
  String root;

  @Option(
      names = "--ca",
      paramLabel = "DIR",
      description = "emulator CA directory for --root emulator")
  String caDir;

  @Option(
      names = "--at",
      paramLabel = "now|doc|ISO-8601",
      defaultValue = "now",
      description =
          "time to validate the chain at: now, the document's own timestamp, or an instant")
  String at;

  @Option(names = "--nonce", paramLabel = "HEX", description = "require this nonce")
  String nonce;

  @Override
  public void run() {
    byte[] expectedNonce = CliSupport.hex("--nonce", nonce);
    VerificationOptions options = timeOption();
    if (expectedNonce != null) {
      options = options.expectNonce(expectedNonce);
    }
    byte[] document = decode(CliSupport.read(env.resolve(file), "document"));
    X509Certificate anchor = anchor();
    VerifiedAttestation verified;
    try {
      verified =
          AttestationVerifier.builder()
              .trustAnchor(anchor)
              .clock(env.clock())
              .build()
              .verify(document, options);
    } catch (AttestationException e) {
      throw new CliFailure("verification FAILED: " + e.reason() + ": " + e.getMessage());
    }
    print(spec.commandLine().getOut(), verified);
  }

  private static byte[] decode(byte[] contents) {
    try {
      return AttestationVerifier.decodeDocument(contents);
    } catch (AttestationException e) {
      throw new CliFailure("verification FAILED: " + e.reason() + ": " + e.getMessage());
    }
  }

  private VerificationOptions timeOption() {
    VerificationOptions defaults = VerificationOptions.defaults();
    switch (at.toLowerCase(Locale.ROOT)) {
      case "now":
        return defaults;
      case "doc":
        return defaults.atDocumentTime();
      default:
        try {
          return defaults.at(Instant.parse(at));
        } catch (DateTimeParseException e) {
          throw new CliFailure(
              "--at: expected now, doc or an ISO-8601 instant like 2024-09-07T14:37:39Z, got '"
                  + at
                  + "'",
              2);
        }
    }
  }

  private X509Certificate anchor() {
    if ("aws".equalsIgnoreCase(root)) {
      return AttestationVerifier.awsRoot();
    }
    if ("emulator".equalsIgnoreCase(root)) {
      Path dir = caDir == null ? env.defaultCaDir() : env.resolve(caDir);
      return CliSupport.loadCa(dir).certificate();
    }
    Path pem = env.resolve(root);
    byte[] bytes = CliSupport.read(pem, "root certificate");
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new java.io.ByteArrayInputStream(bytes));
    } catch (CertificateException | ClassCastException e) {
      throw new CliFailure("--root: " + pem + " is not a PEM or DER X.509 certificate");
    }
  }

  private static void print(PrintWriter out, VerifiedAttestation verified) {
    AttestationDocument doc = verified.document();
    HexFormat hex = HexFormat.of();
    out.printf(
        "OK: verified at %s against %s%n",
        verified.verifiedAt(), verified.root().getSubjectX500Principal().getName());
    out.printf("module_id:   %s%n", doc.moduleId());
    out.printf("timestamp:   %s (%d)%n", doc.instant(), doc.timestamp());
    out.printf("digest:      %s%n", doc.digest());
    out.printf(
        "encoding:    %s%n",
        verified.encoding() == PayloadEncoding.INDEFINITE
            ? "indefinite map (BF..FF)"
            : "definite map (A9)");
    out.println("pcrs:");
    doc.pcrs().forEach((index, value) -> out.printf("  %2d: %s%n", index, hex.formatHex(value)));
    out.printf(
        "certificate: %d bytes, cabundle: %d certificates%n",
        doc.certificate().length, doc.cabundle().size());
    out.printf("public_key:  %s%n", size(doc.publicKey()));
    out.printf("user_data:   %s%n", size(doc.userData()));
    out.printf("nonce:       %s%n", size(doc.nonce()));
  }

  private static String size(byte[] field) {
    return field == null
        ? "absent"
        : field.length
            + " bytes"
            + (field.length > 0 && field.length <= 32
                ? " (" + HexFormat.of().formatHex(field) + ")"
                : "");
  }
}
