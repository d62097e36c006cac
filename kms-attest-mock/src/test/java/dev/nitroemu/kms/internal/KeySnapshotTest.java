package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nitroemu.enclave.AtomicFiles;
import dev.nitroemu.enclave.MutableTestClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot a clean close writes ({@link KeySnapshot}) and what an open does with it. */
class KeySnapshotTest {
  private final MutableTestClock clock =
      new MutableTestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));

  @TempDir Path dir;

  @Test
  void aCleanCloseWritesASnapshotThatRestoresEveryKeyExactly() throws IOException {
    Map<String, String> before = createKeysOfEveryKind(dir);
    assertThat(dir.resolve(KeySnapshot.FILE_NAME)).isRegularFile();

    try (KeyStore reopened = KeyStore.open(dir)) {
      // Read and deleted before any change can be made.
      assertThat(dir.resolve(KeySnapshot.FILE_NAME)).doesNotExist();
      assertThat(stateOf(reopened)).isEqualTo(before);
      KmsTestBed bed = KmsTestBed.over(reopened, clock);
      for (String keyId : before.keySet()) {
        JsonNode metadata = bed.call("DescribeKey", keyJson(keyId)).response();
        assertThat(metadata.get("KeyMetadata").get("KeyId").textValue()).isEqualTo(keyId);
      }
    }
    // The snapshot of the reopened store's close is the same state again.
    try (KeyStore third = KeyStore.open(dir)) {
      assertThat(stateOf(third)).isEqualTo(before);
    }
  }

  @Test
  void theSnapshotIsWhatIsReadWhileTheKeyFilesAreAsItRecorded() throws IOException {
    String keyId;
    try (KeyStore store = KeyStore.open(dir)) {
      KmsTestBed bed = KmsTestBed.over(store, clock);
      keyId = bed.createKey("{\"Description\": \"aaaa\"}").get("KeyId").textValue();
    }
    // An edit of the same size under the same modification time is invisible to the check: the
    // key read back is the snapshot's, which shows that the snapshot, not the file, was read.
    Path file = dir.resolve("keys").resolve(keyId + ".json");
    FileTime modified = Files.getLastModifiedTime(file);
    Files.writeString(file, Files.readString(file).replace("\"aaaa\"", "\"bbbb\""));
    Files.setLastModifiedTime(file, modified);

    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.find(keyId, clock.instant()).description()).isEqualTo("aaaa");
    }
  }

  @Test
  void aKeyFileChangedAfterTheCleanCloseWinsOverTheSnapshot() throws IOException {
    String keyId;
    try (KeyStore store = KeyStore.open(dir)) {
      keyId = KmsTestBed.over(store, clock).symmetricKey();
    }
    Path file = dir.resolve("keys").resolve(keyId + ".json");
    String text = Files.readString(file);
    String edited = text.replace("\"description\" : \"\"", "\"description\" : \"edited\"");
    assertThat(edited).isNotEqualTo(text);
    Files.writeString(file, edited);

    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.find(keyId, clock.instant()).description()).isEqualTo("edited");
    }
  }

  @Test
  void changesAfterASnapshotWasReadSurviveACrash() throws IOException {
    Map<String, String> before = createKeysOfEveryKind(dir);
    Path crashed = dir.resolveSibling(dir.getFileName() + "-crashed");
    String added;
    String changed;
    try (KeyStore reopened = KeyStore.open(dir)) {
      // An enabled key (the one described "tagged"): the first by id could be the one pending
      // deletion, whose description cannot change.
      changed =
          before.keySet().stream()
              .filter(id -> "tagged".equals(reopened.find(id, clock.instant()).description()))
              .findFirst()
              .orElseThrow();
      KmsTestBed bed = KmsTestBed.over(reopened, clock);
      added = bed.symmetricKey();
      bed.call(
          "UpdateKeyDescription", "{\"KeyId\": \"" + changed + "\", \"Description\": \"new\"}");
      // What a crash leaves: every acknowledged write on disk, and no close.
      copyState(dir, crashed);
    }
    assertThat(crashed.resolve(KeySnapshot.FILE_NAME)).doesNotExist();

    try (KeyStore afterCrash = KeyStore.open(crashed)) {
      Map<String, String> state = stateOf(afterCrash);
      assertThat(state).containsKeys(added).hasSize(before.size() + 1);
      assertThat(afterCrash.find(changed, clock.instant()).description()).isEqualTo("new");
    } finally {
      deleteTree(crashed);
    }
  }

  @Test
  void aTruncatedSnapshotIsIgnoredAndTheKeyFilesRead() throws IOException {
    Map<String, String> before = createKeysOfEveryKind(dir);
    Path snapshot = dir.resolve(KeySnapshot.FILE_NAME);
    byte[] bytes = Files.readAllBytes(snapshot);
    Files.write(snapshot, Arrays.copyOf(bytes, bytes.length - 100));

    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(stateOf(reopened)).isEqualTo(before);
      assertThat(snapshot).doesNotExist();
    }
  }

  @Test
  void aSnapshotWithADamagedByteOrHeaderIsIgnoredAndTheKeyFilesRead() throws IOException {
    Map<String, String> before = createKeysOfEveryKind(dir);
    Path snapshot = dir.resolve(KeySnapshot.FILE_NAME);
    byte[] good = Files.readAllBytes(snapshot);
    for (int position : new int[] {0, 25, good.length / 2, good.length - 1}) {
      byte[] bad = good.clone();
      bad[position] ^= 0x40;
      Files.write(snapshot, bad);
      try (KeyStore reopened = KeyStore.open(dir)) {
        assertThat(stateOf(reopened)).as("byte %d damaged", position).isEqualTo(before);
      }
      assertThat(snapshot).isRegularFile(); // the close wrote a good one again
    }
    Files.writeString(snapshot, "not a snapshot");
    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(stateOf(reopened)).isEqualTo(before);
    }
  }

  @Test
  void aSnapshotLeftHalfWrittenByACrashIsRemoved() throws IOException {
    Map<String, String> before = createKeysOfEveryKind(dir);
    Path partial =
        dir.resolve(
            "." + KeySnapshot.FILE_NAME + ".0011223344556677" + AtomicFiles.TEMPORARY_SUFFIX);
    Files.writeString(partial, "nitro-emu KMS snap");

    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(stateOf(reopened)).isEqualTo(before);
    }
    assertThat(partial).doesNotExist();
  }

  @Test
  void aStoreWithoutKeysRoundTrips() throws IOException {
    KeyStore.open(dir).close();
    assertThat(dir.resolve(KeySnapshot.FILE_NAME)).isRegularFile();
    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.keys(KmsTestBed.ACCOUNT, clock.instant())).isEmpty();
    }
  }

  /**
   * Creates keys of every kind the state directory keeps in a store over {@code directory}, closes
   * it cleanly, and returns each key's state-file JSON by key id.
   */
  private Map<String, String> createKeysOfEveryKind(Path directory) throws IOException {
    try (KeyStore store = KeyStore.open(directory)) {
      KmsTestBed bed = KmsTestBed.over(store, clock);
      String tagged =
          bed.createKey(
                  "{\"Description\": \"tagged\", \"Tags\": [{\"TagKey\": \"team\", \"TagValue\":"
                      + " \"kms\"}, {\"TagKey\": \"env\", \"TagValue\": \"\"}]}")
              .get("KeyId")
              .textValue();
      String rotated = bed.symmetricKey();
      bed.call(
          "EnableKeyRotation", "{\"KeyId\": \"" + rotated + "\", \"RotationPeriodInDays\": 90}");
      bed.call("RotateKeyOnDemand", keyJson(rotated));
      String rsa =
          keyId(bed.createKey("{\"KeySpec\": \"RSA_2048\", \"KeyUsage\": \"SIGN_VERIFY\"}"));
      keyId(bed.createKey("{\"KeySpec\": \"ECC_NIST_P256\", \"KeyUsage\": \"SIGN_VERIFY\"}"));
      keyId(bed.createKey("{\"KeySpec\": \"HMAC_256\", \"KeyUsage\": \"GENERATE_VERIFY_MAC\"}"));
      String external = keyId(bed.createKey("{\"Origin\": \"EXTERNAL\"}"));
      bed.call(
          "GetParametersForImport",
          "{\"KeyId\": \""
              + external
              + "\", \"WrappingAlgorithm\": \"RSAES_OAEP_SHA_256\", \"WrappingKeySpec\":"
              + " \"RSA_2048\"}");
      keyId(bed.createKey("{\"MultiRegion\": true, \"Description\": \"mrk\"}"));
      String doomed = bed.symmetricKey();
      bed.call(
          "ScheduleKeyDeletion", "{\"KeyId\": \"" + doomed + "\", \"PendingWindowInDays\": 7}");
      String disabled = bed.symmetricKey();
      bed.call("DisableKey", keyJson(disabled));
      String policy =
          KeyPolicy.defaultPolicyJson(KmsTestBed.ACCOUNT).replace("key-default-1", "custom");
      bed.call(
          "PutKeyPolicy",
          "{\"KeyId\": \""
              + rsa
              + "\", \"PolicyName\": \"default\", \"Policy\": "
              + KmsTestBed.JSON.writeValueAsString(policy)
              + "}");
      bed.call(
          "CreateAlias", "{\"AliasName\": \"alias/tagged\", \"TargetKeyId\": \"" + tagged + "\"}");
      return stateOf(store);
    }
  }

  /** Every key's state-file JSON (all its fields, material included), by key id. */
  private Map<String, String> stateOf(KeyStore store) {
    Map<String, String> state = new LinkedHashMap<>();
    for (KmsKey key : store.keys(KmsTestBed.ACCOUNT, clock.instant())) {
      state.put(key.keyId(), StateCodec.encodeKey(key).toString());
    }
    return state;
  }

  private static String keyId(JsonNode metadata) {
    return metadata.get("KeyId").textValue();
  }

  private static String keyJson(String keyId) {
    return "{\"KeyId\": \"" + keyId + "\"}";
  }

  private static void copyState(Path from, Path to) throws IOException {
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(from)) {
      paths = new ArrayList<>(walk.toList());
    }
    for (Path path : paths) {
      Path target = to.resolve(from.relativize(path).toString());
      if (Files.isDirectory(path)) {
        Files.createDirectories(target);
      } else if (!path.getFileName().toString().endsWith(".lock")) {
        Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }

  private static void deleteTree(Path directory) throws IOException {
    try (Stream<Path> walk = Files.walk(directory)) {
      for (Path path : walk.sorted((a, b) -> b.compareTo(a)).toList()) {
        Files.delete(path);
      }
    }
  }
}
