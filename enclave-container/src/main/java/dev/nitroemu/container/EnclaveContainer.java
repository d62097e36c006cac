package dev.nitroemu.container;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ContainerConfig;
import dev.nitroemu.container.internal.CidAllocator;
import dev.nitroemu.container.internal.ConsoleBuffer;
import dev.nitroemu.container.internal.ParentServices;
import dev.nitroemu.container.internal.WorkDirectory;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * A user's Docker image run as a Nitro Enclave would run it (Testcontainers, {@link GenericContainer}
 * style): no network ({@code --network none}; only loopback), memory and CPU caps, a CID of 16 or
 * more, the command {@code nitro-cli build-enclave} takes (the image's {@code Cmd} if set, else its
 * {@code Entrypoint}, with its {@code Env}), and vsock as the only way out: a directory of Unix
 * sockets ({@link HybridVsockTransport}, the only volume) mounted at {@value #VSOCK_DIRECTORY}, where
 * the enclave environment's NSM service ({@code 3:9797}) and KMS vsock-proxy ({@code 3:8000}) listen
 * and through which the test JVM reaches the enclave's ports at {@code (cid, port)}.
 *
 * <p>Java enclave apps using enclave-runtime need nothing else: the container gets {@code
 * NITRO_MODE=emulated}, {@code NITRO_VSOCK_DIR} and {@code NITRO_VSOCK_CID}, so {@code
 * VsockTransport.fromEnvironment()} and {@code RemoteNsm.fromEnvironment()} pick the hybrid channel.
 * It also gets the environment's KMS mock credentials and region as {@code AWS_ACCESS_KEY_ID}, {@code
 * AWS_SECRET_ACCESS_KEY} and {@code AWS_REGION} (emulator credentials only; a real parent hands its
 * role's credentials to the enclave over vsock instead).
 *
 * <p><b>Measurements</b>: the environment's profile when one is given ({@link
 * #withEnvironment(EnclaveEnvironment)}, {@link #withProfile}, {@link #withEif}), else derived from the
 * image ({@link ImageMeasurements}); the NSM attests them and KMS key policies can name them.
 *
 * <p><b>Differences from an enclave</b>: loopback is up (Docker's {@code --network none} keeps
 * {@code lo}); the root filesystem is the container's writable layer on disk, gone when the container
 * is stopped (every start is a new container) but not counted against the memory cap, except
 * {@code /tmp}, a tmpfs that is; the clock is the host's; the kernel is the host's.
 */
public class EnclaveContainer extends GenericContainer<EnclaveContainer> implements EnclaveHost {

  /** Where the hybrid vsock directory is mounted inside the container. */
  public static final String VSOCK_DIRECTORY = "/run/nitro-vsock";

  /** Memory of an enclave unless told otherwise: the default reservation of nitro-cli's allocator.yaml. */
  public static final int DEFAULT_MEMORY_MIB = 512;

  /** vCPUs of an enclave unless told otherwise: the default of nitro-cli's allocator.yaml. */
  public static final int DEFAULT_CPU_COUNT = 2;

  /** Smallest memory accepted (nitro-cli refuses less than 64 MiB). */
  public static final int MIN_MEMORY_MIB = 64;

  private static final Logger LOG = LoggerFactory.getLogger(EnclaveContainer.class);
  private static final int CONSOLE_CHARS = 256 * 1024;

  private int memoryMib = DEFAULT_MEMORY_MIB;
  private int cpuCount = DEFAULT_CPU_COUNT;
  private Long requestedCid;
  private String enclaveName;
  private boolean debugMode;
  private EnclaveEnvironment sharedEnvironment;
  private EnclaveEnvironment.Builder environmentBuilder = EnclaveEnvironment.builder();
  private EnclaveProfile profile;
  private Path eif;
  private Consumer<String> consoleConsumer;
  private final ConsoleBuffer console = new ConsoleBuffer(CONSOLE_CHARS);

  private final Object state = new Object();
  private long cid;
  private WorkDirectory workDirectory;
  private ParentServices services;
  private EnclaveEnvironment environment;
  private boolean ownsEnvironment;
  private ImageMeasurements measurements;
  private List<String> command = List.of();
  private EnclaveTermination termination;
  private Long plannedCid;
  private ImageMeasurements plannedMeasurements;

  /** An enclave running the image {@code image} builds (e.g. a {@link JavaEnclaveImage}). */
  public EnclaveContainer(Future<String> image) {
    super(image);
    setUp();
  }

  /** An enclave running a local image, e.g. {@code my-enclave:latest} (nothing is pulled if present). */
  public EnclaveContainer(String imageName) {
    super(DockerImageName.parse(imageName));
    setUp();
  }

  private void setUp() {
    withNetworkMode("none");
    withLogConsumer(this::onConsole);
    withCreateContainerCmdModifier(this::applyEnclaveShape);
  }

  /** Memory cap in MiB (default {@value #DEFAULT_MEMORY_MIB}), as {@code nitro-cli run-enclave --memory}. */
  public EnclaveContainer withMemoryMib(int mib) {
    if (mib < MIN_MEMORY_MIB) {
      throw new IllegalArgumentException("enclave memory must be at least " + MIN_MEMORY_MIB + " MiB, was " + mib);
    }
    this.memoryMib = mib;
    return self();
  }

  /** vCPUs (default {@value #DEFAULT_CPU_COUNT}), as {@code nitro-cli run-enclave --cpu-count}; a CPU-time cap here. */
  public EnclaveContainer withCpuCount(int count) {
    if (count < 1) {
      throw new IllegalArgumentException("enclave CPU count must be at least 1, was " + count);
    }
    this.cpuCount = count;
    return self();
  }

  /** A fixed CID (16 to 4294967294) instead of the lowest free one, as {@code --enclave-cid}. */
  public EnclaveContainer withEnclaveCid(long enclaveCid) {
    CidAllocator.check(enclaveCid);
    this.requestedCid = enclaveCid;
    return self();
  }

  /** The name {@link #describe()} reports, as {@code --enclave-name} (default: the image name). */
  public EnclaveContainer withEnclaveName(String name) {
    this.enclaveName = Objects.requireNonNull(name, "name");
    return self();
  }

  /** Debug mode, as {@code --debug-mode}: the NSM attests all-zero PCR0/1/2/8 and the flags say so. */
  public EnclaveContainer withDebugMode(boolean debug) {
    this.debugMode = debug;
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
   * set to the measurements (image-derived unless {@link #withProfile}/{@link #withEif} is given), so
   * KMS key policies declared on it may use {@code ${PCR0}} of the image.
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

  /** Measurements from an EIF file (PCR0/1/2, and PCR8 when signed) instead of from the image. */
  public EnclaveContainer withEif(Path file) {
    this.eif = Objects.requireNonNull(file, "file");
    this.profile = null;
    return self();
  }

  /** Where console lines go besides {@link #consoleOutput()} (default: this class's logger at INFO). */
  public EnclaveContainer withConsoleConsumer(Consumer<String> consumer) {
    this.consoleConsumer = Objects.requireNonNull(consumer, "consumer");
    return self();
  }

  /** The enclave's CID, unsigned as every vsock CID in nitro-emu. @throws IllegalStateException when not started */
  public long enclaveCid() {
    synchronized (state) {
      requireStarted();
      return cid;
    }
  }

  /** The measurements the NSM attests. @throws IllegalStateException before the first start */
  public ImageMeasurements measurements() {
    synchronized (state) {
      if (measurements == null) {
        throw new IllegalStateException("measurements are known once the enclave container has started");
      }
      return measurements;
    }
  }

  /** The environment serving this enclave (its verifier trusts the root the NSM signs with). */
  public EnclaveEnvironment environment() {
    synchronized (state) {
      requireStarted();
      return environment;
    }
  }

  /** The parent's end of the hybrid vsock directory (CID 3); closed when the container stops. */
  public HybridVsockTransport parentTransport() {
    synchronized (state) {
      requireStarted();
      return services.transport();
    }
  }

  /** Connects from the parent to the enclave's vsock {@code port}. */
  public VsockConnection connect(long port) throws IOException {
    return parentTransport().connect(VsockAddress.of(enclaveCid(), port));
  }

  /** Listens on the parent's vsock {@code port} (CID 3), where the enclave connects with {@code 3:port}. */
  public VsockListener listenOnParent(long port) throws IOException {
    return parentTransport().listen(VsockAddress.of(VsockAddress.CID_PARENT, port));
  }

  /** The newest console output (up to 256 KiB) of the current or last run, as {@code nitro-cli console}. */
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
      return EnclaveDescription.json(enclaveName != null ? enclaveName : getDockerImageName(), enclaveId(),
          running ? getContainerInfo().getState().getPidLong() : 0L, cid, cpuCount, memoryMib,
          running ? "RUNNING" : "TERMINATED", debugMode, measurements);
    }
  }

  /** An id shaped like nitro-cli's ({@code i-<instance>-enc<16 hex>}), from the container id. */
  public String enclaveId() {
    String id = getContainerId();
    if (id == null) {
      throw new IllegalStateException("the enclave container has not started");
    }
    return EnclaveProfile.DEFAULT_INSTANCE_ID + "-enc" + id.substring(0, 16);
  }

  /** How the enclave ended, if it has: its exit code and whether the memory cap ended it. */
  public Optional<EnclaveTermination> termination() {
    synchronized (state) {
      if (termination == null && getContainerId() != null) {
        termination = EnclaveDescription.inspectTermination(getDockerClient(), getContainerId()).orElse(null);
      }
      return Optional.ofNullable(termination);
    }
  }

  /** Waits up to {@code timeout} for the enclave to end by itself; empty if it still runs. */
  public Optional<EnclaveTermination> awaitTermination(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<EnclaveTermination> ended = termination();
      if (ended.isPresent() || System.nanoTime() - deadline >= 0) {
        return ended;
      }
      Thread.sleep(100);
    }
  }

  /**
   * For an environment that serves this enclave ({@code @NitroEnclaveTest}, {@code
   * EnclaveEnvironment.Builder.enclave}): reserves the CID and measures the image (or takes the
   * profile's or EIF's PCRs), so the environment boots with them and its key policies' {@code ${PCR0}}
   * is this image's.
   *
   * @throws IllegalStateException if the container already runs (started before the environment)
   */
  @Override
  public Plan plan() {
    if (isRunning()) {
      throw new IllegalStateException("the enclave container already runs, so it cannot be served by a new"
          + " environment: declare @NitroEnclaveTest before @Testcontainers (JUnit runs class-level extensions in"
          + " declaration order), or leave the container to the NitroEnclaveExtension, which starts it");
    }
    ImageMeasurements measured;
    if (profile != null || eif != null) {
      measured = EnclaveLaunch.profileMeasurements(profile, eif);
    } else {
      InspectImageResponse inspected = getDockerClient().inspectImageCmd(getDockerImageName()).exec();
      ContainerConfig config = inspected.getConfig();
      measured = ImageMeasurements.derive(getDockerClient(), inspected.getId(), EnclaveLaunch.command(config),
          config == null || config.getEnv() == null ? List.of() : Arrays.asList(config.getEnv()));
    }
    synchronized (state) {
      if (plannedCid != null) {
        CidAllocator.release(plannedCid);
      }
      plannedCid = requestedCid != null ? claim(requestedCid) : CidAllocator.allocate();
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
      releaseResources();
      throw e;
    }
  }

  @Override
  protected void configure() {
    releaseResources(); // a restart: the last run's channel and environment go first
    String image = getDockerImageName();
    InspectImageResponse inspected = getDockerClient().inspectImageCmd(image).exec();
    ContainerConfig config = inspected.getConfig();
    List<String> chosen = EnclaveLaunch.command(config);
    List<String> imageEnvironment = config == null || config.getEnv() == null ? List.of() : Arrays.asList(config.getEnv());
    synchronized (state) {
      console.clear();
      termination = null;
      command = chosen;
      try {
        EnclaveLaunch launch = sharedEnvironment != null
            ? EnclaveLaunch.shared(sharedEnvironment, debugMode)
            : EnclaveLaunch.own(environmentBuilder, profile, eif, debugMode,
                () -> ImageMeasurements.derive(getDockerClient(), inspected.getId(), chosen, imageEnvironment));
        environment = launch.environment();
        ownsEnvironment = launch.owned();
        measurements = plannedMeasurements != null ? plannedMeasurements : launch.measurements();
        cid = plannedCid != null ? plannedCid : requestedCid != null ? claim(requestedCid) : CidAllocator.allocate();
        plannedCid = null; // released at stop like any other
        plannedMeasurements = null;
        workDirectory = WorkDirectory.create();
        services = ParentServices.start(
            HybridVsockTransport.parent(workDirectory.vsock(), HybridVsockTransport.DEFAULT_BASE_NAME, cid),
            environment.nsm(), environment.info().kmsEndpoint());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot set up the vsock channel of the enclave container", e);
      }
      setBinds(new ArrayList<>(List.of(workDirectory.bind(VSOCK_DIRECTORY))));
      withEnv(NitroMode.ENVIRONMENT_VARIABLE, "emulated");
      withEnv(HybridVsockTransport.DIRECTORY_ENVIRONMENT_VARIABLE, VSOCK_DIRECTORY);
      withEnv(VsockNetwork.LOCAL_CID_ENVIRONMENT_VARIABLE, Long.toString(cid));
      // The emulator's own KMS credentials (never real ones), as a parent hands role credentials in.
      AwsCredentials credentials = environment.info().credentials().resolveCredentials();
      withEnv("AWS_ACCESS_KEY_ID", credentials.accessKeyId());
      withEnv("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey());
      withEnv("AWS_REGION", environment.info().region());
      setTmpFsMapping(Map.of("/tmp", "rw,nosuid,nodev,size=" + memoryMib + "m"));
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

  private static long claim(long enclaveCid) {
    CidAllocator.claim(enclaveCid);
    return enclaveCid;
  }

  private void applyEnclaveShape(CreateContainerCmd create) {
    List<String> argv;
    synchronized (state) {
      argv = command;
    }
    create.withEntrypoint(argv.get(0));
    create.withCmd(argv.subList(1, argv.size()));
    long bytes = (long) memoryMib << 20;
    create.getHostConfig()
        .withNetworkMode("none")
        .withMemory(bytes)
        .withMemorySwap(bytes)
        .withNanoCPUs(cpuCount * 1_000_000_000L);
  }

  private void onConsole(OutputFrame frame) {
    if (frame.getType() == OutputFrame.OutputType.END) {
      return;
    }
    String line = frame.getUtf8StringWithoutLineEnding();
    console.add(line);
    if (consoleConsumer != null) {
      consoleConsumer.accept(line);
    } else {
      LOG.info("enclave {}: {}", cid, line);
    }
  }

  private void requireStarted() {
    if (services == null) {
      throw new IllegalStateException("the enclave container is not started");
    }
  }

  private void releaseResources() {
    ParentServices closingServices;
    EnclaveEnvironment closingEnvironment;
    WorkDirectory closingDirectory;
    long releasedCid;
    synchronized (state) {
      closingServices = services;
      closingEnvironment = ownsEnvironment ? environment : null;
      closingDirectory = workDirectory;
      releasedCid = cid;
      services = null;
      environment = null;
      ownsEnvironment = false;
      workDirectory = null;
      cid = 0;
    }
    if (closingServices != null) {
      closingServices.close();
    }
    if (closingEnvironment != null) {
      try {
        closingEnvironment.close();
      } catch (RuntimeException e) {
        LOG.warn("closing the enclave container's environment failed: {}", e.toString());
      }
    }
    if (closingDirectory != null) {
      closingDirectory.delete();
    }
    if (releasedCid != 0) {
      CidAllocator.release(releasedCid);
    }
  }
}
