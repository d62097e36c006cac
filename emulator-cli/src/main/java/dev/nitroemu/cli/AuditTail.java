package dev.nitroemu.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The last lines of the audit log that render to something, read backwards from its end in blocks,
 * so {@code audit --last N} costs what the last N calls cost, not what the whole log does.
 */
final class AuditTail {
  private static final int BLOCK = 64 * 1024;

  /**
   * What to print, oldest first, and the position just after the last complete line (where {@code
   * --follow} goes on).
   */
  record Result(List<String> printed, long end) {}

  private AuditTail() {}

  /**
   * Renders complete lines from the end of the file open as {@code channel} (left open) backwards
   * with {@code render} (empty: not shown) until {@code count} were shown or the file's start is
   * reached. A line over {@code maxLine} bytes is passed as {@code null}, without its content.
   */
  static Result last(
      SeekableByteChannel channel,
      int count,
      int maxLine,
      Function<String, Optional<String>> render)
      throws IOException {
    long size = channel.size();
    List<String> printed = new ArrayList<>();
    long end = -1; // after the last '\n' seen from the end; -1 until one is seen
    byte[] pending = new byte[0]; // the bytes after the newest '\n' found, up to the line's end
    boolean pendingTooLong = false;
    long position = size;
    while (position > 0 && !(end >= 0 && printed.size() >= count)) {
      int length = (int) Math.min(BLOCK, position);
      position -= length;
      ByteBuffer block = ByteBuffer.allocate(length);
      channel.position(position);
      while (block.hasRemaining()) {
        if (channel.read(block) < 0) {
          throw new IOException("the audit log shrank while being read");
        }
      }
      byte[] bytes = block.array();
      int lineEnd = length; // exclusive end of the current line's bytes within this block
      for (int i = length - 1; i >= 0; i--) {
        if (bytes[i] != '\n') {
          continue;
        }
        if (end >= 0 && printed.size() >= count) {
          break;
        }
        if (end < 0) {
          end = position + i + 1; // what follows is a line still being written: not shown
        } else {
          String line = line(bytes, i + 1, lineEnd, pending, pendingTooLong, maxLine);
          render.apply(line).ifPresent(printed::add);
        }
        pending = new byte[0];
        pendingTooLong = false;
        lineEnd = i;
      }
      if (!(end >= 0 && printed.size() >= count)) {
        int keep = lineEnd;
        if (pendingTooLong || (long) keep + pending.length > maxLine) {
          pendingTooLong = true;
          pending = new byte[0];
        } else {
          byte[] joined = new byte[keep + pending.length];
          System.arraycopy(bytes, 0, joined, 0, keep);
          System.arraycopy(pending, 0, joined, keep, pending.length);
          pending = joined;
        }
      }
    }
    if (position == 0 && printed.size() < count && end >= 0) {
      render
          .apply(line(new byte[0], 0, 0, pending, pendingTooLong, maxLine))
          .ifPresent(printed::add);
    }
    Collections.reverse(printed);
    return new Result(printed, Math.max(end, 0));
  }

  private static String line(
      byte[] block, int from, int to, byte[] pending, boolean tooLong, int maxLine) {
    if (tooLong || (long) (to - from) + pending.length > maxLine) {
      return null;
    }
    byte[] whole = new byte[to - from + pending.length];
    System.arraycopy(block, from, whole, 0, to - from);
    System.arraycopy(pending, 0, whole, to - from, pending.length);
    return new String(whole, StandardCharsets.UTF_8);
  }
}
