package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.container.NitroCliJson;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.EifWriter;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu build-eif}: writes an EIF from a kernel, cmdline and ramdisks, as AWS's {@code
 * eif_build} does.
 */
@Command(
    name = "build-eif",
    description = {
      "Writes an EIF in the layout nitro-cli and eif_build write (kernel, cmdline, metadata, ramdisks,",
      "optional signature over PCR0) and prints its measurements as nitro-cli build-enclave does.",
      "The same inputs and --build-time give the same bytes."
    })
final class BuildEifCommand extends CliCommand {
  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(
      names = "--kernel",
      required = true,
      paramLabel = "FILE",
      description = "kernel image (bzImage or Image)")
  String kernel;

  @Option(
      names = "--cmdline",
      required = true,
      paramLabel = "STRING",
      description = "kernel command line")
  String cmdline;

  @Option(
      names = "--ramdisk",
      required = true,
      paramLabel = "FILE",
      description =
          "ramdisk; repeat it: the first is the bootstrap ramdisk (PCR1), the others the image's (PCR2)")
  List<String> ramdisks = new ArrayList<>();

  @Option(
      names = "--signing-certificate",
      paramLabel = "PEM",
      description = "certificate whose P-384 key signs PCR0 (sets PCR8)")
  String certificate;

  @Option(
      names = "--private-key",
      paramLabel = "PEM",
      description = "the certificate's private key (SEC1 or PKCS#8 PEM)")
  String privateKey;

  @Option(
      names = "--arch",
      paramLabel = "ARCH",
      defaultValue = "x86_64",
      description = "x86_64 or aarch64 (default ${DEFAULT-VALUE})")
  String arch;

  @Option(names = "--name", paramLabel = "NAME", description = "ImageName in the metadata")
  String name;

  @Option(
      names = "--version",
      paramLabel = "VERSION",
      description = "ImageVersion in the metadata (default: the name)")
  String version;

  @Option(
      names = "--build-time",
      paramLabel = "TIME",
      description = "BuildTime, e.g. 2025-01-01T00:00:00+00:00 (default: now)")
  String buildTime;

  @Option(
      names = "--metadata",
      paramLabel = "FILE.json",
      description = "custom metadata: a JSON object")
  String metadata;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "FILE",
      description = "where to write the .eif")
  String output;

  @Override
  public void run() {
    EifWriter.Builder writer = EifWriter.builder().kernel(input(kernel)).cmdline(cmdline);
    ramdisks.forEach(ramdisk -> writer.ramdisk(input(ramdisk)));
    switch (arch) {
      case "x86_64" -> writer.architecture(EifFile.Architecture.X86_64);
      case "aarch64" -> writer.architecture(EifFile.Architecture.AARCH64);
      default -> throw new CliFailure("--arch must be x86_64 or aarch64, was '" + arch + "'", 2);
    }
    if (name != null) {
      writer.imageName(name);
    }
    if (version != null) {
      writer.imageVersion(version);
    }
    if (buildTime != null) {
      writer.buildTime(buildTime);
    }
    if (metadata != null) {
      writer.customMetadata(customMetadata());
    }
    if ((certificate == null) != (privateKey == null)) {
      throw new CliFailure("--signing-certificate and --private-key go together", 2);
    }
    if (certificate != null) {
      writer.signing(
          CliSupport.read(input(certificate), "signing certificate"), key(input(privateKey)));
    }
    EifFile eif;
    try {
      eif = writer.build().write(env.resolve(output));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(e.getMessage(), 2);
    } catch (IOException e) {
      throw new CliFailure("cannot write " + output + ": " + e.getMessage());
    }
    spec.commandLine().getOut().println(NitroCliJson.pretty(EifDescription.measurements(eif)));
  }

  private Path input(String file) {
    Path path = env.resolve(file);
    if (!Files.isRegularFile(path)) {
      throw new CliFailure(file + ": no such file", 2);
    }
    return path;
  }

  private JsonNode customMetadata() {
    try {
      JsonNode node = new ObjectMapper().readTree(CliSupport.read(input(metadata), "metadata"));
      if (node == null || !node.isObject()) {
        throw new CliFailure(metadata + ": custom metadata must be a JSON object", 2);
      }
      return node;
    } catch (IOException e) {
      throw new CliFailure(metadata + ": not JSON", 2);
    }
  }

  private static PrivateKey key(Path file) {
    try (Reader reader = Files.newBufferedReader(file);
        PEMParser parser = new PEMParser(reader)) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PEMKeyPair pair) {
        return converter.getKeyPair(pair).getPrivate();
      }
      if (object instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new CliFailure(file.getFileName() + ": not a PEM private key", 2);
    } catch (IOException e) {
      throw new CliFailure(file.getFileName() + ": not a PEM private key", 2);
    }
  }
}
