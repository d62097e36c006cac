package dev.nitroemu.container.internal;

import com.github.dockerjava.api.command.CreateContainerCmd;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.testcontainers.images.builder.Transferable;

/**
 * What an enclave container needs to run its command under {@code nitro-emu-init} (enclave-
 * supervisor), which emulates {@code /dev/nsm} and {@code AF_VSOCK} for any program: the binary
 * copied to {@value #BINARY_PATH}, the device files, the command line that wraps the enclave's
 * command and the seccomp profile the container runs with. The boot heartbeat ({@code 0xB7} to
 * {@code 3:9000}) is answered by the run's parent services ({@code HybridVsockServices}), as for
 * {@code nitro-emu exec}.
 */
public final class SupervisedLaunch {

  /** Where the supervisor is copied in the container (it becomes the entrypoint). */
  public static final String BINARY_PATH = "/" + SupervisorBinary.FILE_NAME;

  /**
   * The devices mounted as empty read-only regular files, for apps that look for them (the
   * supervisor answers their {@code open} itself).
   */
  public static final List<String> DEVICE_FILES = List.of("/dev/nsm", "/dev/vsock");

  /** The image label whose presence means "runs the nitro-emu Java runtime: no supervisor". */
  public static final String RUNTIME_LABEL = "dev.nitroemu.runtime";

  /** The seccomp profile shipped in this jar (Docker's default without an AF_VSOCK denial). */
  public static final String PROFILE_RESOURCE =
      "/dev/nitroemu/container/seccomp/enclave-seccomp.json";

  private static volatile byte[] binary;
  private static volatile String profile;

  private SupervisedLaunch() {}

  /**
   * Whether to supervise an image with {@code labels}: as {@code choice} when given, else when the
   * image has no {@value #RUNTIME_LABEL} label (which {@code JavaEnclaveImage} sets).
   */
  public static boolean wanted(Boolean choice, Map<String, String> labels) {
    return choice != null ? choice : labels == null || !labels.containsKey(RUNTIME_LABEL);
  }

  /**
   * The container's command: {@code /nitro-emu-init --vsock-dir DIR --base vsock --nsm-port 9797
   * --cid CID -- COMMAND...} (the supervisor sends the boot heartbeat: no {@code --no-heartbeat}).
   */
  public static List<String> argv(List<String> command, String vsockDirectory, long cid) {
    List<String> argv = new ArrayList<>();
    argv.add(BINARY_PATH);
    argv.addAll(List.of("--vsock-dir", vsockDirectory));
    argv.addAll(List.of("--base", HybridVsockTransport.DEFAULT_BASE_NAME));
    argv.addAll(List.of("--nsm-port", Long.toString(RemoteNsm.DEFAULT_ADDRESS.port())));
    argv.addAll(List.of("--cid", Long.toUnsignedString(cid)));
    argv.add("--");
    argv.addAll(command);
    return argv;
  }

  /** The supervisor as a file for the container (mode 0755). */
  public static Transferable binaryFile() {
    return Transferable.of(binary(), 0755);
  }

  /**
   * Runs the container with {@code profileJson} (a Docker seccomp profile; {@code null}: the
   * shipped one) and nothing else: no added capabilities, not privileged.
   */
  public static void applySeccomp(CreateContainerCmd create, String profileJson) {
    String json = profileJson != null ? profileJson : shippedProfile();
    create.getHostConfig().withSecurityOpts(List.of("seccomp=" + json));
  }

  /** The profile this jar ships ({@value #PROFILE_RESOURCE}). */
  public static String shippedProfile() {
    String loaded = profile;
    if (loaded == null) {
      loaded =
          new String(resource(SupervisedLaunch.class, PROFILE_RESOURCE), StandardCharsets.UTF_8);
      profile = loaded;
    }
    return loaded;
  }

  /**
   * The supervisor's one-line diagnostic that a seccomp profile denies {@code AF_VSOCK}, if {@code
   * console} holds it.
   */
  public static Optional<String> vsockDenial(String console) {
    if (console == null) {
      return Optional.empty();
    }
    return console
        .lines()
        .filter(line -> line.startsWith(SupervisorBinary.VSOCK_DENIED_PREFIX))
        .findFirst();
  }

  private static byte[] binary() {
    byte[] loaded = binary;
    if (loaded == null) {
      Optional<String> reason = SupervisorBinary.unavailableReason();
      if (reason.isPresent()) {
        throw new IllegalStateException(
            "cannot run the image under nitro-emu-init: " + reason.get());
      }
      loaded =
          resource(
              SupervisorBinary.class,
              SupervisorBinary.resourceName(SupervisorBinary.architecture()));
      binary = loaded;
    }
    return loaded;
  }

  private static byte[] resource(Class<?> owner, String name) {
    try (InputStream in = owner.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the jar of " + owner.getName());
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name, e);
    }
  }
}
