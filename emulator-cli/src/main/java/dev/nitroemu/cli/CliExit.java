package dev.nitroemu.cli;

/** Ends a command with an exit code and nothing more to say (it has printed its answer already). */
final class CliExit extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  CliExit(int exitCode) {
    super(null, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
