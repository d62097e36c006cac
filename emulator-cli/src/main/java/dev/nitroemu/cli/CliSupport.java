package dev.nitroemu.cli;

import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.nsm.SoftwareNsm;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Argument parsing and file loading shared by the commands, each failing with one clear line. */
final class CliSupport {
  /** Largest file the CLI reads as a key, document or profile. */
  static final long MAX_INPUT_FILE = 1 << 20;

  private CliSupport() {}

  /** Parses hex (an optional {@code 0x} prefix, any case); null stays null. */
  static byte[] hex(String option, String value) {
    if (value == null) {
      return null;
    }
    String digits = value.strip();
    if (digits.startsWith("0x") || digits.startsWith("0X")) {
      digits = digits.substring(2);
    }
    try {
      return HexFormat.of().parseHex(digits.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new CliFailure(option + ": not valid hex: '" + value + "'", 2);
    }
  }

  /** Reads a whole file, bounded to {@link #MAX_INPUT_FILE} bytes. */
  static byte[] read(Path file, String what) {
    try {
      if (!Files.isRegularFile(file)) {
        throw new CliFailure(what + " not found: " + file);
      }
      if (Files.size(file) > MAX_INPUT_FILE) {
        throw new CliFailure(what + " is larger than 1 MiB: " + file);
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new CliFailure("cannot read " + what + " " + file + ": " + e.getMessage());
    }
  }

  /**
   * Reads a binary blob file: raw bytes (what {@code fileb://} sends), or base64 text (what {@code
   * aws ... --output text} prints), told apart by whether the whole file is base64.
   */
  static byte[] readBlob(Path file, String what) {
    byte[] contents = read(file, what);
    String text = new String(contents, StandardCharsets.ISO_8859_1).strip();
    if (!text.isEmpty() && text.matches("[A-Za-z0-9+/=\\s]+")) {
      try {
        byte[] decoded = Base64.getMimeDecoder().decode(text);
        if (decoded.length > 0) {
          return decoded;
        }
      } catch (IllegalArgumentException e) {
        // Not base64 after all: the raw bytes are the blob.
      }
    }
    if (contents.length == 0) {
      throw new CliFailure(what + " is empty: " + file);
    }
    return contents;
  }

  /**
   * Reads an unencrypted RSA private key, PKCS#8 ({@code PRIVATE KEY}, OpenSSL 3's {@code genrsa})
   * or PKCS#1 ({@code RSA PRIVATE KEY}), and returns it with its public half. Messages never quote
   * the key.
   */
  static KeyPair rsaKeyPair(Path file) {
    String pem = new String(read(file, "recipient key"), StandardCharsets.US_ASCII);
    Object object;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      object = parser.readObject();
    } catch (IOException | RuntimeException e) {
      throw new CliFailure(
          "recipient key " + file + " is not PEM (" + e.getClass().getSimpleName() + ")", 2);
    }
    PrivateKey key;
    try {
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (object instanceof PrivateKeyInfo info) {
        key = converter.getPrivateKey(info);
      } else if (object instanceof PEMKeyPair pair) {
        key = converter.getKeyPair(pair).getPrivate();
      } else {
        throw new CliFailure("recipient key " + file + " holds no unencrypted private key", 2);
      }
      if (!(key instanceof RSAPrivateCrtKey rsa)) {
        throw new CliFailure("recipient key " + file + " is not an RSA private key", 2);
      }
      return new KeyPair(
          KeyFactory.getInstance("RSA")
              .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent())),
          rsa);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      if (e instanceof CliFailure failure) {
        throw failure;
      }
      throw new CliFailure(
          "recipient key " + file + " is unusable (" + e.getClass().getSimpleName() + ")", 2);
    }
  }

  /**
   * Writes a secret with {@link AtomicFiles}: owner-only ({@code 0600}) even when it replaces a
   * wider file, never through a symbolic link, creating parent folders.
   */
  static void writePrivate(Path file, byte[] bytes, String what) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      AtomicFiles.write(file, bytes);
    } catch (IOException e) {
      throw new CliFailure("cannot write " + what + " " + file + ": " + e.getMessage());
    }
  }

  /** Writes a file, creating parent folders. */
  static void write(Path file, byte[] bytes, String what) {
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      Files.write(file, bytes);
    } catch (IOException e) {
      throw new CliFailure("cannot write " + what + " " + file + ": " + e.getMessage());
    }
  }

  /** Loads the CA in {@code dir}, creating it there first when it does not exist yet. */
  static EmulatorRootCa loadOrCreateCa(NitroEmu.CliEnvironment env, Path dir) {
    try {
      return EmulatorRootCa.loadOrCreate(dir, env.clock());
    } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      throw new CliFailure("cannot use the CA in " + dir + ": " + e.getMessage());
    }
  }

  /** Loads an existing CA, failing with a hint when it is missing. */
  static EmulatorRootCa loadCa(Path dir) {
    if (!Files.isRegularFile(dir.resolve("root.pem"))) {
      throw new CliFailure(
          "no emulator CA in " + dir + " (create one with 'nitro-emu ca init --dir " + dir + "')");
    }
    try {
      return EmulatorRootCa.load(dir);
    } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      throw new CliFailure("cannot load the CA in " + dir + ": " + e.getMessage());
    }
  }

  /**
   * An in-process emulated NSM as {@code attest} makes it: the CA in {@code caDir} (the default CA,
   * created on first use, when null), the profile in {@code profileFile} (or the built-in one), in
   * debug mode if asked. The caller may set more before building.
   */
  static SoftwareNsm.Builder softwareNsm(
      NitroEmu.CliEnvironment env, String caDir, String profileFile, boolean debug) {
    EnclaveProfile enclave = profile(env, profileFile);
    if (debug) {
      enclave = enclave.toBuilder().debug(true).build();
    }
    Path ca = caDir == null ? env.defaultCaDir() : env.resolve(caDir);
    EmulatorRootCa root = caDir == null ? loadOrCreateCa(env, ca) : loadCa(ca);
    return SoftwareNsm.builder().profile(enclave).rootCa(root).clock(env.clock());
  }

  /** Reads an enclave profile (nitro-cli build-enclave or describe-eif output), or the default. */
  static EnclaveProfile profile(NitroEmu.CliEnvironment env, String file) {
    if (file == null) {
      return EnclaveProfile.defaultProfile();
    }
    Path path = env.resolve(file);
    byte[] text = read(path, "profile");
    try {
      return EnclaveProfile.fromNitroCliOutput(new String(text, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new CliFailure("profile " + path + ": " + e.getMessage());
    }
  }
}
