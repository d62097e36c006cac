package dev.nitroemu.enclavetests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts {@link EnclaveTestRunner} in a child JVM (this JVM's {@code java.home} and test
 * classpath), the way the enclave image starts it, with output captured to files for diagnostics.
 */
final class ChildRunner {

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ChildRunner(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /**
   * Starts the runner.
   *
   * @param jvmOptions e.g. {@code -Dname=value}
   * @param environment added to (and overriding) this process's environment
   * @param logDir where {@code runner.out} and {@code runner.err} go
   */
  static ChildRunner start(
      List<String> jvmOptions, Map<String, String> environment, List<String> args, Path logDir)
      throws IOException {
    Files.createDirectories(logDir);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    command.add(EnclaveTestRunner.class.getName());
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command);
    // The child is the enclave: nothing of the parent's nitro settings may leak into it.
    builder.environment().keySet().removeIf(name -> name.startsWith("NITRO_"));
    builder.environment().putAll(environment);
    Path out = logDir.resolve("runner.out");
    Path err = logDir.resolve("runner.err");
    builder.redirectOutput(out.toFile());
    builder.redirectError(err.toFile());
    return new ChildRunner(builder.start(), out, err);
  }

  /** Waits for the exit code; kills the child and fails if it takes longer than {@code timeout}. */
  int waitFor(Duration timeout) throws IOException, InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the runner did not exit within " + timeout + "\n" + output());
    }
    return process.exitValue();
  }

  /** Kills the child if it still runs. */
  void destroy() {
    process.destroyForcibly();
  }

  /** What the child printed, for failure messages. */
  String output() throws IOException {
    return "--- runner stdout ---\n"
        + Files.readString(stdout, StandardCharsets.UTF_8)
        + "--- runner stderr ---\n"
        + Files.readString(stderr, StandardCharsets.UTF_8);
  }
}
