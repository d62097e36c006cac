package dev.nitroemu.cli;

import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.AuditRotation;
import dev.nitroemu.kms.RequestLogEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nitro-emu audit}: the running stack's KMS audit log, one line per call, optionally
 * followed.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    header =
        "Shows the KMS audit log of the stack: one line per call (time, operation, key, principal, decision).",
    description = {
      "Reads <state-dir>/kms-audit.jsonl, the CloudTrail-shaped events the KMS mock writes for every "
          + "call (no plaintext, key material or secrets), and its rotated files (kms-audit.jsonl.N, "
          + "oldest first; see start --audit-max-size). A denied call's line says why: the key policy "
          + "statement and the condition that decided (expected and presented values), or the explicit Deny, "
          + "and what the attestation document presented (module id, PCR0/1/2/8, age). --follow keeps printing "
          + "new calls until the stack stops or Ctrl-C."
    })
final class AuditCommand extends CliCommand {
  /** Longest audit line read; longer ones are reported and skipped. */
  static final int MAX_LINE = 1 << 20;

  /** Most calls {@code --last} shows: they are held in memory until printed oldest first. */
  static final int MAX_LAST = 100_000;

  private static final long POLL_MILLIS = 200;

  @Mixin StateDirOption stateDir;

  @Option(
      names = {"-f", "--follow"},
      description = "keep printing new calls until the stack stops")
  boolean follow;

  @Option(
      names = "--denied",
      description = "only denied calls (AccessDeniedException), each with its reason")
  boolean denied;

  @Option(names = "--json", description = "print the audit events as JSON lines, as stored")
  boolean json;

  @Option(
      names = "--last",
      paramLabel = "N",
      description =
          "only the last N calls shown (after --denied), read from the end of the log: as fast on a"
              + " log of millions of calls as on a small one; with --follow, then the new ones")
  Integer last;

