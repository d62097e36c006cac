package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.kms.internal.AuditEventBuilder;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  private static final Instant TIME = Instant.parse("2026-03-01T12:00:00Z");
  private static final String KEY_ARN =
      "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab";

  @TempDir Path dir;

  private static AuditEvent event(String requestId) {
    return new AuditEventBuilder()
        .identity(
            new AuditEvent.UserIdentity(
                "Root", "000000000000", "arn:aws:iam::000000000000:root", "000000000000", "test"))
        .eventTime(TIME)
        .eventName("Decrypt")
        .awsRegion("us-east-1")
        .requestParameters(new ObjectMapper().createObjectNode().put("keyId", KEY_ARN))
        .requestId(requestId)
        .readOnly(true)
        .resources(List.of(KEY_ARN))
        .recipientAccountId("000000000000")
        .build();
  }

  @Test
  void inMemoryLogKeepsEventsInOrder() {
    AuditLog log = AuditLog.inMemory();
    log.record(event("r1"));
    log.record(event("r2"));

    assertThat(log.events()).extracting(AuditEvent::requestId).containsExactly("r1", "r2");
    assertThat(log.size()).isEqualTo(2);
    assertThat(log.file()).isNull();
  }

  @Test
  void aLogsEventsShareRepeatingStringsButNotWithOtherLogs() {
    AuditLog log = AuditLog.inMemory();
    AuditLog other = AuditLog.inMemory();
    log.record(event("r1"));
    log.record(event("r2"));
    other.record(event("r3"));

    List<AuditEvent> events = log.events();
    assertThat(events.get(1).requestParametersJson())
        .isSameAs(events.get(0).requestParametersJson());
    assertThat(events.get(1).userIdentity()).isSameAs(events.get(0).userIdentity());
    assertThat(events.get(1).resources()).isSameAs(events.get(0).resources());
    assertThat(other.events().get(0).requestParametersJson())
        .isNotSameAs(events.get(0).requestParametersJson());
  }

  @Test
  void eventsIsAnImmutableSnapshot() {
    AuditLog log = AuditLog.inMemory();
    log.record(event("r1"));
    List<AuditEvent> snapshot = log.events();

    log.record(event("r2"));

    assertThat(snapshot).hasSize(1);
    assertThatThrownBy(() -> snapshot.add(event("r3")))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void memoryKeepsOnlyTheNewestEvents() {
    AuditLog log = AuditLog.inMemory();
    for (int i = 0; i < AuditLog.MAX_EVENTS + 2; i++) {
      log.record(event("e" + i));
    }

    assertThat(log.size()).isEqualTo(AuditLog.MAX_EVENTS);
    assertThat(log.recordedCount()).isEqualTo(AuditLog.MAX_EVENTS + 2L);
    List<AuditEvent> events = log.events();
    assertThat(events.get(0).requestId()).isEqualTo("e2");
    assertThat(events.get(events.size() - 1).requestId())
        .isEqualTo("e" + (AuditLog.MAX_EVENTS + 1));
  }

  @Test
  void clearForgetsMemoryButNotTheFile() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.toFile(file)) {
      log.record(event("r1"));
      log.clear();

      assertThat(log.size()).isZero();
      assertThat(log.recordedCount()).isEqualTo(1);
      assertThat(Files.readAllLines(file)).hasSize(1);
    }
  }

  @Test
  void fileLogCreatesParentDirectoriesAndWritesOneLinePerEventBeforeRecordReturns()
      throws Exception {
    Path file = dir.resolve("nested/deeper/audit.jsonl");
    try (AuditLog log = AuditLog.toFile(file)) {
      AuditEvent first = event("r1");
      log.record(first);

      // Read while the log is still open: the line is already in the file.
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      assertThat(lines).containsExactly(first.toJson());
      assertThat(AuditEvent.fromJson(lines.get(0))).isEqualTo(first);
      assertThat(log.events()).containsExactly(first);
      assertThat(log.file()).isEqualTo(file);
    }
  }

  @Test
  void fileLogAppendsToExistingLines() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    Files.writeString(file, "{\"earlier\":true}\n");
    try (AuditLog log = AuditLog.toFile(file)) {
      log.record(event("r1"));
    }

    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).isEqualTo("{\"earlier\":true}");
    assertThat(AuditEvent.fromJson(lines.get(1)).requestId()).isEqualTo("r1");
  }

  @Test
  void closeIsIdempotentAndLaterEventsStayInMemoryOnly() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    AuditLog log = AuditLog.toFile(file);
    log.record(event("r1"));
    log.close();
    log.close();

    log.record(event("r2"));

    assertThat(Files.readAllLines(file)).hasSize(1);
    assertThat(log.events()).extracting(AuditEvent::requestId).containsExactly("r1", "r2");
  }

  @Test
  void unwritableLocationFailsAtCreation() throws Exception {
    Path blocker = dir.resolve("blocker");
    Files.writeString(blocker, "a file, not a directory");
    assertThatThrownBy(() -> AuditLog.toFile(blocker.resolve("audit.jsonl")))
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void aPlantedSymbolicLinkIsRefusedAndItsTargetUntouched() throws Exception {
    Path victim = dir.resolve("victim.txt");
    Files.writeString(victim, "precious\n");
    Path audit = dir.resolve("audit.jsonl");
    Files.createSymbolicLink(audit, victim);

    assertThatThrownBy(() -> AuditLog.toFile(audit))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining(audit.toString())
        .hasMessageContaining("symbolic link");
    assertThat(Files.readString(victim)).isEqualTo("precious\n");
  }

  @Test
  void aNewFileIsReadableByItsOwnerOnly() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    try (AuditLog log = AuditLog.toFile(file)) {
      log.record(event("r1"));
    }
    if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
      assertThat(
              java.nio.file.attribute.PosixFilePermissions.toString(
                  Files.getPosixFilePermissions(file)))
          .isEqualTo("rw-------");
    }
  }

  @Test
  @Timeout(60)
  void concurrentRecordsAreAllKeptAndWrittenAsWholeLines() throws Exception {
    Path file = dir.resolve("audit.jsonl");
    int threads = 8;
    int perThread = 500;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (AuditLog log = AuditLog.toFile(file)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(
            pool.submit(
                (Callable<Void>)
                    () -> {
                      start.await();
                      for (int i = 0; i < perThread; i++) {
                        log.record(event("t" + thread + "-" + i));
                      }
                      return null;
                    }));
      }
      start.countDown();
      for (Future<?> future : done) {
        future.get(60, TimeUnit.SECONDS);
      }

      assertThat(log.size()).isEqualTo(threads * perThread);
      List<String> lines = Files.readAllLines(file);
      assertThat(lines).hasSize(threads * perThread);
      List<String> requestIds = new ArrayList<>();
      Set<UUID> eventIds = new HashSet<>();
      for (String line : lines) {
        AuditEvent reread = AuditEvent.fromJson(line);
        requestIds.add(reread.requestId());
        eventIds.add(reread.eventId());
      }
      assertThat(new HashSet<>(requestIds)).hasSize(threads * perThread);
      assertThat(eventIds).hasSize(threads * perThread);
      // The file and memory agree on the order the events were recorded in.
      assertThat(log.events())
          .extracting(AuditEvent::requestId)
          .containsExactlyElementsOf(requestIds);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fromJsonRefusesRecordsWithoutNameOrTime() {
    assertThatThrownBy(() -> AuditEvent.fromJson("{\"eventName\":\"Decrypt\"}"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AuditEvent.fromJson("not json"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> AuditEvent.fromJson("{\"eventName\":\"Decrypt\",\"eventTime\":\"yesterday\"}"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderRequiresNameAndTime() {
    assertThatThrownBy(() -> new AuditEventBuilder().eventName("Decrypt").build())
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new AuditEventBuilder().eventTime(TIME).build())
        .isInstanceOf(NullPointerException.class);
  }
}
