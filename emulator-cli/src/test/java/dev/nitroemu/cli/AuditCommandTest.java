package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.kms.AuditEvent;
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
}
