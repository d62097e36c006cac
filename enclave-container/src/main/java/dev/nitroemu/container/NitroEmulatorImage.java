package dev.nitroemu.container;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.nitroemu.container.internal.EmulatorVersion;
import dev.nitroemu.container.internal.JlinkRuntime;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Builds the {@code nitro-emu} Docker image without any registry: {@code FROM} the jlink'd runtime
 * base image {@link JavaEnclaveImage#runtimeImage} builds (scratch, a Java runtime and its glibc
 * libraries), plus the command-line jar ({@code emulator-cli/target/nitro-emu.jar}) at {@value
 * #JAR}, entry point {@code java -jar} so that {@code docker run -p 4599:4599 -v
 * nitro-vsock:/run/nitro-vsock nitro-emu start} serves KMS on the published port and the NSM and
 * KMS proxy in the volume (the image sets {@code NITRO_EMU_KMS_BIND=0.0.0.0} and {@code
 * NITRO_EMU_VSOCK_DIR=/run/nitro-vsock}).
 */
public final class NitroEmulatorImage {

  /** The image repository. */
  public static final String REPOSITORY = "nitro-emu";

  /** Where the CLI jar is in the image. */
  public static final String JAR = "/app/nitro-emu.jar";

  /** The emulator's state and CA directory in the image ({@code NITRO_EMU_HOME}). */
  public static final String HOME = "/var/lib/nitro-emu";

  /**
   * Java modules of the emulator's runtime: the same as enclave images', so the base image is
   * shared.
   */
  public static final Set<String> MODULES = JavaEnclaveImage.DEFAULT_MODULES;

  private NitroEmulatorImage() {}

  /** The image name of this emulator version: {@code nitro-emu:<version>}. */
  public static String name() {
    return REPOSITORY + ":" + EmulatorVersion.get();
  }

  /**
   * {@link #name()}, built from {@code cliJar} when the Docker daemon does not have it yet (or
   * always when {@code rebuild}); the jlink'd runtime is cached in {@code cacheDirectory}.
   *
   * @throws IllegalArgumentException if {@code cliJar} is not a file
   */
  public static synchronized String build(Path cliJar, Path cacheDirectory, boolean rebuild) {
    Objects.requireNonNull(cliJar, "cliJar");
    if (!Files.isRegularFile(cliJar)) {
      throw new IllegalArgumentException(
          "the nitro-emu CLI jar "
              + cliJar
              + " does not exist: build it with"
              + " mvn -pl emulator-cli -am package -DskipTests");
    }
    String name = name();
    if (!rebuild) {
      try {
        DockerClientFactory.instance().client().inspectImageCmd(name).exec();
        return name;
      } catch (NotFoundException absent) {
        // built below
      }
    }
    String base = JavaEnclaveImage.runtimeImage(MODULES, cacheDirectory);
    new ImageFromDockerfile(name, false)
        .withFileFromPath("nitro-emu.jar", cliJar)
        // The CLI checks that its state directory is its user's: the JVM needs to find root by
        // name.
        .withFileFromString("passwd", "root:x:0:0:root:" + HOME + ":/sbin/nologin\n")
        .withFileFromString("group", "root:x:0:\n")
        .withDockerfileFromBuilder(
            b ->
                b.from(base)
                    .copy("passwd", "/etc/passwd")
                    .copy("group", "/etc/group")
                    .copy("nitro-emu.jar", JAR)
                    .env("NITRO_EMU_HOME", HOME)
                    .env("NITRO_EMU_KMS_BIND", "0.0.0.0")
                    .env("NITRO_EMU_VSOCK_DIR", NitroEmulatorContainer.VSOCK_DIRECTORY)
                    .expose(NitroEmulatorContainer.KMS_PORT)
                    .entryPoint(JlinkRuntime.JAVA_HOME + "/bin/java", "-jar", JAR)
                    .cmd(new String[] {"start"})
                    .build())
        .get();
    return name;
  }

  /**
   * Builds the image from the CLI jar given as the first argument (cache: the second, default a
   * temp dir).
   */
  public static void main(String[] args) {
    if (args.length < 1) {
      System.err.println(
          "usage: NitroEmulatorImage <emulator-cli/target/nitro-emu.jar> [cache-dir]");
      System.exit(2);
    }
    Path cache =
        args.length > 1
            ? Path.of(args[1])
            : Path.of(System.getProperty("java.io.tmpdir"), "nitro-emu-container-cache");
    System.out.println(build(Path.of(args[0]), cache, true));
  }
}
