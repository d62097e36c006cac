package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class KeyStoreTest {
  private static final String ACCOUNT = "111122223333";
  private static final SecureRandom RANDOM = new SecureRandom();
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);

  @TempDir Path dir;

  @Test
  void keysAreFoundByIdAndListedPerAccountInIdOrder() {
    KeyStore store = KeyStore.inMemory();
    KmsKey first = symmetricKey(ACCOUNT);
    KmsKey second = symmetricKey(ACCOUNT);
    KmsKey foreign = symmetricKey("444455556666");
    store.add(first);
    store.add(second);
    store.add(foreign);

    assertThat(store.find(first.keyId(), now)).isSameAs(first);
    assertThat(store.find(UUID.randomUUID().toString(), now)).isNull();
    assertThat(store.keys(ACCOUNT, now))
        .extracting(KmsKey::keyId)
        .containsExactlyElementsOf(Stream.of(first.keyId(), second.keyId()).sorted().toList());
    assertThat(store.persistent()).isFalse();
  }

  @Test
  void aChangeThatThrowsLeavesTheKeyAsItWas() {
    KeyStore store = KeyStore.inMemory();
    KmsKey key = symmetricKey(ACCOUNT);
    store.add(key);

    assertThatThrownBy(
            () ->
                store.update(
                    key.keyId(),
                    now,
                    k -> {
                      throw new KmsError("KMSInvalidStateException", "no");
                    }))
        .isInstanceOf(KmsError.class);
    KmsKey disabled =
        store.update(key.keyId(), now, k -> k.withState(KeyState.DISABLED, null, null));

    assertThat(disabled.state()).isEqualTo(KeyState.DISABLED);
    assertThat(store.find(key.keyId(), now)).isSameAs(disabled);
    assertThat(store.update(UUID.randomUUID().toString(), now, k -> k)).isNull();
  }

  @Test
  void keysAliasesPoliciesAndStatesSurviveReopeningTheDirectory() throws IOException {
    KmsKey symmetric = symmetricKey(ACCOUNT);
    KmsKey rsa = rsaKey(ACCOUNT);
    byte[] blob =
        CiphertextBlob.encrypt(
            symmetric.keyId(), symmetric.currentMaterial(), new byte[] {1, 2, 3}, Map.of(), RANDOM);
    String policy = KeyPolicy.defaultPolicyJson(ACCOUNT).replace("key-default-1", "changed");
    Instant deletion = now.plus(Duration.ofDays(9));
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(symmetric);
      store.add(rsa);
      store.update(symmetric.keyId(), now, k -> k.withPolicy(policy, KeyPolicy.parse(policy)));
      store.update(rsa.keyId(), now, k -> k.withState(KeyState.PENDING_DELETION, deletion, 9));
      assertThat(store.addAlias(new KmsAlias(ACCOUNT, "alias/app", symmetric.keyId(), now, now)))
          .isTrue();
      assertThat(store.persistent()).isTrue();
    }

    try (KeyStore reopened = KeyStore.open(dir)) {
      KmsKey back = reopened.find(symmetric.keyId(), now);
      assertThat(back.policyJson()).isEqualTo(policy);
      assertThat(back.creationDate()).isEqualTo(symmetric.creationDate());
      assertThat(back.keyMaterialId()).isEqualTo(symmetric.keyMaterialId());
      assertThat(CiphertextBlob.parse(blob).decrypt(back.secretKey(), Map.of()))
          .containsExactly(1, 2, 3);
      KmsKey rsaBack = reopened.find(rsa.keyId(), now);
      assertThat(rsaBack.state()).isEqualTo(KeyState.PENDING_DELETION);
      assertThat(rsaBack.deletionDate()).isEqualTo(deletion);
      assertThat(rsaBack.pendingWindowInDays()).isEqualTo(9);
      assertThat(rsaBack.privateKey().getEncoded()).isEqualTo(rsa.privateKey().getEncoded());
      assertThat(rsaBack.publicKeyDer()).isEqualTo(rsa.publicKeyDer());
      KmsAlias alias = reopened.alias(ACCOUNT, "alias/app", now);
      assertThat(alias.targetKeyId()).isEqualTo(symmetric.keyId());
      assertThat(alias.creationDate()).isEqualTo(now);
    }
  }

  @Test
  void aRemovedAliasStaysRemovedAfterReopening() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
      store.addAlias(new KmsAlias(ACCOUNT, "alias/gone", key.keyId(), now, now));
      store.addAlias(new KmsAlias(ACCOUNT, "alias/kept", key.keyId(), now, now));
      assertThat(store.removeAlias(ACCOUNT, "alias/gone")).isTrue();
      assertThat(store.removeAlias(ACCOUNT, "alias/gone")).isFalse();
    }
    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.aliases(ACCOUNT, now))
          .extracting(KmsAlias::aliasName)
          .containsExactly("alias/kept");
    }
  }

  @Test
  void aCorruptKeyFileIsReportedByNameAtOpen() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
    }
    Path file = dir.resolve("keys").resolve(key.keyId() + ".json");
    Files.writeString(file, "{\"format\": 1, \"keyId\": ");

    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("Corrupt");
  }

  @Test
  void damagedKeyMaterialIsReportedAtOpenNotAtFirstUse() throws IOException {
    KmsKey key = rsaKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
    }
    Path file = dir.resolve("keys").resolve(key.keyId() + ".json");
    String text = Files.readString(file);
    String secret =
        KmsTestBed.JSON.readTree(text).get("materials").get(0).get("secret").textValue();
    Files.writeString(file, text.replace(secret, KmsTestBed.b64(new byte[] {1, 2, 3})));

    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void aKeyFileUnderAnotherNameIsCorrupt() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
    }
    Path keys = dir.resolve("keys");
    Path renamed = keys.resolve(UUID.randomUUID() + ".json");
    Files.move(keys.resolve(key.keyId() + ".json"), renamed);

    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(renamed.toString());
  }

  @Test
  void aWriteInterruptedBeforeItsRenameLosesNothingAcknowledged() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
    }
    Path keys = dir.resolve("keys");
    // What AtomicFiles leaves when the process dies between writing its temporary file and renaming
    // it.
    Path partial =
        keys.resolve("." + key.keyId() + ".json.0011223344556677" + AtomicFiles.TEMPORARY_SUFFIX);
    Files.writeString(partial, "{\"format\": 1, \"keyS");

    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.find(key.keyId(), now).keyMaterialId()).isEqualTo(key.keyMaterialId());
    }
    assertThat(partial).doesNotExist();
  }

  @Test
  void aDirectoryServesOneStoreAtATime() throws IOException {
    try (KeyStore store = KeyStore.open(dir)) {
      assertThatThrownBy(() -> KeyStore.open(dir))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("in use");
    }
    try (KeyStore again = KeyStore.open(dir)) {
      assertThat(again.keys(ACCOUNT, now)).isEmpty();
    }
  }

  @Test
  void aKeyPastItsDeletionDateIsDeletedWithItsAliasesAndFiles() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
      store.addAlias(new KmsAlias(ACCOUNT, "alias/doomed", key.keyId(), now, now));
      store.update(
          key.keyId(),
          now,
          k -> k.withState(KeyState.PENDING_DELETION, now.plus(Duration.ofDays(7)), 7));
      Instant before = now.plus(Duration.ofDays(7)).minusMillis(1);
      assertThat(store.find(key.keyId(), before)).isNotNull();
      assertThat(store.alias(ACCOUNT, "alias/doomed", before)).isNotNull();

      Instant after = now.plus(Duration.ofDays(7));
      assertThat(store.alias(ACCOUNT, "alias/doomed", after)).isNull();
      assertThat(store.find(key.keyId(), after)).isNull();
      assertThat(store.keys(ACCOUNT, after)).isEmpty();
      assertThat(store.aliases(ACCOUNT, after)).isEmpty();
    }
    try (Stream<Path> keys = Files.list(dir.resolve("keys"));
        Stream<Path> aliases = Files.list(dir.resolve("aliases"))) {
      assertThat(keys).isEmpty();
      assertThat(aliases).isEmpty();
    }
  }

  @Test
  void anAliasWhoseKeyFileIsGoneStopsTheOpenNamingTheFileAndIsKept() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
      store.addAlias(new KmsAlias(ACCOUNT, "alias/orphan", key.keyId(), now, now));
    }
    Path keyFile = dir.resolve("keys").resolve(key.keyId() + ".json");
    Files.delete(keyFile);

    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("alias/orphan")
        .hasMessageContaining(keyFile.toString())
        .hasMessageContaining("missing");
    try (Stream<Path> aliases = Files.list(dir.resolve("aliases"))) {
      assertThat(aliases).hasSize(1);
    }
    // The lock was released: the directory opens again once the alias file is dealt with.
    try (Stream<Path> aliases = Files.list(dir.resolve("aliases"))) {
      for (Path alias : aliases.toList()) {
        Files.delete(alias);
      }
    }
    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.aliases(ACCOUNT, now)).isEmpty();
    }
  }

  @Test
  void aSymbolicLinkInPlaceOfAKeyFileIsRefusedNotFollowed() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
    }
    Path keyFile = dir.resolve("keys").resolve(key.keyId() + ".json");
    Path elsewhere = Files.move(keyFile, dir.resolveSibling(dir.getFileName() + "-outside.json"));
    Files.createSymbolicLink(keyFile, elsewhere);

    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining(keyFile.toString())
        .hasMessageContaining("symbolic link");
  }

  @Test
  void deletingAKeyRemovesItsAliasesBeforeTheKeyFile() throws IOException {
    KmsKey key = symmetricKey(ACCOUNT);
    Path keyFile = dir.resolve("keys").resolve(key.keyId() + ".json");
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
      store.addAlias(new KmsAlias(ACCOUNT, "alias/doomed", key.keyId(), now, now));
      store.update(
          key.keyId(),
          now,
          k -> k.withState(KeyState.PENDING_DELETION, now.plus(Duration.ofDays(7)), 7));
      // A key file that cannot be deleted (a non-empty directory in its place) stops the purge
      // half-way.
      Files.delete(keyFile);
      Files.createDirectory(keyFile);
      Files.writeString(keyFile.resolve("pin"), "x");

      assertThatThrownBy(() -> store.keys(ACCOUNT, now.plus(Duration.ofDays(8))))
          .isInstanceOf(java.io.UncheckedIOException.class);
    }
    try (Stream<Path> aliases = Files.list(dir.resolve("aliases"))) {
      assertThat(aliases).as("aliases go first, so no alias outlives its key").isEmpty();
    }
    assertThat(keyFile).exists();
  }

  @Test
  void keyFilesAreReadableByTheOwnerOnly() throws IOException {
    if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      return;
    }
    KmsKey key = symmetricKey(ACCOUNT);
    try (KeyStore store = KeyStore.open(dir)) {
      store.add(key);
    }

    assertThat(Files.getPosixFilePermissions(dir.resolve("keys").resolve(key.keyId() + ".json")))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void aStateDirectoryOfAnotherFormatIsRefused() throws IOException {
    Files.writeString(dir.resolve("kms-state.json"), "{\"format\": 99}", StandardCharsets.UTF_8);

    assertThatThrownBy(() -> KeyStore.open(dir))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("kms-state.json");
  }

  @Test
  void aClosedStoreRefusesChanges() throws IOException {
    KeyStore store = KeyStore.open(dir);
    store.close();
    store.close();

    assertThatThrownBy(() -> store.add(symmetricKey(ACCOUNT)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  @Timeout(60)
  void concurrentWritersLoseNothingAndOnlyOneGetsAnAliasName() throws Exception {
    int threads = 8;
    int keysPerThread = 25;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> aliasWins = new ArrayList<>();
    try (KeyStore store = KeyStore.open(dir)) {
      for (int t = 0; t < threads; t++) {
        Callable<Boolean> writer =
            () -> {
              start.await();
              KmsKey first = null;
              for (int i = 0; i < keysPerThread; i++) {
                KmsKey key = symmetricKey(ACCOUNT);
                store.add(key);
                first = first == null ? key : first;
              }
              return store.addAlias(
                  new KmsAlias(ACCOUNT, "alias/contended", first.keyId(), now, now));
            };
        aliasWins.add(pool.submit(writer));
      }
      start.countDown();
      int wins = 0;
      for (Future<Boolean> win : aliasWins) {
        wins += win.get() ? 1 : 0;
      }
      assertThat(wins).isEqualTo(1);
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    try (KeyStore reopened = KeyStore.open(dir)) {
      assertThat(reopened.keys(ACCOUNT, now)).hasSize(threads * keysPerThread);
      assertThat(reopened.aliases(ACCOUNT, now)).hasSize(1);
    }
  }

  private KmsKey symmetricKey(String account) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return key(account, KmsKeySpec.SYMMETRIC_DEFAULT, KmsKeySpec.ENCRYPT_DECRYPT, secret, null);
  }

  private KmsKey rsaKey(String account) {
    KeyPair pair = AsymmetricCrypto.generate(KmsKeySpec.RSA_2048, RANDOM);
    return key(
        account,
        KmsKeySpec.RSA_2048,
        KmsKeySpec.ENCRYPT_DECRYPT,
        pair.getPrivate().getEncoded(),
        pair.getPublic().getEncoded());
  }

  private KmsKey key(
      String account, KmsKeySpec spec, String usage, byte[] secret, byte[] publicKey) {
    String policy = KeyPolicy.defaultPolicyJson(account);
    return KeyDraft.newKey(
            UUID.randomUUID().toString(),
            account,
            "eu-west-1",
            "aws",
            now,
            "",
            usage,
            spec,
            policy,
            KeyPolicy.parse(policy))
        .generated(secret, publicKey);
  }
}
