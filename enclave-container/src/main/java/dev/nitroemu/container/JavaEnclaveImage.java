package dev.nitroemu.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.nitroemu.container.internal.JlinkRuntime;
import dev.nitroemu.container.internal.SupervisedLaunch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Builds a Docker image for a Java enclave application without any registry: {@code FROM scratch},
 * a jlink'd runtime of this JVM's JDK and the shared libraries it needs copied from this machine (a
 * base image built once per JDK and module set, tagged {@code nitro-emu/java-runtime:<key>}), then
 * the application's jars and classes under {@code /app} and an exec-form {@code CMD} running its
 * main class with {@code /opt/java/bin/java}.
 */
public final class JavaEnclaveImage {

  /**
   * Java modules in the runtime unless told otherwise: what enclave-runtime and the AWS SDK use
   * (networking, XML, naming, management, logging, SQL types for Jackson, EC crypto, Unsafe for
   * JNA).
   */
  public static final Set<String> DEFAULT_MODULES =
      Set.of(
          "java.base",
          "java.logging",
          "java.naming",
          "java.xml",
          "java.management",
          "java.sql",
          "java.net.http",
          "jdk.crypto.ec",
          "jdk.unsupported");

  /**
   * Label (value {@value #RUNTIME_LABEL_VALUE}) on these images and their runtime base: the image
   * runs a Java app on enclave-runtime, which speaks hybrid vsock itself, so {@link
   * EnclaveContainer} runs it without {@code nitro-emu-init}; images without it are supervised
   * unless {@link EnclaveContainer#withoutSupervisor()}. Set it on other such images to the same
   * effect.
   */
  public static final String RUNTIME_LABEL = SupervisedLaunch.RUNTIME_LABEL;

  /** The value of {@link #RUNTIME_LABEL} on these images. */
  public static final String RUNTIME_LABEL_VALUE = "java";

  /** Repository of the base images holding only the runtime. */
  public static final String RUNTIME_REPOSITORY = "nitro-emu/java-runtime";

  private JavaEnclaveImage() {}

  /** A builder for an image running {@code mainClass}. */
  public static Builder builder(String mainClass) {
    return new Builder(mainClass);
  }

  /**
   * The base image with only the runtime for {@code modules}, built when Docker does not have it
   * yet; the jlink output is cached in {@code cacheDirectory}.
   */
  public static synchronized String runtimeImage(Set<String> modules, Path cacheDirectory) {
    String name = RUNTIME_REPOSITORY + ":" + JlinkRuntime.key(modules);
    DockerClient docker = DockerClientFactory.instance().client();
    try {
      docker.inspectImageCmd(name).exec();
      return name;
    } catch (NotFoundException absent) {
      Path rootfs = JlinkRuntime.rootFilesystem(modules, cacheDirectory);
      new ImageFromDockerfile(name, false)
          .withFileFromPath("rootfs", rootfs)
          .withDockerfileFromBuilder(
              b ->
                  b.from("scratch")
                      .copy("rootfs/", "/")
                      .label(RUNTIME_LABEL, RUNTIME_LABEL_VALUE)
                      .build())
          .get();
      return name;
    }
  }

  /** Configures a {@link JavaEnclaveImage}. */
  public static final class Builder {
    private final String mainClass;
    private final List<Path> classDirectories = new ArrayList<>();
    private final List<Path> jars = new ArrayList<>();
    private final Map<String, String> files = new LinkedHashMap<>();
    private final List<String> jvmArguments = new ArrayList<>();
    private final List<String> arguments = new ArrayList<>();
    private final Set<String> modules = new TreeSet<>(DEFAULT_MODULES);
    private Path cacheDirectory =
        Path.of(System.getProperty("java.io.tmpdir"), "nitro-emu-container-cache");
    private String name;

    private Builder(String mainClass) {
      this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
    }

    /** A directory of compiled classes (and resources), put on the class path first. */
    public Builder classes(Path directory) {
      classDirectories.add(requireExisting(directory, Files.isDirectory(directory)));
      return this;
    }

