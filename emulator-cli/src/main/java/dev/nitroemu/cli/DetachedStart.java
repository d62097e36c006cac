package dev.nitroemu.cli;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code start --detach}: runs the same {@code start} in a background JVM (in a session of its own
 * where {@code setsid} exists, so closing the terminal does not stop it), appends its output to
 * {@code <state-dir>/stack.log}, and returns once it is ready, printing its endpoints; when it
 * fails first, its error line is this command's error and its exit code this command's.
 */
final class DetachedStart {
  private static final long POLL_MILLIS = 100;
  private static final int MAX_LOG_READ = 1 << 20;

  private DetachedStart() {}

  /**
   * Starts the background stack and waits (at most {@code timeout}) until it is ready.
   *
   * @param originalArgs the command line as given, {@code --detach} included (it is dropped)
   * @throws CliFailure when a stack already runs there, the background stack fails, or it is not
   *     ready in time
   */
  static void launch(
      NitroEmu.CliEnvironment env,
      Path state,
      List<String> originalArgs,
      Duration timeout,
      PrintWriter out) {
    StateDirectory.running(state)
        .ifPresent(
            owner -> {
              throw StateDirectory.inUse(state, owner);
            });
    Path dir = StateDirectory.prepare(state);
    Path log = StateDirectory.logFile(dir);
    long offset = openLog(log);
    Process child;
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command(originalArgs))
              .directory(env.workingDir().toFile())
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectErrorStream(true);
      builder.environment().clear();
      builder.environment().putAll(env.env());
      // Enclave containers (run-enclave): no Ryuk image or startup-check image to pull; the stack
      // stops
      // its enclaves itself. A user's own setting wins.
      builder.environment().putIfAbsent("TESTCONTAINERS_RYUK_DISABLED", "true");
      builder.environment().putIfAbsent("TESTCONTAINERS_CHECKS_DISABLE", "true");
      child = builder.start();
      child.getOutputStream().close();
    } catch (IOException e) {
      throw new CliFailure("start --detach: cannot start the background stack: " + e.getMessage());
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      String output = readFrom(log, offset);
      int ready = output.indexOf(StartCommand.READY_LINE);
      if (ready >= 0) {
        out.print(output.substring(0, ready));
        long pid = StateDirectory.running(dir).map(StateDirectory.Owner::pid).orElse(child.pid());
        out.printf(
            "nitro-emu: running in the background (pid %d, log %s); stop it with 'nitro-emu stop%s'%n",
            pid, log, stateFlag(env, dir));
        out.flush();
        return;
      }
      if (!child.isAlive()) {
        throw new CliFailure(lastError(output, log), exitCode(child));
      }
      if (System.nanoTime() > deadline) {
        child.destroy();
        throw new CliFailure(
            "start --detach: the stack was not ready within "
                + timeout.toSeconds()
                + " s; see "
                + log);
      }
      try {
        child.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliFailure(
            "start --detach: interrupted while waiting; the stack may still start (see "
                + log
                + ")");
      }
    }
  }

  /** {@code --state-dir DIR} when it is not the default, for the hints printed. */
  static String stateFlag(NitroEmu.CliEnvironment env, Path dir) {
    return dir.equals(env.home().resolve("state").toAbsolutePath().normalize())
        ? ""
        : " --state-dir " + dir;
  }

  /**
   * This JVM's java, JVM options (no debugger agent) and class path, running {@code start} without
   * --detach.
   */
  private static List<String> command(List<String> originalArgs) {
    List<String> command = new ArrayList<>();
    Optional<Path> setsid = onPath("setsid");
    setsid.ifPresent(path -> command.add(path.toString()));
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!option.startsWith("-agentlib:jdwp") && !option.startsWith("-Xrunjdwp")) {
        command.add(option);
      }
    }
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(NitroEmu.class.getName());
    for (String arg : originalArgs) {
      if (!arg.equals("--detach") && !arg.equals("-d")) {
        command.add(arg);
      }
    }
    return command;
  }

  private static Optional<Path> onPath(String program) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        Path candidate = Path.of(dir, program);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Creates the log (owner-only) if needed, refusing a symbolic link; returns where this start's
   * output begins.
   */
  private static long openLog(Path log) {
    try {
      if (Files.isSymbolicLink(log)) {
        throw new CliFailure(
            "log file " + log + " is a symbolic link; remove it (links are never followed there)");
      }
      if (!Files.exists(log, LinkOption.NOFOLLOW_LINKS)) {
        Files.newByteChannel(
                log,
                java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
            .close();
      }
      return Files.size(log);
    } catch (UnsupportedOperationException e) {
      return 0;
    } catch (IOException e) {
      throw new CliFailure("cannot create log file " + log + ": " + e.getMessage());
    }
  }

  private static String readFrom(Path log, long offset) {
    try (InputStream in = Files.newInputStream(log, LinkOption.NOFOLLOW_LINKS)) {
      in.skipNBytes(Math.min(offset, Files.size(log)));
      return new String(in.readNBytes(MAX_LOG_READ), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  /** The background stack's own error line (without its "nitro-emu: " prefix), or where to look. */
  private static String lastError(String output, Path log) {
    List<String> lines = output.lines().filter(line -> line.startsWith("nitro-emu: ")).toList();
    if (lines.isEmpty()) {
      return "start --detach: the stack exited before it was ready; see " + log;
    }
    return lines.get(lines.size() - 1).substring("nitro-emu: ".length());
  }

  private static int exitCode(Process child) {
    try {
      int code = child.waitFor();
      return code == 0 ? 1 : code;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }
}
