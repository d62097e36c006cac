package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.AuditEvent;
import dev.nitroemu.kms.AuditLog;
import dev.nitroemu.kms.AuditRotation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code nitro-emu audit} reading a log the stack left: line splitting, limits, filters. */
class AuditCommandTest {
  @TempDir Path dir;

  private record Run(int exitCode, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  private static AuditEvent event(int i) {
    boolean denied = i % 7 == 3;
    return new AuditEvent(
        AuditEvent.EVENT_VERSION,
        new AuditEvent.UserIdentity(
            "Root", "000000000000", "arn:aws:iam::000000000000:root", "000000000000", "test"),
        Instant.parse("2026-12-06T12:00:00Z").plusSeconds(i),
        i % 2 == 0 ? "Decrypt" : "Encrypt",
        "us-east-1",
        "127.0.0.1",
        "aws-sdk-java/2",
        denied ? "AccessDeniedException" : null,
        denied ? "denied by the key policy" : null,
        // Lines of varying length (about 0.1 to 1.4 KB), so many cross the reader's 64 KiB buffer.
        "{\"encryptionContext\":{\"pad\":\"" + "p".repeat((i * 37) % 1300) + "\"}}",
        null,
        null,
        "request-" + i,
        new UUID(42, i),
        false,
        List.of("arn:aws:kms:us-east-1:000000000000:key/k" + i),
        "000000000000");
  }

  @Test
  void everyLineIsPrintedAsStoredAcrossBufferBoundariesAndBadLinesAreSkippedWithANote()
      throws IOException {
    Path state = dir.resolve("state");
    Files.createDirectories(state);
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    for (int i = 0; i < 400; i++) {
      String line = event(i).toJson();
      lines.add(line);
      log.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    log.writeBytes(
        ("x".repeat(AuditCommand.MAX_LINE + 10) + "\n").getBytes(StandardCharsets.UTF_8));
    log.writeBytes("not json\n".getBytes(StandardCharsets.UTF_8));
    String last = event(400).toJson();
    lines.add(last);
    log.writeBytes((last + "\n").getBytes(StandardCharsets.UTF_8));
    log.writeBytes("{\"eventName\":\"Decr".getBytes(StandardCharsets.UTF_8)); // being written
    Files.write(state.resolve("kms-audit.jsonl"), log.toByteArray());

    Run json = run("audit", "--state-dir", state.toString(), "--json");
    assertThat(json.exitCode()).as(json.err()).isZero();
    assertThat(json.err()).contains("no stack is running");
    List<String> printed = json.out().lines().toList();
    assertThat(printed.stream().filter(l -> l.startsWith("{")).toList()).isEqualTo(lines);
    assertThat(printed)
        .contains("(an audit line longer than " + AuditCommand.MAX_LINE + " bytes was skipped)")
        .anyMatch(l -> l.startsWith("(unreadable audit line skipped: "))
        .hasSize(lines.size() + 2);

    for (int n : new int[] {0, 1, 3, 5, 150, 10_000}) {
      Run tail = run("audit", "--state-dir", state.toString(), "--json", "--last", "" + n);
      assertThat(tail.exitCode()).as(tail.err()).isZero();
      assertThat(tail.out().lines().toList())
          .as("--last %d reads backwards to the same lines", n)
          .isEqualTo(printed.subList(Math.max(0, printed.size() - n), printed.size()));
    }
    assertThat(run("audit", "--state-dir", state.toString(), "--last", "-1").exitCode())
        .isEqualTo(2);
    Run tooMany =
        run("audit", "--state-dir", state.toString(), "--last", "" + (AuditCommand.MAX_LAST + 1));
    assertThat(tooMany.exitCode()).isEqualTo(2);
    assertThat(tooMany.err()).contains("--last must be 0 to 100000").doesNotContain("Exception");

    Run denied = run("audit", "--state-dir", state.toString(), "--denied");
    assertThat(denied.exitCode()).as(denied.err()).isZero();
    long deniedEvents = lines.stream().filter(l -> l.contains("AccessDeniedException")).count();
    assertThat(denied.out().lines().filter(l -> l.contains(" Decrypt ") || l.contains(" Encrypt ")))
        .hasSize((int) deniedEvents)
        .allMatch(l -> l.contains("denied"));
    List<String> allDenied = denied.out().lines().filter(l -> !l.startsWith("nitro-emu:")).toList();
    Run lastDenied = run("audit", "--state-dir", state.toString(), "--denied", "--last", "4");
    assertThat(lastDenied.out().lines().filter(l -> !l.startsWith("nitro-emu:")).toList())
        .isEqualTo(allDenied.subList(allDenied.size() - 4, allDenied.size()));
  }

  /** Writes {@code count} events through a file audit log rotated as {@code rotation}. */
  private static void write(Path state, AuditRotation rotation, int count) throws IOException {
    Files.createDirectories(state);
    try (AuditLog log = AuditLog.toFile(state.resolve("kms-audit.jsonl"), rotation)) {
      for (int i = 0; i < count; i++) {
        log.record(event(i));
      }
    }
  }

  private List<String> printed(Path state, String... options) {
    List<String> args = new ArrayList<>(List.of("audit", "--state-dir", state.toString()));
    args.addAll(List.of(options));
    Run run = run(args.toArray(String[]::new));
    assertThat(run.exitCode()).as(run.err()).isZero();
    return run.out().lines().toList();
  }

  @Test
  void rotatedFilesAreReadOldestFirstAsIfTheLogWereOneFile() throws IOException {
    Path rotated = dir.resolve("rotated");
    Path single = dir.resolve("single");
    int count = 4000; // about 2.9 MiB: three rotated files of 1 MiB and the current one
    write(rotated, new AuditRotation(1 << 20, 10), count);
    write(single, new AuditRotation(AuditRotation.MAX_MAX_BYTES, 10), count);
    Path file = rotated.resolve("kms-audit.jsonl");
    assertThat(AuditRotation.rotatedFile(file, 2)).exists();
    assertThat(AuditRotation.rotatedFile(single.resolve("kms-audit.jsonl"), 1)).doesNotExist();
    int inCurrent = Files.readAllLines(file).size();
    int inFirst = Files.readAllLines(AuditRotation.rotatedFile(file, 1)).size();

    for (String[] options : new String[][] {{"--json"}, {}, {"--denied"}, {"--denied", "--json"}}) {
      List<String> whole = printed(single, options);
      assertThat(whole).hasSizeGreaterThan(100);
      assertThat(printed(rotated, options)).as("%s", List.of(options)).isEqualTo(whole);
      for (int n : new int[] {0, 1, inCurrent, inCurrent + 1, inCurrent + inFirst + 3, count + 5}) {
        List<String> options2 = new ArrayList<>(List.of(options));
        options2.addAll(List.of("--last", "" + n));
        assertThat(printed(rotated, options2.toArray(String[]::new)))
            .as("%s across files", options2)
            .isEqualTo(whole.subList(Math.max(0, whole.size() - n), whole.size()));
      }
    }
  }

  @Test
  void onlyTheKeptFilesAreReadAndRotatedFilesAloneAreReadToo() throws IOException {
    Path state = dir.resolve("state");
    write(state, new AuditRotation(1 << 20, 1), 4000);
    Path file = state.resolve("kms-audit.jsonl");
    List<String> expected = new ArrayList<>(Files.readAllLines(AuditRotation.rotatedFile(file, 1)));
    expected.addAll(Files.readAllLines(file));
    assertThat(AuditRotation.rotatedFile(file, 2)).doesNotExist();
    assertThat(printed(state, "--json")).isEqualTo(expected);

    Files.delete(file); // the moment between a rotation's rename and the new file
    List<String> first = Files.readAllLines(AuditRotation.rotatedFile(file, 1));
    assertThat(printed(state, "--json")).isEqualTo(first);
    assertThat(printed(state, "--json", "--last", "2"))
        .isEqualTo(first.subList(first.size() - 2, first.size()));
  }

  @Test
  void aFileSeenUnderTwoNamesIsReadOnce() throws IOException {
    // What a reader sees when the stack renames the current file to .1 between two opens: the same
    // file (device and inode) under both names. A hard link makes that state without timing.
    Path state = dir.resolve("state");
    write(state, new AuditRotation(1 << 20, 3), 100);
    Path file = state.resolve("kms-audit.jsonl");
    List<String> lines = Files.readAllLines(file);
    Files.createLink(AuditRotation.rotatedFile(file, 1), file);
    assertThat(printed(state, "--json")).isEqualTo(lines);
    assertThat(printed(state, "--json", "--last", "150")).isEqualTo(lines);
  }

  @Test
  void startRejectsAuditRotationSettingsOutOfRangeNamingTheOption() {
    Path state = dir.resolve("never-started");
    for (String[] options :
        new String[][] {
          {"--audit-max-size", "1023k"},
          {"--audit-max-size", "2000g"},
          {"--audit-max-size", "64x"},
          {"--audit-max-size", "-5m"},
          {"--audit-keep", "101"},
          {"--audit-keep", "-1"}
        }) {
      List<String> args = new ArrayList<>(List.of("start", "--state-dir", state.toString()));
      args.addAll(List.of(options));
      Run start = run(args.toArray(String[]::new));
      assertThat(start.exitCode()).as("%s: %s", List.of(options), start.err()).isEqualTo(2);
      assertThat(start.err()).contains(options[0]).doesNotContain("Exception");
    }
    assertThat(state).doesNotExist();
  }
}
