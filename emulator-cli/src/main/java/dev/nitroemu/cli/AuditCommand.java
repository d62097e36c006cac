package dev.nitroemu.cli;

import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.RequestLogEntry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
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
          + "call (no plaintext, key material or secrets). A denied call's line says why: the key policy "
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
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
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
    long position = last == null ? 0 : printLast(file, last);
    ByteArrayOutputStream partial = new ByteArrayOutputStream();
    while (true) {
      position = printFrom(file, position, partial);
      if (!follow
          || stack.isEmpty()
          || !ProcessHandle.of(stack.get().owner().pid())
              .map(ProcessHandle::isAlive)
              .orElse(false)) {
        return;
      }
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Prints the complete lines after {@code position}; returns the position after the last one. */
  private long printFrom(Path file, long position, ByteArrayOutputStream partial) {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return position;
    }
    PrintWriter out = spec.commandLine().getOut();
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      long size = Files.size(file);
      if (size < position) {
        position = 0; // A new stack started the log afresh (--ephemeral).
        partial.reset();
      }
      in.skipNBytes(position);
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
    } catch (IOException e) {
      throw new CliFailure("cannot read the audit log " + file + ": " + e.getMessage());
    }
    out.flush();
    return position;
  }

  /** Prints the last {@code count} calls shown; returns the position after the last whole line. */
  private long printLast(Path file, int count) {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    PrintWriter out = spec.commandLine().getOut();
    try {
      AuditTail.Result tail = AuditTail.last(file, count, MAX_LINE, this::render);
      tail.printed().forEach(out::println);
      out.flush();
      return tail.end();
    } catch (IOException e) {
      throw new CliFailure("cannot read the audit log " + file + ": " + e.getMessage());
    }
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
