package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.container.EnclaveContainer;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One enclave the stack runs for {@code run-enclave}: its {@link EnclaveContainer}, whether it was
 * started in debug mode, and its console (the newest lines, and the lines that come, for each
 * {@code console} client until the enclave ends).
 */
final class HostedEnclave {
  private static final int CONSOLE_LINES = 4096;

  private final EnclaveContainer container;
  private final boolean debugMode;
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private long received; // lines ever added
  private boolean ended;

  HostedEnclave(EnclaveContainer container, boolean debugMode) {
    this.container = container;
    this.debugMode = debugMode;
  }

  EnclaveContainer container() {
    return container;
  }

  boolean debugMode() {
    return debugMode;
  }

  String id() {
    return container.enclaveId();
  }

  /** The describe-enclaves element, parsed. */
  ObjectNode describe() throws IOException {
    return (ObjectNode) EnclaveControl.JSON.readTree(container.describe());
  }

  /** run-enclave's answer: describe-enclaves' fields up to MemoryMiB, as nitro-cli prints them. */
  ObjectNode runInfo() throws IOException {
    ObjectNode described = describe();
    ObjectNode info = EnclaveControl.JSON.createObjectNode();
    for (String field :
        List.of(
            "EnclaveName",
            "EnclaveID",
            "ProcessID",
            "EnclaveCID",
            "NumberOfCPUs",
            "CPUIDs",
            "MemoryMiB")) {
      info.set(field, described.get(field));
    }
    return info;
  }

  /** Adds a console line (the container's console consumer). */
  synchronized void consoleLine(String line) {
    lines.addLast(line);
    received++;
    if (lines.size() > CONSOLE_LINES) {
      lines.removeFirst();
    }
    notifyAll();
  }

  /** The enclave is gone: console readers get the end. */
  synchronized void end() {
    ended = true;
    notifyAll();
  }

  /** Whether the enclave's container has stopped running. */
  boolean exited() {
    return !container.isRunning();
  }

  /**
   * Waits up to {@code millis} for console lines after number {@code next}.
   *
   * @return the lines from {@code next} on (from the oldest kept, if older ones were dropped), none
   *     on timeout; null once the enclave has ended and every line was read
   */
  synchronized Batch linesFrom(long next, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (received <= next && !ended) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        return new Batch(List.of(), next);
      }
      wait(left);
    }
    if (received <= next) {
      return null;
    }
    long first = received - lines.size();
    List<String> kept = List.copyOf(lines);
    return new Batch(kept.subList((int) Math.max(0, next - first), kept.size()), received);
  }

  /** Console lines for one reader, and the number of the line to ask for next. */
  record Batch(List<String> lines, long next) {}

  /** For a JSON answer. */
  static JsonNode terminated(String name, String id) {
    return EnclaveControl.JSON
        .createObjectNode()
        .put("EnclaveName", name)
        .put("EnclaveID", id)
        .put("Terminated", true);
  }
}