  @Override
  public void run() {
    Path dir = stateDir.resolve(env);
    Path file = StateDirectory.auditFile(dir);
    Optional<RunningStack> stack = RunningStack.find(dir);
    PrintWriter err = spec.commandLine().getErr();
    if (stack.isEmpty()) {
      if (follow) {
        throw new CliFailure(
            "no stack is running on state directory " + dir + " to follow",
            StatusCommand.NOT_RUNNING);
      }
      err.println(
          "nitro-emu: no stack is running on state directory "
              + dir
              + "; reading the audit log it left");
      err.flush();
    }
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)
        && !Files.exists(AuditRotation.rotatedFile(file, 1), LinkOption.NOFOLLOW_LINKS)) {
      if (stack.isEmpty()) {
        throw new CliFailure("no KMS audit log at " + file, StatusCommand.NOT_RUNNING);
      }
      if (!follow) {
        return;
      }
    }
    if (last != null && (last < 0 || last > MAX_LAST)) {
      throw new CliFailure(
          "--last must be 0 to "
              + MAX_LAST
              + " (held in memory to print in order), not "
              + last
              + "; without --last the whole log is printed",
          2);
    }
    try (AuditFiles files = AuditFiles.open(file)) {
      long position = last == null ? printRotated(files) : printLast(files, last);
      follow(file, files.current(), position, stack);
    } catch (IOException e) {
      throw new CliFailure("cannot read the audit log " + file + ": " + e.getMessage());
    }
  }

  /**
   * Prints the current file from {@code position}, then, with {@code --follow}, its new lines and
   * those of the files that replace it (a rotation, or a new stack), until the stack stops.
   */
  private void follow(
      Path file, AuditFiles.Opened current, long position, Optional<RunningStack> stack)
      throws IOException {
    ByteArrayOutputStream partial = new ByteArrayOutputStream();
    AuditFiles.Opened followed = current;
    try {
      while (true) {
        if (followed != null) {
          position = printFrom(followed.channel(), position, partial);
        }
        if (!follow
            || stack.isEmpty()
            || !ProcessHandle.of(stack.get().owner().pid())
                .map(ProcessHandle::isAlive)
                .orElse(false)) {
          return;
        }
        Object now = AuditFiles.key(file);
        if (now != AuditFiles.NO_FILE
            && (followed == null || (now != null && !now.equals(followed.key())))) {
          if (followed != null) {
            printFrom(followed.channel(), position, partial); // lines written before the rotation
            if (followed != current) {
              followed.channel().close();
            }
          }
          followed = AuditFiles.openOne(file, true);
          position = 0;
          partial.reset();
          continue;
        }
        try {
          Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    } finally {
      if (followed != null && followed != current) {
        followed.channel().close();
      }
    }
  }

  /** Prints the rotated files whole, oldest first; returns 0, where the current file starts. */
  private long printRotated(AuditFiles files) throws IOException {
    List<AuditFiles.Opened> newestFirst = files.newestFirst();
    for (int i = newestFirst.size() - 1; i >= 0; i--) {
      if (!newestFirst.get(i).current()) {
        // A line torn at a rotated file's end (never written whole) is left out.
        printFrom(newestFirst.get(i).channel(), 0, new ByteArrayOutputStream());
      }
    }
    return 0;
  }

  /**
   * Prints the complete lines after {@code position} in {@code channel}; returns the position after
   * the last byte read, the bytes of an unfinished line kept in {@code partial}.
   */
  private long printFrom(FileChannel channel, long position, ByteArrayOutputStream partial)
      throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    if (channel.size() < position) {
      position = 0; // A new stack started the log afresh in the same file.
      partial.reset();
    }
    channel.position(position);
    InputStream in = Channels.newInputStream(channel); // not closed: that would close the channel
    byte[] buffer = new byte[64 * 1024];
    for (int read; (read = in.read(buffer)) > 0; ) {
      int lineStart = 0;
      for (int i = 0; i < read; i++) {
        if (buffer[i] == '\n') {
          keep(partial, buffer, lineStart, i);
          print(out, partial.toString(StandardCharsets.UTF_8));
          partial.reset();
          lineStart = i + 1;
        }
      }
      keep(partial, buffer, lineStart, read);
      position += read;
    }
    out.flush();
    return position;
  }

  /**
   * Prints the last {@code count} calls shown, reading the current file backwards, then {@code .1},
   * {@code .2}... until enough were found; returns the position after the current file's last whole
   * line (0 when there is no current file).
   */
  private long printLast(AuditFiles files, int count) throws IOException {
    List<String> printed = new ArrayList<>();
    long end = 0;
    for (AuditFiles.Opened opened : files.newestFirst()) {
      int wanted = count - printed.size();
      if (wanted <= 0 && !opened.current()) {
        break;
      }
      AuditTail.Result tail = AuditTail.last(opened.channel(), wanted, MAX_LINE, this::render);
      if (opened.current()) {
        end = tail.end();
      }
      printed.addAll(0, tail.printed());
    }
    PrintWriter out = spec.commandLine().getOut();
    printed.forEach(out::println);
    out.flush();
    return end;
  }

  /**
   * Appends {@code buffer[from, to)} to the line being read, keeping at most {@code MAX_LINE + 1}
   * bytes (enough to tell that the line is too long). One bulk copy per line, not a call per byte.
   */
  private static void keep(ByteArrayOutputStream partial, byte[] buffer, int from, int to) {
    int room = MAX_LINE + 1 - partial.size();
    if (room > 0 && to > from) {
      partial.write(buffer, from, Math.min(room, to - from));
    }
  }

  private void print(PrintWriter out, String line) {
    render(line.length() > MAX_LINE ? null : line).ifPresent(out::println);
  }

  /** What a line of the log shows (null: a line over {@link #MAX_LINE}); empty: nothing. */
  private Optional<String> render(String line) {
    if (line == null) {
      return Optional.of("(an audit line longer than " + MAX_LINE + " bytes was skipped)");
    }
    if (line.isBlank()) {
      return Optional.empty();
    }
    RequestLogEntry entry;
    try {
      entry = RequestLogEntry.of(AuditEvent.fromJson(line));
    } catch (IllegalArgumentException e) {
      return Optional.of("(unreadable audit line skipped: " + e.getMessage() + ")");
    }
    if (denied && !entry.denied()) {
      return Optional.empty();
    }
    return Optional.of(json ? line : entry.toLine());
  }
}
