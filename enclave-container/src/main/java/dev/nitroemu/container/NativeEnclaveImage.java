package dev.nitroemu.container;

import dev.nitroemu.container.internal.SharedLibraries;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Builds a {@code FROM scratch} Docker image for a native program (or an interpreter and its
 * script) from files of this machine, without any registry: the files given, the shared libraries
 * their ELF files load ({@code ldd}, copied to the same paths, loader included), an empty {@code
 * /tmp} and an exec-form {@code CMD}. A static binary alone makes an image of that one file.
 */
public final class NativeEnclaveImage {

  private NativeEnclaveImage() {}

  /** A builder for an image whose command is {@code command} (absolute path first). */
  public static Builder builder(String... command) {
    return new Builder(List.of(command));
  }

  /** Configures a {@link NativeEnclaveImage}. */
  public static final class Builder {
    private final List<String> command;
    private final Map<String, Path> files = new LinkedHashMap<>();
    private Path stagingParent = Path.of(System.getProperty("java.io.tmpdir"));
    private String name;

    private Builder(List<String> command) {
      if (command.isEmpty() || !command.get(0).startsWith("/")) {
        throw new IllegalArgumentException(
            "the command must start with an absolute path, was " + command);
      }
      this.command = command;
    }

    /** The host file {@code hostFile} (symbolic links followed) at {@code imagePath}. */
    public Builder file(Path hostFile, String imagePath) {
      if (!imagePath.startsWith("/") || imagePath.contains("..")) {
        throw new IllegalArgumentException(
            "image file path must be absolute without '..', was " + imagePath);
      }
      if (!Files.isRegularFile(hostFile)) {
        throw new IllegalArgumentException(hostFile + " is not a regular file");
      }
      files.put(imagePath, hostFile);
      return this;
    }

    /** The host file at the same absolute path in the image (an interpreter, its library). */
    public Builder file(Path hostFile) {
      return file(hostFile, hostFile.toAbsolutePath().toString());
    }

    /**
     * Where the image's root filesystem is assembled before Docker reads it (default {@code
     * java.io.tmpdir}).
     */
    public Builder stagingDirectory(Path directory) {
      this.stagingParent = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** The image name, e.g. {@code my-enclave:test} (default: a name Testcontainers picks). */
    public Builder name(String imageName) {
      this.name = Objects.requireNonNull(imageName, "imageName").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * The image, built when first resolved; its root filesystem is assembled now.
     *
     * @throws UncheckedIOException if a file cannot be copied or {@code ldd} fails
     */
    public ImageFromDockerfile build() {
      Path rootfs;
      try {
        rootfs = assemble();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot assemble the image's files in " + stagingParent, e);
      }
      ImageFromDockerfile image =
          name == null ? new ImageFromDockerfile() : new ImageFromDockerfile(name, false);
      return image
          .withFileFromPath("rootfs", rootfs)
          .withDockerfileFromBuilder(
              b -> b.from("scratch").copy("rootfs/", "/").cmd(command.toArray(String[]::new)));
    }

    private Path assemble() throws IOException {
      Files.createDirectories(stagingParent);
      Path rootfs = Files.createTempDirectory(stagingParent, "native-image-").resolve("rootfs");
      Map<String, Path> all = new LinkedHashMap<>(files);
      for (String library : SharedLibraries.of(new ArrayList<>(files.values()), null)) {
        all.putIfAbsent(library, Path.of(library));
      }
      for (Map.Entry<String, Path> file : all.entrySet()) {
        Path target = rootfs.resolve(file.getKey().substring(1));
        Files.createDirectories(target.getParent());
        Files.copy(file.getValue(), target, StandardCopyOption.COPY_ATTRIBUTES); // follows links
      }
      Path tmp = Files.createDirectories(rootfs.resolve("tmp"));
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx"));
      return rootfs;
    }
  }
}
