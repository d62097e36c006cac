package dev.nitroemu.languages;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A program running on this host as a child process: its stdout read line by line as it comes (so
 * the test knows when the program listens), stderr kept in a file, every wait bounded.
 */
final class HostRun implements AutoCloseable {

  private final Process process;
  private final Path stderr;
  private final List<String> lines = new ArrayList<>();
  private final CountDownLatch listening = new CountDownLatch(1);
  private final Thread reader;
  private volatile boolean sawListening;

  private HostRun(Process process, Path stderr) {
    this.process = process;
    this.stderr = stderr;
    this.reader = new Thread(this::readStdout, "program-stdout");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts {@code command}, stderr into {@code stderrFile}. */
  static HostRun start(List<String> command, Path stderrFile) throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectError(stderrFile.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    return new HostRun(process, stderrFile);
  }

  /**
   * Waits at most {@code timeout} for the {@code listening} line (step 1); false when the program
   * ended or went quiet without it.
   */
  boolean awaitListening(Duration timeout) throws InterruptedException {
    return listening.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && sawListening;
  }

  /** Waits at most {@code timeout} for the program to exit (then kills it) and returns all. */
  ProgramTranscript finish(Duration timeout) throws Exception {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      reader.join(TimeUnit.SECONDS.toMillis(10));
      throw new AssertionError(
          "the program did not exit within " + timeout + "; " + transcript(-1).toString());
    }
    reader.join(TimeUnit.SECONDS.toMillis(10));
    return transcript(process.exitValue());
  }

  private ProgramTranscript transcript(int exitCode) throws IOException {
    synchronized (lines) {
      return new ProgramTranscript(exitCode, lines, "stderr: " + Files.readString(stderr));
    }
  }

  private void readStdout() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        synchronized (lines) {
          lines.add(line);
        }
        if (line.startsWith("listening ")) {
          sawListening = true;
          listening.countDown();
        }
      }
    } catch (IOException e) {
      // The process ended; finish() reports what was read.
    } finally {
      listening.countDown(); // no need to wait longer: the answer is in the transcript
    }
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
