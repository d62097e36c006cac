package dev.nitroemu.container;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import dev.nitroemu.container.internal.CidAllocator;
import dev.nitroemu.container.internal.ConsoleBuffer;
import dev.nitroemu.container.internal.EnclaveRun;
import dev.nitroemu.container.internal.SupervisedLaunch;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Future;
import org.testcontainers.containers.ContainerLaunchException;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A user's Docker image run as a Nitro Enclave would run it (Testcontainers, {@link
 * GenericContainer} style): no network ({@code --network none}; only loopback), memory and CPU
 * caps, a CID of 16 or more, the command {@code nitro-cli build-enclave} takes (the image's {@code
 * Cmd} if set, else its {@code Entrypoint}, with its {@code Env}), and vsock as the only way out: a
 * directory of Unix sockets ({@link HybridVsockTransport}, the only volume) mounted at {@value
 * #VSOCK_DIRECTORY}, where the enclave environment's NSM service ({@code 3:9797}) and KMS
 * vsock-proxy ({@code 3:8000}) listen and through which the test JVM reaches the enclave's ports at
 * {@code (cid, port)}.
 *
 * <p>Java enclave apps using enclave-runtime need nothing else: the container gets {@code
 * NITRO_MODE=emulated}, {@code NITRO_VSOCK_DIR} and {@code NITRO_VSOCK_CID}, so {@code
 * VsockTransport.fromEnvironment()} and {@code RemoteNsm.fromEnvironment()} pick the hybrid
 * channel. It also gets the environment's KMS mock credentials and region as {@code
 * AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY} and {@code AWS_REGION} (emulator credentials
 * only; a real parent hands its role's credentials to the enclave over vsock instead).
 *
 * <p>Any other image, in any language, runs unmodified under {@code nitro-emu-init} ({@link
 * #withSupervisor()}, automatic for images without {@link JavaEnclaveImage#RUNTIME_LABEL}), which
 * emulates {@code /dev/nsm} and {@code AF_VSOCK} over the same directory.
 *
 * <p><b>Measurements</b>: the environment's profile when one is given ({@link
 * #withEnvironment(EnclaveEnvironment)}, {@link #withProfile}, {@link #withEif}), else derived from
 * the image ({@link ImageMeasurements}); the NSM attests them and KMS key policies can name them.
 *
 * <p><b>Differences from an enclave</b>: loopback is up (Docker's {@code --network none} keeps
 * {@code lo}); the root filesystem is the container's writable layer on disk, gone when the
 * container is stopped (every start is a new container) but not counted against the memory cap,
 * except {@code /tmp}, a tmpfs that is; the clock is the host's; the kernel is the host's.
 */
public class EnclaveContainer extends EnclaveOptions implements EnclaveHost {

  /** Where the hybrid vsock directory is mounted inside the container. */
  public static final String VSOCK_DIRECTORY = "/run/nitro-vsock";

  /**
   * Memory of an enclave unless told otherwise: the default reservation of nitro-cli's
   * allocator.yaml.
   */
  public static final int DEFAULT_MEMORY_MIB = 512;

  /** vCPUs of an enclave unless told otherwise: the default of nitro-cli's allocator.yaml. */
  public static final int DEFAULT_CPU_COUNT = 2;

  /** Smallest memory accepted (nitro-cli refuses less than 64 MiB). */
  public static final int MIN_MEMORY_MIB = 64;

  private static final int CONSOLE_CHARS = 256 * 1024;

  private final ConsoleBuffer console = new ConsoleBuffer(CONSOLE_CHARS);

  private final Object state = new Object();
  private EnclaveRun run;
  private ImageMeasurements measurements;
  private List<String> command = List.of();
  private EnclaveTermination termination;
  private Long plannedCid;
  private boolean supervised;
  private ImageMeasurements plannedMeasurements;

  /** An enclave running the image {@code image} builds (e.g. a {@link JavaEnclaveImage}). */
  public EnclaveContainer(Future<String> image) {
    super(image);
    setUp();
  }

  /**
   * An enclave running a local image, e.g. {@code my-enclave:latest} (nothing is pulled if
   * present).
   */
  public EnclaveContainer(String imageName) {
    super(DockerImageName.parse(imageName));
    setUp();
  }

  private void setUp() {
    withNetworkMode("none");
    withLogConsumer(
        frame -> console.frameConsumer(consoleConsumer, this::currentCid).accept(frame));
    withCreateContainerCmdModifier(this::applyEnclaveShape);
  }

  /** Whether the current or last start ran the command under {@code nitro-emu-init}. */
  public boolean supervised() {
    synchronized (state) {
      return supervised;
    }
  }

  /**
   * The enclave's CID, unsigned as every vsock CID in nitro-emu. @throws IllegalStateException when
   * not started
   */
  public long enclaveCid() {
    synchronized (state) {
      requireStarted();
      return run.cid();
    }
  }

  /** The measurements the NSM attests. @throws IllegalStateException before the first start */
  public ImageMeasurements measurements() {
    synchronized (state) {
      if (measurements == null) {
        throw new IllegalStateException(
            "measurements are known once the enclave container has started");
      }
      return measurements;
    }
  }

  /** The environment serving this enclave (its verifier trusts the root the NSM signs with). */
  public EnclaveEnvironment environment() {
    synchronized (state) {
      requireStarted();
      return run.environment();
    }
  }

  /** The parent's end of the hybrid vsock directory (CID 3); closed when the container stops. */
  public HybridVsockTransport parentTransport() {
    synchronized (state) {
      requireStarted();
      return run.services().transport();
    }
  }

  /** Connects from the parent to the enclave's vsock {@code port}. */
  public VsockConnection connect(long port) throws IOException {
    return parentTransport().connect(VsockAddress.of(enclaveCid(), port));
  }

  /**
   * Listens on the parent's vsock {@code port} (CID 3), where the enclave connects with {@code
   * 3:port}.
   */
  public VsockListener listenOnParent(long port) throws IOException {
    return parentTransport().listen(VsockAddress.of(VsockAddress.CID_PARENT, port));
  }

  /**
   * The newest console output (up to 256 KiB) of the current or last run, as {@code nitro-cli
   * console}.
   */
  public String consoleOutput() {
    return console.text();
  }

  /**
   * This enclave as one element of {@code nitro-cli describe-enclaves}: EnclaveName, EnclaveID,
   * ProcessID, EnclaveCID, NumberOfCPUs, CPUIDs, MemoryMiB, State, Flags, Measurements.
   */
  public String describe() {
    synchronized (state) {
      requireStarted();
      boolean running = isRunning();
      return EnclaveDescription.json(
          enclaveName != null ? enclaveName : getDockerImageName(),
          enclaveId(),
          running ? getContainerInfo().getState().getPidLong() : 0L,
          run.cid(),
          cpuCount,
          memoryMib,
          running ? "RUNNING" : "TERMINATED",
          debugMode,
          measurements);
    }
  }

  /** An id shaped like nitro-cli's ({@code i-<instance>-enc<16 hex>}), from the container id. */
  public String enclaveId() {
    return EnclaveDescription.enclaveId(getContainerId());
  }

  /** How the enclave ended, if it has: its exit code and whether the memory cap ended it. */
  public Optional<EnclaveTermination> termination() {
    synchronized (state) {
      if (termination == null && getContainerId() != null) {
        termination =
            EnclaveDescription.inspectTermination(getDockerClient(), getContainerId()).orElse(null);
      }
      return Optional.ofNullable(termination);
    }
  }

  /** Waits up to {@code timeout} for the enclave to end by itself; empty if it still runs. */
  public Optional<EnclaveTermination> awaitTermination(Duration timeout)
      throws InterruptedException {
    return EnclaveDescription.await(this::termination, timeout);
  }

  /**
   * For an environment that serves this enclave ({@code @NitroEnclaveTest}, {@code
   * EnclaveEnvironment.Builder.enclave}): reserves the CID and measures the image (or takes the
   * profile's or EIF's PCRs), so the environment boots with them and its key policies' {@code
   * ${PCR0}} is this image's.
   *
   * @throws IllegalStateException if the container already runs (started before the environment)
   */
  @Override
  public Plan plan() {
    if (isRunning()) {
      throw new IllegalStateException(EnclaveLaunch.STARTED_BEFORE_ENVIRONMENT);
    }
    ImageMeasurements measured =
        EnclaveLaunch.plan(
            getDockerClient(), getDockerImageName(), List.of(getCommandParts()), profile, eif);
    synchronized (state) {
      if (plannedCid != null) {
        CidAllocator.release(plannedCid);
      }
      plannedCid = CidAllocator.claimOrAllocate(requestedCid);
      plannedMeasurements = measured;
      return new Plan(plannedCid, measured.pcrMap());
    }
  }

  /** Whether the container runs ({@link #isRunning()}). */
  @Override
  public boolean enclaveRunning() {
    return isRunning();
  }

  /** Serves this enclave from {@code running} (as {@link #withEnvironment(EnclaveEnvironment)}). */
  @Override
  public void attach(EnclaveEnvironment running) {
    withEnvironment(running);
  }

  @Override
  public void start() {
    try {
      super.start();
    } catch (RuntimeException e) {
      RuntimeException failure = supervised() ? SupervisedFailure.explain(this, e) : e;
      releaseResources();
      throw failure;
    }
  }

  @Override
  protected void configure() {
    releaseResources(); // a restart: the last run's channel and environment go first
    EnclaveLaunch.Image image =
        EnclaveLaunch.Image.inspect(
            getDockerClient(), getDockerImageName(), List.of(getCommandParts()));
    synchronized (state) {
      console.clear();
      termination = null;
      command = image.command();
      run = emulator != null ? servedRun(image) : openLocalRun(image);
      List<Bind> binds = new ArrayList<>(List.of(run.bind(VSOCK_DIRECTORY)));
      supervised = SupervisedLaunch.wanted(supervisorChoice, image.labels());
      if (supervised) {
        supervise(binds);
      }
      setBinds(binds);
      run.containerEnvironment(VSOCK_DIRECTORY).forEach(this::withEnv);
      setTmpFsMapping(Map.of("/tmp", "rw,nosuid,nodev,size=" + memoryMib + "m"));
    }
  }

  private void supervise(List<Bind> binds) {
    try {
      withCopyToContainer(SupervisedLaunch.binaryFile(), SupervisedLaunch.BINARY_PATH);
      for (String device : SupervisedLaunch.DEVICE_FILES) {
        run.emptyFileBind(device).ifPresent(binds::add);
      }
      if (!waitChosen) {
        setWaitStrategy(EnclaveWaits.booted());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare nitro-emu-init for the enclave container", e);
    }
  }

  private EnclaveRun servedRun(EnclaveLaunch.Image image) {
    measurements = image.measure(getDockerClient());
    return EnclaveRun.served(
        emulator.enclaveCid(),
        emulator.vsockBind(),
        NitroEmulatorContainer.ACCESS_KEY_ID,
        NitroEmulatorContainer.SECRET_ACCESS_KEY,
        emulator.region());
  }

  private EnclaveRun openLocalRun(EnclaveLaunch.Image image) {
    EnclaveLaunch launch =
        sharedEnvironment != null
            ? EnclaveLaunch.shared(sharedEnvironment, debugMode)
            : EnclaveLaunch.own(
                environmentBuilder,
                profile,
                eif,
                debugMode,
                () -> image.measure(getDockerClient()));
    measurements = plannedMeasurements != null ? plannedMeasurements : launch.measurements();
    long cid;
    try {
      cid = plannedCid != null ? plannedCid : CidAllocator.claimOrAllocate(requestedCid);
    } catch (RuntimeException e) {
      launch.closeIfOwned();
      throw e;
    }
    plannedCid = null; // released at stop like any other
    plannedMeasurements = null;
    try {
      return EnclaveRun.open(cid, launch.environment(), launch.owned());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot set up the vsock channel of the enclave container", e);
    }
  }

  @Override
  protected void containerIsStopping(InspectContainerResponse containerInfo) {
    termination(); // recorded before Docker removes the container
  }

  @Override
  protected void containerIsStopped(InspectContainerResponse containerInfo) {
    releaseResources();
  }

  private void applyEnclaveShape(CreateContainerCmd create) {
    List<String> argv;
    boolean underSupervisor;
    synchronized (state) {
      underSupervisor = supervised;
      argv = underSupervisor ? SupervisedLaunch.argv(command, VSOCK_DIRECTORY, run.cid()) : command;
    }
    EnclaveLaunch.shape(create, argv, memoryMib, cpuCount);
    if (underSupervisor) {
      SupervisedLaunch.applySeccomp(create, seccompProfile);
    }
  }

  /**
   * Boot heartbeats the parent services of the current start answered; empty when an emulator
   * container serves the enclave (its services answer them) or before a start.
   */
  OptionalLong heartbeats() {
    synchronized (state) {
      return run == null ? OptionalLong.empty() : run.heartbeats();
    }
  }

  /**
   * Why the start failed: a {@link VsockDeniedException} when the supervisor said its seccomp
   * profile denies AF_VSOCK, else {@code what} with the termination and the console.
   */
  ContainerLaunchException launchFailure(String what, Throwable cause) {
    return SupervisedFailure.describe(this, what, cause);
  }

  private long currentCid() {
    synchronized (state) {
      return run == null ? 0 : run.cid();
    }
  }

  private void requireStarted() {
    if (run == null) {
      throw new IllegalStateException("the enclave container is not started");
    }
  }

  private void releaseResources() {
    EnclaveRun closing;
    synchronized (state) {
      closing = run;
      run = null;
    }
    if (closing != null) {
      closing.close();
    }
  }
}
