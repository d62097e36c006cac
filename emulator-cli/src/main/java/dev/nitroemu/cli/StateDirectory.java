package dev.nitroemu.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nitroemu.enclave.Closeables;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A stack's state directory and the one stack that owns it. Before anything is written there, the
 * directory must be a real directory (not a symbolic link), owned by the user and not writable by
 * group or others; files in it are opened without following symbolic links. A running stack holds
 * an exclusive lock on {@value #LOCK_FILE} and records its pid and start time in it, so a second
 * {@code start} refuses and {@code status}/{@code stop} find the owner without touching the lock.
 */
final class StateDirectory implements AutoCloseable {
  static final String LOCK_FILE = "stack.lock";
  private static final int MAX_RECORD_BYTES = 4096;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  /**
   * The process that owns a state directory.
   *
   * @param pid its process id
   * @param started when it started (as the operating system reports it), or null if unknown
   */
  record Owner(long pid, Instant started) {}

  private final Path directory;
  private final FileChannel channel;
  private final FileLock lock;

  private StateDirectory(Path directory, FileChannel channel, FileLock lock) {
    this.directory = directory;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates the directory if needed (0700), checks it, and locks it for this process.
   *
   * @throws CliFailure naming the directory and its owner when another stack runs there, or what is
   *     wrong with the directory
   */
  static StateDirectory lock(Path directory) {
    Path dir = prepare(directory);
    FileChannel channel = null;
    try {
      Set<OpenOption> options =
          Set.of(
              StandardOpenOption.CREATE,
              StandardOpenOption.READ,
              StandardOpenOption.WRITE,
              LinkOption.NOFOLLOW_LINKS);
      channel =
          POSIX
              ? FileChannel.open(
                  dir.resolve(LOCK_FILE),
                  options,
                  PosixFilePermissions.asFileAttribute(
                      PosixFilePermissions.fromString("rw-------")))
              : FileChannel.open(dir.resolve(LOCK_FILE), options);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw inUse(dir, running(dir).orElse(null));
      }
      ProcessHandle self = ProcessHandle.current();
      String record =
          JSON.createObjectNode()
              .put("pid", self.pid())
              .put("started", self.info().startInstant().map(Instant::toString).orElse(null))
              .toString();
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(record.getBytes(StandardCharsets.UTF_8)), 0);
      channel.force(true);
      return new StateDirectory(dir, channel, lock);
    } catch (IOException e) {
      Closeables.closeQuietly(channel);
      throw new CliFailure("cannot lock state directory " + dir + ": " + e.getMessage());
    }
  }

  /**
   * Creates the directory if missing (owner-only) and checks that it is safe to use.
   *
   * @return the absolute, normalised directory
   * @throws CliFailure saying what is wrong and how to fix it
   */
  static Path prepare(Path directory) {
    Path dir = directory.toAbsolutePath().normalize();
    try {
      if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
        Path parent = dir.getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        if (POSIX) {
          Files.createDirectory(
              dir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
          Files.createDirectory(dir);
        }
      }
      check(dir);
      return dir;
    } catch (IOException e) {
      throw new CliFailure("cannot create state directory " + dir + ": " + e.getMessage());
    }
  }

  /**
   * Refuses a symbolic link, a non-directory, another user's directory, and one writable by group
   * or others.
   */
  static void check(Path dir) throws IOException {
    if (Files.isSymbolicLink(dir)) {
      throw new CliFailure(
          "state directory "
              + dir
              + " is a symbolic link; give the directory itself"
              + " (symbolic links are never followed there)");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new CliFailure("state directory " + dir + " is not a directory");
    }
    if (!POSIX) {
      return;
    }
    PosixFileAttributes attributes =
        Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal me =
        dir.getFileSystem()
            .getUserPrincipalLookupService()
            .lookupPrincipalByName(System.getProperty("user.name"));
    if (!attributes.owner().equals(me)) {
      throw new CliFailure(
          "state directory "
              + dir
              + " belongs to "
              + attributes.owner().getName()
              + ", not to "
              + me.getName()
              + "; use a directory of your own (--state-dir)");
    }
    Set<PosixFilePermission> permissions = attributes.permissions();
    if (permissions.contains(PosixFilePermission.GROUP_WRITE)
        || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new CliFailure(
          "state directory "
              + dir
              + " is writable by others ("
              + PosixFilePermissions.toString(permissions)
              + "); run 'chmod go-w "
              + dir
              + "' or use another --state-dir");
    }
  }

  /**
   * The live process that owns {@code directory}, read from its lock file without taking the lock:
   * the recorded pid must be alive and, where the system reports start times, have started when
   * recorded (so a reused pid is not mistaken for the stack).
   */
  static Optional<Owner> running(Path directory) {
    Path lockFile = directory.toAbsolutePath().normalize().resolve(LOCK_FILE);
    JsonNode record;
    try (InputStream in = Files.newInputStream(lockFile, LinkOption.NOFOLLOW_LINKS)) {
      byte[] bytes = in.readNBytes(MAX_RECORD_BYTES);
      if (bytes.length == 0) {
        return Optional.empty();
      }
      record = JSON.readTree(bytes);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
    if (record == null || !record.path("pid").canConvertToLong()) {
      return Optional.empty();
    }
    long pid = record.path("pid").asLong();
    Instant recorded;
    try {
      recorded =
          record.hasNonNull("started") ? Instant.parse(record.get("started").asText()) : null;
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    if (process.isEmpty()) {
      return Optional.empty();
    }
    Optional<Instant> started = process.get().info().startInstant();
    if (recorded != null && started.isPresent() && !started.get().equals(recorded)) {
      return Optional.empty();
    }
    return Optional.of(new Owner(pid, recorded));
  }

  /** The one-line refusal when another stack owns the directory. */
  static CliFailure inUse(Path dir, Owner owner) {
    String who =
        owner == null
            ? "another stack"
            : "the stack with pid "
                + owner.pid()
                + (owner.started() == null ? "" : " (started " + owner.started() + ")");
    return new CliFailure(
        "state directory "
            + dir
            + " is in use by "
            + who
            + "; stop it with 'nitro-emu stop"
            + " --state-dir "
            + dir
            + "' or choose another --state-dir");
  }

  /** The directory. */
  Path path() {
    return directory;
  }

  /** The vsock mapping file enclave apps in other processes read ({@code NITRO_VSOCK_MAP}). */
  Path mappingFile() {
    return mappingFile(directory);
  }

  static Path mappingFile(Path directory) {
    return directory.resolve("vsock-map.json");
  }

  /** Where a running stack describes its endpoints. */
  static Path endpointsFile(Path directory) {
    return directory.resolve("endpoints.json");
  }

  /** The KMS audit log, one JSON event per line. */
  static Path auditFile(Path directory) {
    return directory.resolve("kms-audit.jsonl");
  }

  /** Where KMS keeps keys, aliases and policies when state persists. */
  Path kmsDirectory() {
    return directory.resolve("kms");
  }

  /** Where a detached stack writes its output. */
  static Path logFile(Path directory) {
    return directory.resolve("stack.log");
  }

  /** Releases the lock and empties the owner record; idempotent. */
  @Override
  public void close() {
    try {
      if (lock.isValid()) {
        channel.truncate(0);
        lock.release();
      }
    } catch (IOException e) {
      // The lock goes with the channel below, and with the process in any case.
    } finally {
      Closeables.closeQuietly(channel);
    }
  }

  @Override
  public String toString() {
    return "StateDirectory[" + Objects.toString(directory) + "]";
  }
}
