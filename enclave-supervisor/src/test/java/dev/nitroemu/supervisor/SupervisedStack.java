package dev.nitroemu.supervisor;

import static org.assertj.core.api.Assumptions.assumeThat;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An in-JVM emulator served on a hybrid vsock directory, and C test programs run under
 * nitro-emu-init against it, their "key value" output lines readable while they run.
 */
final class SupervisedStack implements AutoCloseable {

  static final Path SERVER_PROBE = Path.of("target", "native-test", "vsock-server-probe");
  private static final long WAIT_MILLIS = 30_000;

  final Path directory;
  final Path vsock;
  final Path supervisor;
  final EnclaveEnvironment environment;
  final HybridVsockServices services;

  private SupervisedStack(Path directory, EnclaveEnvironment environment, Path supervisor)
      throws IOException {
    this.directory = directory;
    this.environment = environment;
    this.supervisor = supervisor;
    this.vsock = Files.createDirectories(directory.resolve("vsock"));
    this.services =
        HybridVsockServices.serve(environment, vsock, EnclaveEnvironment.EMULATED_ENCLAVE_CID);
  }

  /** Starts the stack in {@code directory}, or skips the test when the programs cannot run here. */
  static SupervisedStack start(Path directory) throws IOException {
    assumeThat(SupervisorBinary.unavailableReason()).as("nitro-emu-init cannot run here").isEmpty();
    assumeThat(SERVER_PROBE).as("the C test program was not built (no gcc and libc6-dev)").exists();
    Path supervisor = SupervisorBinary.extractTo(Files.createDirectories(directory.resolve("bin")));
    EnclaveEnvironment environment = EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start();
    try {
      return new SupervisedStack(directory, environment, supervisor);
    } catch (IOException | RuntimeException e) {
      environment.close();
      throw e;
    }
  }

  /** Starts {@code probeArgs} of the server probe under the supervisor against this stack. */
  Running startProbe(String... probeArgs) throws IOException {
    List<String> command = new ArrayList<>(List.of(SERVER_PROBE.toAbsolutePath().toString()));
    command.addAll(List.of(probeArgs));
    return start(List.of(), command);
  }

  /** Starts {@code command} under the supervisor with extra {@code options} before {@code --}. */
  Running start(List<String> options, List<String> command) throws IOException {
    List<String> full = new ArrayList<>(List.of(supervisor.toString()));
    full.addAll(List.of("--vsock-dir", vsock.toString(), "--cid", "16"));
    full.addAll(options);
    full.add("--");
    full.addAll(command);
    Path out = Files.createTempFile(directory, "out", ".txt");
    Path err = Files.createTempFile(directory, "err", ".txt");
    Process process =
        new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    return new Running(process, out, err);
  }

  @Override
  public void close() {
    services.close();
    environment.close();
  }

  /** A supervised program: its output lines as they come, then its exit status. */
  static final class Running implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;

    Running(Process process, Path out, Path err) {
      this.process = process;
      this.out = out;
      this.err = err;
    }

    /** Waits (bounded) until the program printed a line starting with {@code key}. */
    void awaitLine(String key) throws IOException, InterruptedException {
      long deadline = System.currentTimeMillis() + WAIT_MILLIS;
      while (System.currentTimeMillis() < deadline) {
        if (results().containsKey(key)) {
          return;
        }
        if (!process.isAlive() && !results().containsKey(key)) {
          throw new AssertionError("the program ended without printing " + key + ": " + finish());
        }
        Thread.sleep(20);
      }
      throw new AssertionError("no line " + key + " within " + WAIT_MILLIS + " ms: " + results());
    }

    /** Waits (bounded) for the exit and returns the whole run. */
    Run finish() throws IOException, InterruptedException {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
        throw new AssertionError("the program did not finish within 60 s: " + results());
      }
      return new Run(process.exitValue(), results(), Files.readString(err));
    }

    private Map<String, String> results() throws IOException {
      Map<String, String> results = new LinkedHashMap<>();
      for (String line : Files.readAllLines(out)) {
        int space = line.indexOf(' ');
        results.put(
            space < 0 ? line : line.substring(0, space),
            space < 0 ? "" : line.substring(space + 1));
      }
      return results;
    }

    @Override
    public void close() {
      process.destroyForcibly();
    }
  }

  /** A finished run: exit status, "key value" lines of stdout, and stderr. */
  record Run(int exitCode, Map<String, String> results, String stderr) {}
}
