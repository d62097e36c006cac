package dev.nitroemu.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the subcommands: the picocli spec (for output streams) and the {@link
 * NitroEmu.CliEnvironment}.
 */
abstract class CliCommand implements Runnable, NitroEmu.EnvironmentAware {
  @Spec CommandSpec spec;

  NitroEmu.CliEnvironment env;

  @Override
  public final void setEnvironment(NitroEmu.CliEnvironment environment) {
    this.env = environment;
  }
}
