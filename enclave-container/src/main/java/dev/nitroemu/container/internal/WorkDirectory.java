package dev.nitroemu.container.internal;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * One enclave container's private directory: {@code nitro-enclave-*} (owner only) holding {@code
 * vsock/}, the hybrid vsock directory bind-mounted into the container. {@code vsock/} is writable
 * by every user so the enclave's user, whoever it is, can create its socket; only this directory is
 * seen by the container, and the owner-only parent keeps other host users out.
 */
public final class WorkDirectory {

  private final Path root;
  private final Path vsock;

  private WorkDirectory(Path root, Path vsock) {
    this.root = root;
    this.vsock = vsock;
  }

  /**
   * A fresh directory under {@code java.io.tmpdir} (short paths: Unix socket names are limited to
   * 107 bytes).
   */
  public static WorkDirectory create() throws IOException {
    Path root =
        Files.createTempDirectory(
            "nitro-enclave-",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Path vsock = Files.createDirectory(root.resolve("vsock"));
    Files.setPosixFilePermissions(vsock, PosixFilePermissions.fromString("rwxrwxrwx"));
    return new WorkDirectory(root, vsock);
  }

  /**
   * An empty, read-only regular file beside {@code vsock/} (created at the first call), to be
   * mounted at {@code /dev/nsm} in a supervised container.
   */
  public Path emptyFile() throws IOException {
    Path file = root.resolve("empty");
    if (!Files.exists(file)) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("r--r--r--")));
    }
    return file;
  }

  /** The hybrid vsock directory on the host. */
  public Path vsock() {
    return vsock;
  }

  /** The bind mount of {@link #vsock()} at {@code containerPath}, read-write. */
  public Bind bind(String containerPath) {
    return new Bind(vsock.toString(), new Volume(containerPath), AccessMode.rw);
  }

  /**
   * Deletes the directory and whatever sockets are left in it; failures are ignored (temp files).
   */
  public void delete() {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | RuntimeException ignored) {
      // Best effort: it is a temporary directory.
    }
  }
}
