package dev.nitroemu.container;

import dev.nitroemu.container.internal.CidAllocator;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.WaitStrategy;
import org.testcontainers.utility.DockerImageName;

/**
 * How an {@link EnclaveContainer} is to run (nitro-cli's run-enclave options, its environment, its
 * supervisor): the fluent settings, kept apart from the container's lifecycle.
 */
abstract class EnclaveOptions extends GenericContainer<EnclaveContainer> {

  int memoryMib = EnclaveContainer.DEFAULT_MEMORY_MIB;
  int cpuCount = EnclaveContainer.DEFAULT_CPU_COUNT;
  boolean memoryChosen;
  boolean cpusChosen;
  Long requestedCid;
  String enclaveName;
  boolean debugMode;
  EnclaveEnvironment sharedEnvironment;
  NitroEmulatorContainer emulator;
  EnclaveEnvironment.Builder environmentBuilder = EnclaveEnvironment.builder();
  EnclaveProfile profile;
  Path eif;
  Consumer<String> consoleConsumer;
  Boolean supervisorChoice;
  String seccompProfile;
  boolean waitChosen;

  EnclaveOptions(Future<String> image) {
    super(image);
  }

  EnclaveOptions(DockerImageName image) {
    super(image);
  }

  /**
   * Memory cap in MiB (default {@value EnclaveContainer#DEFAULT_MEMORY_MIB}), as {@code nitro-cli
   * run-enclave --memory}.
   */
  public EnclaveContainer withMemoryMib(int mib) {
    this.memoryMib =
        EnclaveLaunch.atLeast(mib, EnclaveContainer.MIN_MEMORY_MIB, "enclave memory (MiB)");
    this.memoryChosen = true;
    return self();
  }

  /**
   * vCPUs (default {@value EnclaveContainer#DEFAULT_CPU_COUNT}), as {@code nitro-cli run-enclave
   * --cpu-count}; a CPU-time cap here.
   */
  public EnclaveContainer withCpuCount(int count) {
    this.cpuCount = EnclaveLaunch.atLeast(count, 1, "enclave CPU count");
    this.cpusChosen = true;
    return self();
  }

  /** A fixed CID (16 to 4294967294) instead of the lowest free one, as {@code --enclave-cid}. */
  public EnclaveContainer withEnclaveCid(long enclaveCid) {
    CidAllocator.check(enclaveCid);
    this.requestedCid = enclaveCid;
    return self();
  }

  /**
   * The name {@link EnclaveContainer#describe()} reports, as {@code --enclave-name} (default: the
   * image name).
   */
  public EnclaveContainer withEnclaveName(String name) {
    this.enclaveName = Objects.requireNonNull(name, "name");
    return self();
  }

  /**
   * Debug mode, as {@code --debug-mode}: the NSM attests all-zero PCR0/1/2/8 and the flags say so.
   */
  public EnclaveContainer withDebugMode(boolean debug) {
    this.debugMode = debug;
    return self();
  }

  /**
   * Served by an emulator container through its vsock volume (works with a remote Docker daemon),
   * with its CID; {@link EnclaveContainer#environment()} and {@link EnclaveContainer#connect} are
   * then unavailable, the emulator attests its own profile and {@link
   * EnclaveContainer#measurements()} are the image's.
   */
  public EnclaveContainer withEmulator(NitroEmulatorContainer running) {
    this.emulator = Objects.requireNonNull(running, "running");
    dependsOn(running);
    return self();
  }

  /**
   * A running environment to serve this enclave (shared, not closed by the container); its profile
   * gives the measurements.
   */
  public EnclaveContainer withEnvironment(EnclaveEnvironment running) {
    this.sharedEnvironment = Objects.requireNonNull(running, "running");
    return self();
  }

  /**
   * How to start this enclave's own environment at each start (closed at stop); its PCR0/1/2 are
   * set to the measurements (image-derived unless {@link #withProfile}/{@link #withEif} is given),
   * so KMS key policies declared on it may use {@code ${PCR0}} of the image.
   */
  public EnclaveContainer withEnvironment(EnclaveEnvironment.Builder builder) {
    this.environmentBuilder = Objects.requireNonNull(builder, "builder").copy();
    this.sharedEnvironment = null;
    return self();
  }

  /** Measurements (and instance, region) from a profile instead of from the image. */
  public EnclaveContainer withProfile(EnclaveProfile enclaveProfile) {
    this.profile = Objects.requireNonNull(enclaveProfile, "enclaveProfile");
    this.eif = null;
    return self();
  }

  /**
   * Measurements from an EIF file (PCR0/1/2, and PCR8 when signed) instead of from the image; the
   * memory and vCPUs default to the EIF header's unless {@link #withMemoryMib}/{@link
   * #withCpuCount} chose them.
   *
   * @throws IllegalArgumentException if the file is not a valid EIF (the reason in one line)
   */
  public EnclaveContainer withEif(Path file) {
    EifFile header = EnclaveLaunch.readEif(Objects.requireNonNull(file, "file"));
    this.eif = file;
    this.profile = null;
    if (!memoryChosen) {
      memoryMib =
          (int)
              Math.min(
                  Integer.MAX_VALUE,
                  Math.max(EnclaveContainer.MIN_MEMORY_MIB, header.defaultMemoryMib()));
    }
    if (!cpusChosen) {
      cpuCount = (int) Math.min(Integer.MAX_VALUE, Math.max(1, header.defaultCpus()));
    }
    return self();
  }

  /**
   * Runs the enclave's command under {@code nitro-emu-init}, which emulates {@code /dev/nsm} and
   * {@code AF_VSOCK} for an unmodified program in any language: the container gets the supervisor
   * at {@code /nitro-emu-init} as its entrypoint ({@code /nitro-emu-init [options] -- COMMAND}), an
   * empty {@code /dev/nsm} file, and a seccomp profile equal to Docker's default without an {@code
   * AF_VSOCK} denial ({@link #withSeccompProfile}); no other privilege. The default for an image
   * without the {@code dev.nitroemu.runtime} label that {@link JavaEnclaveImage} sets.
   */
  public EnclaveContainer withSupervisor() {
    this.supervisorChoice = true;
    return self();
  }

  /**
   * Runs the command as it is, without {@code nitro-emu-init}, even for an image without the {@code
   * dev.nitroemu.runtime} label (e.g. a Java app on enclave-runtime built another way).
   */
  public EnclaveContainer withoutSupervisor() {
    this.supervisorChoice = false;
    return self();
  }

  /**
   * The Docker seccomp profile (JSON) a supervised enclave runs with, instead of the shipped one;
   * one that denies {@code socket(AF_VSOCK)} makes the start fail with a {@link
   * VsockDeniedException}.
   */
  public EnclaveContainer withSeccompProfile(String profileJson) {
    this.seccompProfile = Objects.requireNonNull(profileJson, "profileJson");
    return self();
  }

  /**
   * As {@link GenericContainer#waitingFor}; replaces {@link EnclaveWaits#booted()} when supervised.
   */
  @Override
  public EnclaveContainer waitingFor(WaitStrategy waitStrategy) {
    this.waitChosen = true;
    return super.waitingFor(waitStrategy);
  }

  /**
   * Where console lines go besides {@link EnclaveContainer#consoleOutput()} (default: this class's
   * logger at INFO).
   */
  public EnclaveContainer withConsoleConsumer(Consumer<String> consumer) {
    this.consoleConsumer = Objects.requireNonNull(consumer, "consumer");
    return self();
  }
}
