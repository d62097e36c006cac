package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the {@code openssl} command line in a directory, as AWS's import guide does; skips tests
 * without it.
 */
final class Openssl {
  private final Path directory;

  Openssl(Path directory) {
    this.directory = directory;
    Assumptions.assumeTrue(
        available(), "the openssl command is not installed; the import round trip needs it");
  }

  /**
   * Runs {@code openssl <args>} in the directory and fails the test when it does not exit 0 within
   * 60 s.
   */
  void run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add("openssl");
    command.addAll(List.of(args));
    Process process =
        new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
    boolean done = process.waitFor(60, TimeUnit.SECONDS);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      process.destroyForcibly();
    }
    assertThat(done && process.exitValue() == 0)
        .as("openssl " + String.join(" ", args) + ": " + output)
        .isTrue();
  }

  /**
   * Wraps {@code material} for KMS as AWS's guide shows: with {@code RSAES_OAEP_*} directly with
   * {@code openssl pkeyutl}, with {@code RSA_AES_KEY_WRAP_*} by a fresh AES key ({@code openssl enc
   * -id-aes256-wrap-pad}) that {@code pkeyutl} wraps in turn.
   */
  byte[] wrap(String algorithm, byte[] wrappingPublicKeyDer, byte[] material)
      throws IOException, InterruptedException {
    Files.write(directory.resolve("WrappingPublicKey.der"), wrappingPublicKeyDer);
    Files.write(directory.resolve("PlaintextKeyMaterial.bin"), material);
    String md = algorithm.endsWith("SHA_1") ? "sha1" : "sha256";
    if (algorithm.startsWith("RSAES_OAEP")) {
      run(
          "pkeyutl",
          "-encrypt",
          "-in",
          "PlaintextKeyMaterial.bin",
          "-out",
          "EncryptedKeyMaterial.bin",
          "-inkey",
          "WrappingPublicKey.der",
          "-keyform",
          "DER",
          "-pubin",
          "-pkeyopt",
          "rsa_padding_mode:oaep",
          "-pkeyopt",
          "rsa_oaep_md:" + md,
          "-pkeyopt",
          "rsa_mgf1_md:" + md);
      return Files.readAllBytes(directory.resolve("EncryptedKeyMaterial.bin"));
    }
    run("rand", "-out", "aes-key.bin", "32");
    String aesKey = HexFormat.of().formatHex(Files.readAllBytes(directory.resolve("aes-key.bin")));
    run(
        "enc",
        "-id-aes256-wrap-pad",
        "-K",
        aesKey,
        "-iv",
        "A65959A6",
        "-in",
        "PlaintextKeyMaterial.bin",
        "-out",
        "key-material-wrapped.bin");
    run(
        "pkeyutl",
        "-encrypt",
        "-in",
        "aes-key.bin",
        "-out",
        "aes-key-wrapped.bin",
        "-inkey",
        "WrappingPublicKey.der",
        "-keyform",
        "DER",
        "-pubin",
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:" + md,
        "-pkeyopt",
        "rsa_mgf1_md:" + md);
    byte[] wrappedKey = Files.readAllBytes(directory.resolve("aes-key-wrapped.bin"));
    byte[] wrappedMaterial = Files.readAllBytes(directory.resolve("key-material-wrapped.bin"));
    byte[] both = new byte[wrappedKey.length + wrappedMaterial.length];
    System.arraycopy(wrappedKey, 0, both, 0, wrappedKey.length);
    System.arraycopy(wrappedMaterial, 0, both, wrappedKey.length, wrappedMaterial.length);
    return both;
  }

  /**
   * A new private key as DER PKCS#8 from {@code openssl genpkey}, e.g. {@code EC} with {@code
   * ec_paramgen_curve:P-256}.
   */
  byte[] privateKey(String algorithm, String option) throws IOException, InterruptedException {
    run("genpkey", "-algorithm", algorithm, "-pkeyopt", option, "-out", "generated.pem");
    run(
        "pkcs8",
        "-topk8",
        "-nocrypt",
        "-outform",
        "DER",
        "-in",
        "generated.pem",
        "-out",
        "generated.der");
    return Files.readAllBytes(directory.resolve("generated.der"));
  }

  private static boolean available() {
    try {
      Process process = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
