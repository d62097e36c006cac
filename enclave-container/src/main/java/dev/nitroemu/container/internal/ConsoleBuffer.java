package dev.nitroemu.container.internal;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.output.OutputFrame;

/** The newest console lines of an enclave, at most a fixed number of characters. */
public final class ConsoleBuffer {

  private static final Logger LOG =
      LoggerFactory.getLogger("dev.nitroemu.container.EnclaveContainer");

  private final int maxChars;
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private int chars;

  /** A buffer keeping at most {@code maxChars} characters of the newest lines. */
  public ConsoleBuffer(int maxChars) {
    this.maxChars = maxChars;
  }

  /**
   * A Testcontainers log consumer that keeps each line here and hands it to {@code consumer}, or
   * when that is null logs it at INFO with the enclave's CID.
   */
  public Consumer<OutputFrame> frameConsumer(Consumer<String> consumer, LongSupplier cid) {
    return frame -> {
      if (frame.getType() == OutputFrame.OutputType.END) {
        return;
      }
      String line = frame.getUtf8StringWithoutLineEnding();
      add(line);
      if (consumer != null) {
        consumer.accept(line);
      } else {
        LOG.info("enclave {}: {}", cid.getAsLong(), line);
      }
    };
  }

  /** Adds one line (without its line break); the oldest lines go when the buffer is full. */
  public synchronized void add(String line) {
    String kept = line.length() > maxChars ? line.substring(line.length() - maxChars) : line;
    lines.addLast(kept);
    chars += kept.length() + 1;
    while (chars > maxChars && !lines.isEmpty()) {
      chars -= lines.removeFirst().length() + 1;
    }
  }

  /** The kept lines, each followed by a line break. */
  public synchronized String text() {
    StringBuilder text = new StringBuilder(chars);
    lines.forEach(line -> text.append(line).append('\n'));
    return text.toString();
  }

  /** Forgets everything (a restarted enclave has a new console). */
  public synchronized void clear() {
    lines.clear();
    chars = 0;
  }
}
