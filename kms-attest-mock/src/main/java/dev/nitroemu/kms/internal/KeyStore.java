package dev.nitroemu.kms.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The keys, aliases and grants of one region of the KMS mock, in memory or backed by a state
 * directory.
 *
 * <p>Thread-safe: reads are lock-free over immutable {@link KmsKey}/{@link KmsAlias} values;
 * changes are serialised, and with a state directory each change is on disk (see {@link
 * StateFiles}) before it becomes visible, so anything a caller saw acknowledged survives a crash or
 * restart. A key whose deletion date has passed is deleted, with its aliases and grants, the next
 * time it is looked up or listed.
 *
 * <p>Key material is stored unencrypted, in memory and in the state directory's files: this is an
 * emulator for tests, never a place for real keys.
 */
public final class KeyStore implements AutoCloseable {
  private final Map<String, KmsKey> keys = new ConcurrentHashMap<>();
  private final Map<String, KmsAlias> aliases = new ConcurrentHashMap<>();
  private final AccountKeyIndex index = new AccountKeyIndex();

  /** In creation order (loaded ones by creation date); reads copy it under its lock. */
  private final Map<String, KmsGrant> grants = Collections.synchronizedMap(new LinkedHashMap<>());

  private static final System.Logger LOG = System.getLogger(KeyStore.class.getName());
  private final StateFiles files;
  private static final Comparator<KmsGrant> GRANT_ORDER =
      Comparator.comparing(KmsGrant::creationDate).thenComparing(KmsGrant::grantId);
  private final Object writeLock = new Object();
  private volatile boolean closed;

  private KeyStore(StateFiles files) {
    this.files = files;
  }

  /** A store that forgets everything when the process ends. */
  public static KeyStore inMemory() {
    return new KeyStore(null);
  }

