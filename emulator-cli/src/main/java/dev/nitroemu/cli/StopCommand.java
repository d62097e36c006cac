package dev.nitroemu.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code nitro-emu stop}: stops the stack running on the state directory, as Ctrl-C would. */
@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    header =
        "Stops the stack running on the state directory (SIGTERM, then waits for it to close).",
    description = {
      "Sends the stack's process SIGTERM, as Ctrl-C does, and waits until it has closed its services "
          + "and released the state directory. Succeeds when no stack runs there."
    })
final class StopCommand extends CliCommand {
  @Mixin StateDirOption stateDir;

  @Option(
      names = "--timeout",
      paramLabel = "SECONDS",
      defaultValue = "30",
      description = "how long to wait for the stack to stop (default: ${DEFAULT-VALUE})")
  int timeoutSeconds;

  @Override
  public void run() {
    Path dir = stateDir.resolve(env);
    PrintWriter out = spec.commandLine().getOut();
    Optional<StateDirectory.Owner> owner = StateDirectory.running(dir);
    if (owner.isEmpty()) {
      out.println("nitro-emu: no stack is running on state directory " + dir);
      out.flush();
      return;
    }
    long pid = owner.get().pid();
    ProcessHandle process = ProcessHandle.of(pid).orElse(null);
    if (process == null || !process.isAlive()) {
      out.println("nitro-emu: the stack (pid " + pid + ") on " + dir + " has already stopped");
      out.flush();
      return;
    }
    if (!process.destroy()) {
      throw new CliFailure("cannot signal the stack (pid " + pid + ") on " + dir);
    }
    try {
      process.onExit().get(Math.max(1, timeoutSeconds), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new CliFailure(
          "the stack (pid "
              + pid
              + ") on "
              + dir
              + " did not stop within "
              + timeoutSeconds
              + " s; 'kill -9 "
              + pid
              + "' ends it at once");
    } catch (ExecutionException e) {
      throw new CliFailure("waiting for the stack (pid " + pid + ") failed: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure("interrupted while waiting for the stack (pid " + pid + ") to stop");
    }
    out.println("nitro-emu: stopped the stack (pid " + pid + ") on state directory " + dir);
    out.flush();
  }
}
