package dev.nitroemu.kms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nitroemu.enclave.AtomicFiles;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

/**
 * The on-disk form of a {@link KeyStore}: one JSON file per key ({@code keys/<key-id>.json}, key
 * material included), per alias ({@code aliases/<sha256(account/name)>.json}) and per grant ({@code
 * grants/<grant-id>.json}), in the JSON of {@link StateCodec}, each replaced by {@link AtomicFiles}
 * (temporary file, fsync, atomic rename, fsync of the directory), so a crash leaves either the old
 * or the new version of a file and never loses a write that was acknowledged.
 *
 * <p>A clean close also writes a snapshot of every key in one file, which the next open reads
 * instead of the key files when they are unchanged, and deletes ({@link KeySnapshot}).
 *
 * <p>A lock file keeps two stores from sharing a directory. Files are readable by their owner only
 * on POSIX systems; they are not encrypted (this is an emulator, the material is test material).
 */
final class StateFiles implements AutoCloseable {
  static final int FORMAT = StateCodec.FORMAT;
  private static final String FORMAT_FILE = "kms-state.json";
  private static final String LOCK_FILE = "kms-state.lock";
  private static final int MAX_FILE_SIZE = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path directory;
  private final Path keysDirectory;
  private final Path aliasesDirectory;
  private final Path grantsDirectory;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StateFiles(Path directory, FileChannel lockChannel, FileLock lock) {
    this.directory = directory;
    this.keysDirectory = directory.resolve("keys");
    this.aliasesDirectory = directory.resolve("aliases");
    this.grantsDirectory = directory.resolve("grants");
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Opens (creating if needed) and locks a state directory. */
  static StateFiles open(Path directory) throws IOException {
    if (Files.isSymbolicLink(directory)) {
      throw new IOException(
          "KMS state directory " + directory + " is a symbolic link, which is never followed");
    }
    AtomicFiles.createPrivateDirectories(directory);
    FileChannel channel =
        FileChannel.open(
            directory.resolve(LOCK_FILE),
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      channel.close();
      throw new IOException("KMS state directory " + directory + " is in use by another KMS mock");
    }
    StateFiles files = new StateFiles(directory, channel, lock);
    try {
      files.checkFormat();
      AtomicFiles.createPrivateDirectories(files.keysDirectory);
      AtomicFiles.createPrivateDirectories(files.aliasesDirectory);
      AtomicFiles.createPrivateDirectories(files.grantsDirectory);
    } catch (IOException | RuntimeException e) {
      files.close();
      throw e;
    }
    return files;
  }

  /**
   * Every key in the directory, from the snapshot a clean close left ({@link KeySnapshot}) when it
   * matches the key files, else from the key files; leftover temporary files are removed. The
   * snapshot is deleted either way, before this returns.
   */
  List<KmsKey> loadKeys() throws IOException {
    Path snapshot = directory.resolve(KeySnapshot.FILE_NAME);
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(directory, "." + KeySnapshot.FILE_NAME + ".*")) {
      for (Path entry : entries) {
        if (AtomicFiles.isTemporaryFile(entry)) {
          Files.deleteIfExists(entry); // a snapshot write a crash interrupted
        }
      }
    }
    if (Files.exists(snapshot, LinkOption.NOFOLLOW_LINKS)) {
      // The key files are listed and stat'ed on a second thread while this one decodes.
      FutureTask<Map<String, KeySnapshot.FileStamp>> listing =
          new FutureTask<>(this::keyFileStamps);
      Thread lister = new Thread(listing, "kms-state-listing");
      lister.setDaemon(true);
      lister.start();
      List<SnapshotCodec.Entry> entries = KeySnapshot.read(snapshot);
      Map<String, KeySnapshot.FileStamp> onDisk = result(listing);
      // Before any change can be made: a crash from now on must find the key files alone.
      AtomicFiles.delete(snapshot);
      List<KmsKey> keys = entries == null ? null : KeySnapshot.ifCurrent(snapshot, entries, onDisk);
      if (keys != null) {
        return keys;
      }
    }
    // Parsed on every core: reading and decoding 100,000 key files one by one took most of a
    // restart's 8 s. A corrupt file is reported by name, as before.
    try {
      return jsonFiles(keysDirectory, false).parallelStream().map(StateFiles::loadKey).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static KmsKey loadKey(Path file) {
    try {
      KmsKey key;
      try {
        key = StateCodec.decodeKey(read(file));
      } catch (RuntimeException e) {
        throw corrupt(file, e);
      }
      if (!file.getFileName().toString().equals(key.keyId() + ".json")) {
        throw corrupt(
            file, new IllegalArgumentException("the file name does not match the key id"));
      }
      return key;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every alias in the directory; leftover temporary files are removed. */
  List<KmsAlias> loadAliases() throws IOException {
    List<KmsAlias> aliases = new ArrayList<>();
    for (Path file : jsonFiles(aliasesDirectory)) {
      KmsAlias alias;
      try {
        alias = StateCodec.decodeAlias(read(file));
      } catch (RuntimeException e) {
        throw corrupt(file, e);
      }
      if (!file.equals(aliasFile(alias.accountId(), alias.aliasName()))) {
        throw corrupt(file, new IllegalArgumentException("the file name does not match the alias"));
      }
      aliases.add(alias);
    }
    return aliases;
  }

  /** Every grant in the directory; leftover temporary files are removed. */
  List<KmsGrant> loadGrants() throws IOException {
    List<KmsGrant> grants = new ArrayList<>();
    for (Path file : jsonFiles(grantsDirectory)) {
      KmsGrant grant;
      try {
        grant = StateCodec.decodeGrant(read(file));
      } catch (RuntimeException e) {
        throw corrupt(file, e);
      }
      if (!file.getFileName().toString().equals(grant.grantId() + ".json")) {
        throw corrupt(
            file, new IllegalArgumentException("the file name does not match the grant id"));
      }
      grants.add(grant);
    }
    return grants;
  }

  /**
   * Writes the snapshot of {@code keys}, every key of the store, each of which has its key file;
   * called at a clean close, when no change can follow.
   */
  void writeSnapshot(Collection<KmsKey> keys) throws IOException {
    KeySnapshot.write(directory.resolve(KeySnapshot.FILE_NAME), keys, this::keyFileStamp);
  }

  private KeySnapshot.FileStamp keyFileStamp(String keyId) throws IOException {
    return stamp(keyFile(keyId));
  }

  private static KeySnapshot.FileStamp stamp(Path file) throws IOException {
    BasicFileAttributes attributes =
        Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    return attributes.isRegularFile()
        ? new KeySnapshot.FileStamp(
            attributes.size(), attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS))
        : new KeySnapshot.FileStamp(-1, -1);
  }

  /** Key id to the stamp of its file, for every {@code .json} file in the keys directory. */
  private Map<String, KeySnapshot.FileStamp> keyFileStamps() throws IOException {
    Map<String, KeySnapshot.FileStamp> stamps = new HashMap<>();
    for (Path file : jsonFiles(keysDirectory, false)) {
      String name = file.getFileName().toString();
      stamps.put(name.substring(0, name.length() - ".json".length()), stamp(file));
    }
    return stamps;
  }

  private static <T> T result(FutureTask<T> task) throws IOException {
    try {
      return task.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while listing the key files");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  void writeKey(KmsKey key) throws IOException {
    writeAtomically(keyFile(key.keyId()), StateCodec.encodeKey(key));
  }

  void writeGrant(KmsGrant grant) throws IOException {
    writeAtomically(
        grantsDirectory.resolve(grant.grantId() + ".json"), StateCodec.encodeGrant(grant));
  }

  void deleteGrant(String grantId) throws IOException {
    AtomicFiles.delete(grantsDirectory.resolve(grantId + ".json"));
  }

  void deleteKey(String keyId) throws IOException {
    AtomicFiles.delete(keyFile(keyId));
  }

  /** The file a key is kept in. */
  Path keyFile(String keyId) {
    return keysDirectory.resolve(keyId + ".json");
  }

  void writeAlias(KmsAlias alias) throws IOException {
    writeAtomically(aliasFile(alias.accountId(), alias.aliasName()), StateCodec.encodeAlias(alias));
  }

  void deleteAlias(String accountId, String aliasName) throws IOException {
    AtomicFiles.delete(aliasFile(accountId, aliasName));
  }

  @Override
  public void close() throws IOException {
    try {
      if (lock.isValid()) {
        lock.release();
      }
    } finally {
      lockChannel.close();
    }
  }

  /**
   * Checks the directory's format: format 1 (before key rotation, imports and grants) is upgraded
   * to 2 in place (its files stay readable; files are rewritten in format 2 as they change);
   * anything newer is refused, so an older mock never half-reads a newer directory.
   */
  private void checkFormat() throws IOException {
    Path file = directory.resolve(FORMAT_FILE);
    boolean upgrade = false;
    if (Files.exists(file)) {
      try {
        JsonNode format = read(file).get("format");
        if (format == null
            || !format.isInt()
            || (format.intValue() != 1 && format.intValue() != FORMAT)) {
          throw new IllegalArgumentException(
              "unsupported format " + format + ", this version reads 1 and " + FORMAT);
        }
        upgrade = format.intValue() != FORMAT;
      } catch (RuntimeException e) {
        throw corrupt(file, e);
      }
    }
    if (upgrade || !Files.exists(file)) {
      ObjectNode format = JSON.createObjectNode().put("format", FORMAT);
      format.put(
          "description",
          "nitro-emu KMS mock state: test keys with their key material, not protected");
      writeAtomically(file, format);
    }
  }

  private static byte[] encodeBytes(ObjectNode node) throws IOException {
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
  }

  private static void writeAtomically(Path target, ObjectNode content) throws IOException {
    AtomicFiles.write(target, encodeBytes(content));
  }

  private static List<Path> jsonFiles(Path dir) throws IOException {
    return jsonFiles(dir, true);
  }

  private static List<Path> jsonFiles(Path dir, boolean sorted) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (AtomicFiles.isTemporaryFile(entry)) {
          // A write that crashed before its rename: never acknowledged, so dropping it loses
          // nothing.
          Files.deleteIfExists(entry);
        } else if (name.endsWith(".json")) {
          files.add(entry);
        }
      }
    }
    if (sorted) {
      files.sort(null);
    }
    return files;
  }

  private static JsonNode read(Path file) throws IOException {
    try {
      JsonNode node = JSON.readTree(AtomicFiles.read(file, MAX_FILE_SIZE));
      if (node == null || !node.isObject()) {
        throw corrupt(file, new IllegalArgumentException("not a JSON object"));
      }
      return node;
    } catch (NoSuchFileException e) {
      throw e;
    } catch (FileSystemException e) {
      throw corrupt(file, e); // a link, a directory or too large: never something this class wrote
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw corrupt(
          file, new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage()));
    }
  }

  private static IOException corrupt(Path file, Exception cause) {
    return new IOException("Corrupt KMS state file " + file + ": " + cause.getMessage(), cause);
  }

  /** The error for an alias whose key file is missing or of another account. */
  IOException aliasWithoutKey(KmsAlias alias) {
    return new IOException(
        "KMS state: "
            + alias.aliasName()
            + " points at key "
            + alias.targetKeyId()
            + ", but its key file "
            + keyFile(alias.targetKeyId())
            + " is missing or of another account;"
            + " restore the file, or delete "
            + aliasFile(alias.accountId(), alias.aliasName())
            + " to drop the alias");
  }

  /** The file an alias is kept in. */
  Path aliasFile(String accountId, String aliasName) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      byte[] digest = sha256.digest((accountId + "/" + aliasName).getBytes(StandardCharsets.UTF_8));
      return aliasesDirectory.resolve(HexFormat.of().formatHex(digest) + ".json");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