  /**
   * A store backed by a directory (created if missing); keys, aliases and policies survive
   * restarts. Nothing is dropped silently: an alias whose key file is missing is reported, not
   * deleted (a key is deleted only after its aliases, so a crash never leaves such an alias
   * behind).
   *
   * @throws IOException when the directory cannot be used, is locked by another store, or holds a
   *     corrupt file or an alias of a missing key (the message names the file)
   */
  public static KeyStore open(Path stateDirectory) throws IOException {
    Objects.requireNonNull(stateDirectory, "stateDirectory");
    StateFiles files = StateFiles.open(stateDirectory);
    KeyStore store = new KeyStore(files);
    try {
      List<KmsKey> loadedKeys = files.loadKeys();
      for (KmsKey key : loadedKeys) {
        store.keys.put(key.keyId(), key);
      }
      store.index.addAll(loadedKeys);
      for (KmsAlias alias : files.loadAliases()) {
        KmsKey target = store.keys.get(alias.targetKeyId());
        if (target == null || !target.accountId().equals(alias.accountId())) {
          throw files.aliasWithoutKey(alias);
        }
        store.aliases.put(aliasKey(alias.accountId(), alias.aliasName()), alias);
      }
      List<KmsGrant> loaded = files.loadGrants();
      loaded.sort(GRANT_ORDER);
      for (KmsGrant grant : loaded) {
        if (store.keys.containsKey(grant.keyId())) {
          store.grants.put(grant.grantId(), grant);
        } else {
          files.deleteGrant(
              grant.grantId()); // left behind by a crash while its key was being deleted
        }
      }
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
    return store;
  }

  /** Whether this store writes through to a state directory. */
  public boolean persistent() {
    return files != null;
  }

  /** The key with this id, or null when there is none (or its deletion date has passed). */
  public KmsKey find(String keyId, Instant now) {
    KmsKey key = keys.get(keyId);
    if (key != null && expired(key, now)) {
      purge(keyId, now);
      return null;
    }
    return key;
  }

  /** The keys of an account, ordered by key id. */
  public List<KmsKey> keys(String accountId, Instant now) {
    purgeExpired(now);
    return keysAfter(accountId, null, Integer.MAX_VALUE, now);
  }

  /**
   * At most {@code limit} keys of an account whose ids follow {@code after} (exclusive; null for
   * the first), ordered by key id: a page of ListKeys, in time proportional to its size.
   */
  public List<KmsKey> keysAfter(String accountId, String after, int limit, Instant now) {
    List<KmsKey> result = new ArrayList<>();
    for (String keyId : index.idsAfter(accountId, after)) {
      if (result.size() >= limit) {
        break;
      }
      KmsKey key = find(keyId, now);
      if (key != null) {
        result.add(key);
      }
    }
    return result;
  }

  /** Adds a new key. */
  public void add(KmsKey key) {
    synchronized (writeLock) {
      checkOpen();
      if (keys.containsKey(key.keyId())) {
        throw new IllegalStateException("Duplicate key id " + key.keyId());
      }
      persist(() -> files.writeKey(key));
      keys.put(key.keyId(), key);
      index.add(key.accountId(), key.keyId());
    }
  }

  /**
   * Changes a key atomically: {@code change} sees the current version and returns the new one (or
   * the same instance for no change); if it throws, nothing changes.
   *
   * @return the key after the change, or null when the key does not exist
   */
  public KmsKey update(String keyId, Instant now, UnaryOperator<KmsKey> change) {
    synchronized (writeLock) {
      checkOpen();
      KmsKey current = find(keyId, now);
      if (current == null) {
        return null;
      }
      KmsKey next = change.apply(current);
      if (next != current) {
        if (!next.keyId().equals(keyId) || !next.accountId().equals(current.accountId())) {
          throw new IllegalArgumentException("A key update cannot change the key id or account");
        }
        persist(() -> files.writeKey(next));
        keys.put(keyId, next);
      }
      return next;
    }
  }

  /** An alias of an account, or null. */
  public KmsAlias alias(String accountId, String aliasName, Instant now) {
    KmsAlias alias = aliases.get(aliasKey(accountId, aliasName));
    if (alias != null && find(alias.targetKeyId(), now) == null) {
      return null;
    }
    return alias;
  }

  /** The aliases of an account, ordered by name. */
  public List<KmsAlias> aliases(String accountId, Instant now) {
    purgeExpired(now);
    List<KmsAlias> result = new ArrayList<>();
    for (KmsAlias alias : aliases.values()) {
      if (alias.accountId().equals(accountId)) {
        result.add(alias);
      }
    }
    result.sort(Comparator.comparing(KmsAlias::aliasName));
    return result;
  }

  /**
   * Adds an alias unless the account already has one with that name.
   *
   * @return false when the name is taken
   */
  public boolean addAlias(KmsAlias alias) {
    synchronized (writeLock) {
      checkOpen();
      String key = aliasKey(alias.accountId(), alias.aliasName());
      if (aliases.containsKey(key)) {
        return false;
      }
      if (!keys.containsKey(alias.targetKeyId())) {
        throw new IllegalStateException("Alias target " + alias.targetKeyId() + " does not exist");
      }
      persist(() -> files.writeAlias(alias));
      aliases.put(key, alias);
      return true;
    }
  }

  /**
   * Points an existing alias at another existing key (UpdateAlias).
   *
   * @return false when the account has no alias with that name
   */
  public boolean replaceAlias(KmsAlias alias) {
    synchronized (writeLock) {
      checkOpen();
      String key = aliasKey(alias.accountId(), alias.aliasName());
      if (!aliases.containsKey(key)) {
        return false;
      }
      if (!keys.containsKey(alias.targetKeyId())) {
        throw new IllegalStateException("Alias target " + alias.targetKeyId() + " does not exist");
      }
      persist(() -> files.writeAlias(alias));
      aliases.put(key, alias);
      return true;
    }
  }

  /**
   * Removes an alias.
   *
   * @return false when the account has no alias with that name
   */
  public boolean removeAlias(String accountId, String aliasName) {
    synchronized (writeLock) {
      checkOpen();
      String key = aliasKey(accountId, aliasName);
      if (!aliases.containsKey(key)) {
        return false;
      }
      persist(() -> files.deleteAlias(accountId, aliasName));
      aliases.remove(key);
      return true;
    }
  }

  /** The grants for a key, oldest first. */
  public List<KmsGrant> grants(String keyId) {
    List<KmsGrant> result = new ArrayList<>();
    for (KmsGrant grant : allGrants()) {
      if (grant.keyId().equals(keyId)) {
        result.add(grant);
      }
    }
    return result;
  }

  /** Every grant of this region, oldest first. */
  public List<KmsGrant> allGrants() {
    synchronized (grants) {
      return new ArrayList<>(grants.values());
    }
  }

  /** The grant with this id, or null. */
  public KmsGrant grant(String grantId) {
    return grants.get(grantId);
  }

  /**
   * Adds a grant for an existing key, unless the key already has {@code maxPerKey} grants.
   *
   * @return false when the key has too many grants
   */
  public boolean addGrant(KmsGrant grant, int maxPerKey) {
    synchronized (writeLock) {
      checkOpen();
      if (!keys.containsKey(grant.keyId())) {
        throw new IllegalStateException("Grant for a missing key " + grant.keyId());
      }
      if (grants(grant.keyId()).size() >= maxPerKey) {
        return false;
      }
      persist(() -> files.writeGrant(grant));
      grants.put(grant.grantId(), grant);
      return true;
    }
  }

  /**
   * Removes a grant.
   *
   * @return false when there is no grant with that id
   */
  public boolean removeGrant(String grantId) {
    synchronized (writeLock) {
      checkOpen();
      if (!grants.containsKey(grantId)) {
        return false;
      }
      persist(() -> files.deleteGrant(grantId));
      grants.remove(grantId);
      return true;
    }
  }

  /**
   * Writes the snapshot of every key that makes the next open fast ({@link KeySnapshot}) and
   * releases the state directory; later changes fail. Idempotent.
   */
  @Override
  public void close() throws IOException {
    synchronized (writeLock) {
      if (closed) {
        return;
      }
      closed = true;
      if (files != null) {
        try {
          files.writeSnapshot(keys.values());
        } catch (IOException | RuntimeException e) {
          // Only the next open's speed depends on it: every change is in its key file already.
          LOG.log(System.Logger.Level.WARNING, "KMS state: no snapshot written at close: " + e);
        } finally {
          files.close();
        }
      }
    }
  }

  private void purgeExpired(Instant now) {
    for (KmsKey key : keys.values()) {
      if (expired(key, now)) {
        purge(key.keyId(), now);
      }
    }
  }

  private void purge(String keyId, Instant now) {
    synchronized (writeLock) {
      KmsKey key = keys.get(keyId);
      if (key == null || !expired(key, now) || closed) {
        return;
      }
      // Aliases and grants first: a crash in between leaves a key without them, never an alias
      // without its key.
      for (KmsAlias alias : List.copyOf(aliases.values())) {
        if (alias.targetKeyId().equals(keyId)) {
          persist(() -> files.deleteAlias(alias.accountId(), alias.aliasName()));
          aliases.remove(aliasKey(alias.accountId(), alias.aliasName()));
        }
      }
      for (KmsGrant grant : allGrants()) {
        if (grant.keyId().equals(keyId)) {
          persist(() -> files.deleteGrant(grant.grantId()));
          grants.remove(grant.grantId());
        }
      }
      persist(() -> files.deleteKey(keyId));
      keys.remove(keyId);
      index.remove(key.accountId(), keyId);
    }
  }

  private static boolean expired(KmsKey key, Instant now) {
    return key.state() == KeyState.PENDING_DELETION && !now.isBefore(key.deletionDate());
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("The key store is closed");
    }
  }

  private void persist(FileWrite write) {
    if (files == null) {
      return;
    }
    try {
      write.run();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the KMS state directory", e);
    }
  }

  private static String aliasKey(String accountId, String aliasName) {
    return accountId + "/" + aliasName;
  }

  @FunctionalInterface
  private interface FileWrite {
    void run() throws IOException;
  }
}