    /** Every {@code *.jar} in {@code directory}, or the one jar {@code directory} names. */
    public Builder jars(Path directoryOrJar) {
      requireExisting(directoryOrJar, Files.exists(directoryOrJar));
      jars.add(directoryOrJar);
      return this;
    }

    /** A file with {@code content} at {@code absolutePath} in the image (e.g. configuration). */
    public Builder file(String absolutePath, String content) {
      if (!absolutePath.startsWith("/") || absolutePath.contains("..")) {
        throw new IllegalArgumentException(
            "image file path must be absolute without '..', was " + absolutePath);
      }
      files.put(absolutePath, Objects.requireNonNull(content, "content"));
      return this;
    }

    /** JVM options before the main class, e.g. {@code -Xmx64m}. */
    public Builder jvmArguments(String... options) {
      jvmArguments.addAll(List.of(options));
      return this;
    }

    /** Arguments after the main class. */
    public Builder arguments(String... args) {
      arguments.addAll(List.of(args));
      return this;
    }

    /** Java modules added to {@link #DEFAULT_MODULES}. */
    public Builder addModules(String... names) {
      modules.addAll(List.of(names));
      return this;
    }

    /**
     * Where the jlink'd runtime is cached (default {@code
     * java.io.tmpdir/nitro-emu-container-cache}).
     */
    public Builder cacheDirectory(Path directory) {
      this.cacheDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * The image name, e.g. {@code my-enclave:test} (default: a name Testcontainers picks, deleted
     * on exit).
     */
    public Builder name(String imageName) {
      this.name = Objects.requireNonNull(imageName, "imageName").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * The image, built when first resolved ({@code getDockerImageName()} or a container's start).
     */
    public ImageFromDockerfile build() {
      String base = runtimeImage(modules, cacheDirectory);
      ImageFromDockerfile image =
          name == null ? new ImageFromDockerfile() : new ImageFromDockerfile(name, false);
      List<String> classPath = new ArrayList<>();
      for (int i = 0; i < classDirectories.size(); i++) {
        image.withFileFromPath("app/classes-" + i, classDirectories.get(i));
        classPath.add("/app/classes-" + i);
      }
      int jarIndex = 0;
      for (Path source : jars) {
        if (Files.isDirectory(source)) {
          image.withFileFromPath("app/lib-" + jarIndex, source);
          classPath.add("/app/lib-" + jarIndex + "/*");
        } else {
          image.withFileFromPath("app/lib-" + jarIndex + "/" + source.getFileName(), source);
          classPath.add("/app/lib-" + jarIndex + "/" + source.getFileName());
        }
        jarIndex++;
      }
      int fileIndex = 0;
      List<String[]> copies = new ArrayList<>();
      for (Map.Entry<String, String> file : files.entrySet()) {
        String contextName = "files/" + fileIndex++;
        image.withFileFromString(contextName, file.getValue());
        copies.add(new String[] {contextName, file.getKey()});
      }
      List<String> command = new ArrayList<>();
      command.add(JlinkRuntime.JAVA_HOME + "/bin/java");
      command.addAll(jvmArguments);
      command.add("-cp");
      command.add(String.join(":", classPath));
      command.add(mainClass);
      command.addAll(arguments);
      return image.withDockerfileFromBuilder(
          b -> {
            b.from(base);
            b.label(RUNTIME_LABEL, RUNTIME_LABEL_VALUE); // also when the base predates the label
            if (!classPath.isEmpty()) {
              b.copy("app/", "/app/");
            }
            copies.forEach(copy -> b.copy(copy[0], copy[1]));
            b.cmd(command.toArray(String[]::new));
            b.build();
          });
    }

    private static Path requireExisting(Path path, boolean ok) {
      Objects.requireNonNull(path, "path");
      if (!ok) {
        throw new IllegalArgumentException(
            path + " does not exist (or is not the expected kind of file)");
      }
      return path;
    }
  }
}
