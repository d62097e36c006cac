package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.kms.internal.AuditEventBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file audit log's rotation by size: boundary, kept files, bounds and failures. */
class AuditLogRotationTest {
  private static final long MIB = 1L << 20;

  @TempDir Path dir;

  /** Events whose JSON lines all have the same length: request ids of a fixed width. */
  private static AuditEvent event(int i) {
    return new AuditEventBuilder()
        .identity(
            new AuditEvent.UserIdentity(
                "Root", "000000000000", "arn:aws:iam::000000000000:root", "000000000000", "test"))
        .eventTime(Instant.parse("2026-03-01T12:00:00Z"))
        .eventName("Decrypt")
        .awsRegion("us-east-1")
        .requestParameters(new ObjectMapper().createObjectNode().put("keyId", "k"))
        .requestId(String.format(Locale.ROOT, "r%08d", i))
        .readOnly(true)
        .resources(List.of("arn:aws:kms:us-east-1:000000000000:key/k"))
        .recipientAccountId("000000000000")
        .build();
  }

  private static int lineLength() {
    return (event(0).toJson() + "\n").getBytes(StandardCharsets.UTF_8).length;
  }

  private static List<String> requestIds(Path file) throws IOException {
    List<String> ids = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      ids.add(AuditEvent.fromJson(line).requestId()); // every line whole: it parses
    }
    return ids;
  }

  private static List<String> ids(int from, int to) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i < to; i++) {
      ids.add(String.format(Locale.ROOT, "r%08d", i));
    }
    return ids;
  }

  @Test
  void rotatesBeforeTheEventThatWouldTakeTheFilePastTheMaximum() throws IOException {
    Path file = dir.resolve("kms-audit.jsonl");
    int perFile = (int) (MIB / lineLength());
    try (AuditLog log = AuditLog.toFile(file, new AuditRotation(MIB, 8))) {
      for (int i = 0; i < perFile; i++) {
        log.record(event(i));
      }
      assertThat(Files.size(file))
          .isEqualTo((long) perFile * lineLength())
          .isLessThanOrEqualTo(MIB);
      assertThat(AuditRotation.rotatedFile(file, 1)).doesNotExist();

      log.record(event(perFile));

      assertThat(requestIds(AuditRotation.rotatedFile(file, 1))).isEqualTo(ids(0, perFile));
      assertThat(requestIds(file)).isEqualTo(ids(perFile, perFile + 1));
      assertThat(log.size()).isEqualTo(perFile + 1);
    }
    if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      assertThat(Files.getPosixFilePermissions(file))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void aServerBuiltWithARotationRotatesFromItsFirstEvent() throws IOException {
    Path file = dir.resolve("kms-audit.jsonl");
    byte[] left = "{}\n".repeat(600_000).getBytes(StandardCharsets.UTF_8); // 1.7 MiB
    Files.write(file, left);
    try (KmsMockServer server =
        KmsMockServer.builder().auditFile(file, new AuditRotation(MIB, 1)).build()) {
      server.start();
      server.auditLog().record(event(0));
    }
    // Past 1 MiB already, so the first event went to a new file (the default, 64 MiB, would not).
    assertThat(AuditRotation.rotatedFile(file, 1)).hasBinaryContent(left);
    assertThat(requestIds(file)).isEqualTo(ids(0, 1));
  }

  @Test
  void keepsTheNewestRotatedFilesInOrderAndDeletesTheOldest() throws IOException {
    Path file = dir.resolve("kms-audit.jsonl");
    int perFile = (int) (MIB / lineLength());
    int total = perFile * 4 + 10; // four rotations
    try (AuditLog log = AuditLog.toFile(file, new AuditRotation(MIB, 2))) {
      for (int i = 0; i < total; i++) {
        log.record(event(i));
      }
    }
    assertThat(AuditRotation.rotatedFile(file, 3)).doesNotExist();
    List<String> kept = new ArrayList<>(requestIds(AuditRotation.rotatedFile(file, 2)));
    kept.addAll(requestIds(AuditRotation.rotatedFile(file, 1)));
    kept.addAll(requestIds(file));
    assertThat(kept).isEqualTo(ids(total - 2 * perFile - 10, total));
  }

  @Test
  void keepingNoFileStartsTheLogAfreshAndALargerFileLeftBeforeRotatesFirst() throws IOException {
    Path file = dir.resolve("kms-audit.jsonl");
    Files.write(file, new byte[(int) (2 * MIB)]); // e.g. left by a version without rotation
    try (AuditLog log = AuditLog.toFile(file, new AuditRotation(MIB, 0))) {
      log.record(event(1));
    }
    assertThat(requestIds(file)).containsExactly("r00000001");
    assertThat(AuditRotation.rotatedFile(file, 1)).doesNotExist();
  }

  @Test
  void aRotationThatFailsKeepsEveryEventAndIsRetriedLater() throws IOException {
    Path file = dir.resolve("kms-audit.jsonl");
    Path obstacle = AuditRotation.rotatedFile(file, 1);
    Files.createDirectories(obstacle);
    Files.writeString(obstacle.resolve("inside"), "a non-empty directory cannot be replaced");
    int perFile = (int) (MIB / lineLength());
    try (AuditLog log = AuditLog.toFile(file, new AuditRotation(MIB, 1))) {
      for (int i = 0; i < perFile + 5; i++) {
        log.record(event(i));
      }
      assertThat(requestIds(file)).isEqualTo(ids(0, perFile + 5));
      assertThat(log.size()).isEqualTo(perFile + 5);

      Files.delete(obstacle.resolve("inside"));
      Files.delete(obstacle);
      int total = 3 * perFile;
      for (int i = perFile + 5; i < total; i++) {
        log.record(event(i));
      }
      List<String> all = new ArrayList<>(requestIds(AuditRotation.rotatedFile(file, 1)));
      assertThat(all.size()).isGreaterThan(perFile); // the rotated file kept what the failure left
      all.addAll(requestIds(file));
      assertThat(all).isEqualTo(ids(0, total));
    }
  }

  @Test
  void aNewRotationAppliesFromTheNextEvent() throws IOException {
    Path file = dir.resolve("kms-audit.jsonl");
    int perFile = (int) (MIB / lineLength());
    try (AuditLog log = AuditLog.toFile(file)) {
      for (int i = 0; i < perFile + 1; i++) {
        log.record(event(i));
      }
      assertThat(AuditRotation.rotatedFile(file, 1)).doesNotExist(); // 64 MiB by default
      log.rotation(new AuditRotation(MIB, 3));
      log.record(event(perFile + 1));
      assertThat(requestIds(AuditRotation.rotatedFile(file, 1))).isEqualTo(ids(0, perFile + 1));
    }
    AuditLog.inMemory().rotation(AuditRotation.DEFAULT); // nothing to rotate
  }

  @Test
  void boundsOutOfRangeAreRejectedNamingTheSetting() {
    assertThatThrownBy(() -> new AuditRotation(MIB - 1, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxBytes must be 1 MiB");
    assertThatThrownBy(() -> new AuditRotation((1L << 40) + 1, 8))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("maxBytes ");
    assertThatThrownBy(() -> new AuditRotation(MIB, -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("keep must be 0 to 100 rotated files, was -1");
    assertThatThrownBy(() -> new AuditRotation(MIB, 101))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("keep ");
    assertThatThrownBy(() -> AuditRotation.requireValidKeep(101, "--audit-keep"))
        .hasMessageStartingWith("--audit-keep must be 0 to 100");
    assertThat(new AuditRotation(MIB, 0).keep()).isZero();
    assertThat(AuditRotation.DEFAULT).isEqualTo(new AuditRotation(64 * MIB, 8));
    assertThat(AuditRotation.rotatedFile(Path.of("s", "kms-audit.jsonl"), 8))
        .isEqualTo(Path.of("s", "kms-audit.jsonl.8"));
    assertThatThrownBy(() -> AuditRotation.rotatedFile(Path.of("a"), 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
