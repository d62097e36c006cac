package dev.nitroemu.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --state-dir} option every command that finds or runs a stack shares. */
final class StateDirOption {
  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "the stack's state directory (default: ${NITRO_EMU_HOME:-~/.nitro-emu}/state)")
  String stateDir;

  /** The directory given, or the default {@code <home>/state}; absolute and normalised. */
  Path resolve(NitroEmu.CliEnvironment env) {
    if (stateDir != null && stateDir.isBlank()) {
      throw new CliFailure("--state-dir: empty (an unset shell variable?); give a directory", 2);
    }
    Path dir = stateDir == null ? env.home().resolve("state") : env.resolve(stateDir);
    return dir.toAbsolutePath().normalize();
  }

  /** Whether the user named a directory. */
  boolean given() {
    return stateDir != null;
  }
}
