package dev.nitroemu.cli;

import dev.nitroemu.nsm.EmulatorRootCa;
import dev.nitroemu.nsm.EnclaveProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;

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
      throw new CliFailure("no emulator CA in " + dir + " (create one with 'nitro-emu ca init --dir " + dir + "')");
    }
    try {
      return EmulatorRootCa.load(dir);
    } catch (UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
      throw new CliFailure("cannot load the CA in " + dir + ": " + e.getMessage());
    }
  }

  /** Reads an enclave profile (nitro-cli build-enclave or describe-eif output), or the default. */
  static EnclaveProfile profile(NitroEmu.CliEnvironment env, String file) {
    if (file == null) {
      return EnclaveProfile.defaultProfile();
    }
    Path path = env.resolve(file);
    byte[] text = read(path, "profile");
    try {
      return EnclaveProfile.fromNitroCliOutput(new String(text, java.nio.charset.StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      throw new CliFailure("profile " + path + ": " + e.getMessage());
    }
  }
}
