package dev.nitroemu.container;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.model.ContainerConfig;
import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.EnclaveEnvironment;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one start of an {@link EnclaveContainer} runs against: the environment (shared, or started
 * for this run with the measurements as its PCRs), whether the container owns it, the measurements.
 */
record EnclaveLaunch(
    EnclaveEnvironment environment, boolean owned, ImageMeasurements measurements) {

  /** Why an enclave host that already runs cannot be planned by a new environment. */
  static final String STARTED_BEFORE_ENVIRONMENT =
      "the enclave container already runs, so it cannot be served by"
          + " a new environment: declare @NitroEnclaveTest before @Testcontainers (JUnit runs class-level extensions in"
          + " declaration order), or leave the container to the NitroEnclaveExtension, which starts it";

  private static final Logger LOG = LoggerFactory.getLogger(EnclaveContainer.class);

  /**
   * A local image as nitro-cli build-enclave reads it: its id, the command it runs, its {@code
   * Env}, and its labels (which tell whether it runs the nitro-emu Java runtime).
   */
  record Image(
      String id, List<String> command, List<String> environment, Map<String, String> labels) {

    /** Inspects {@code name} (which must be present locally). */
    static Image inspect(DockerClient docker, String name) {
      return inspect(docker, name, List.of());
    }

    /**
     * Inspects {@code name} (which must be present locally); a non-empty {@code command} replaces
     * the image's (and is what the measurements name).
     */
    static Image inspect(DockerClient docker, String name, List<String> command) {
      InspectImageResponse inspected = docker.inspectImageCmd(name).exec();
      ContainerConfig config = inspected.getConfig();
      return new Image(
          inspected.getId(),
          command.isEmpty() ? EnclaveLaunch.command(config) : List.copyOf(command),
          config == null || config.getEnv() == null ? List.of() : Arrays.asList(config.getEnv()),
          config == null || config.getLabels() == null ? Map.of() : config.getLabels());
    }

    /** The measurements derived from this image's content ({@link ImageMeasurements#derive}). */
    ImageMeasurements measure(DockerClient docker) {
      return ImageMeasurements.derive(docker, id, command, environment);
    }
  }

  /** nitro-cli build-enclave's rule: the image's Cmd if set, else its Entrypoint; never both. */
  static List<String> command(ContainerConfig config) {
    String[] cmd = config == null ? null : config.getCmd();
    String[] entrypoint = config == null ? null : config.getEntrypoint();
    String[] chosen = cmd != null && cmd.length > 0 ? cmd : entrypoint;
    if (chosen == null || chosen.length == 0) {
      throw new IllegalStateException(
          "the image has neither CMD nor ENTRYPOINT; nitro-cli build-enclave needs one");
    }
    return List.of(chosen);
  }

  /**
   * The measurements an environment serving {@code imageName} boots with, without starting one: the
   * profile's or EIF's (one of them non-null), else derived from the image.
   */
  static ImageMeasurements plan(
      DockerClient docker,
      String imageName,
      List<String> command,
      EnclaveProfile profile,
      Path eif) {
    return profile != null || eif != null
        ? profileMeasurements(profile, eif)
        : Image.inspect(docker, imageName, command).measure(docker);
  }

  /**
   * The enclave's shape on the container: exec-form {@code argv}, memory (no swap), CPU time, no
   * network.
   */
  static void shape(CreateContainerCmd create, List<String> argv, int memoryMib, int cpuCount) {
    create.withEntrypoint(argv.get(0));
    create.withCmd(argv.subList(1, argv.size()));
    long bytes = (long) memoryMib << 20;
    create
        .getHostConfig()
        .withNetworkMode("none")
        .withMemory(bytes)
        .withMemorySwap(bytes)
        .withNanoCPUs(cpuCount * 1_000_000_000L);
  }

  /** Closes the environment if this launch started it (after a failure to use it). */
  void closeIfOwned() {
    if (owned) {
      try {
        environment.close();
      } catch (Exception e) {
        LOG.warn("closing the enclave container's environment failed: {}", e.toString());
      }
    }
  }

  /**
   * {@code value} if it is at least {@code minimum}. @throws IllegalArgumentException naming {@code
   * what}
   */
  static int atLeast(int value, int minimum, String what) {
    if (value < minimum) {
      throw new IllegalArgumentException(what + " must be at least " + minimum + ", was " + value);
    }
    return value;
  }

  /** A running environment shared with others; its profile gives the measurements. */
  static EnclaveLaunch shared(EnclaveEnvironment environment, boolean debugMode) {
    requireEmulated(environment);
    if (environment.info().debug() != debugMode) {
      LOG.warn(
          "the shared environment's debug flag ({}) decides what the NSM attests, not withDebugMode({})",
          environment.info().debug(),
          debugMode);
    }
    return new EnclaveLaunch(environment, false, measurementsOf(environment));
  }

  /**
   * A fresh environment from {@code builder}: measured by {@code profile} or {@code eif} when one
   * is given, else by the image ({@code derive}), whose values become the NSM's PCR0/1/2.
   */
  static EnclaveLaunch own(
      EnclaveEnvironment.Builder builder,
      EnclaveProfile profile,
      Path eif,
      boolean debugMode,
      Supplier<ImageMeasurements> derive) {
    EnclaveEnvironment.Builder configured = builder.copy().mode(NitroMode.EMULATED);
    ImageMeasurements derived = null;
    if (profile != null) {
      configured.profile(profile);
    } else if (eif != null) {
      configured.eif(eif);
    } else {
      derived = derive.get();
      configured.pcrs(derived.pcrEntries());
    }
    if (debugMode) {
      configured.debug(true);
    }
    EnclaveEnvironment environment = configured.start();
    return new EnclaveLaunch(
        environment, true, derived != null ? derived : measurementsOf(environment));
  }

  /** Reads an EIF, its failure as one line naming the file. */
  static EifFile readEif(Path eif) {
    try {
      return EifFile.read(eif);
    } catch (IOException e) {
      throw new IllegalArgumentException("EIF '" + eif + "': " + e.getMessage(), e);
    }
  }

  /** The PCRs a profile or EIF gives (one of them non-null), without starting an environment. */
  static ImageMeasurements profileMeasurements(EnclaveProfile profile, Path eif) {
    EnclaveProfile resolved = profile;
    if (resolved == null) {
      try {
        resolved = EnclaveProfile.fromEif(eif);
      } catch (IOException e) {
        throw new IllegalArgumentException("EIF '" + eif + "': " + e.getMessage(), e);
      }
    }
    return new ImageMeasurements(
        resolved.imagePcr(0),
        resolved.imagePcr(1),
        resolved.imagePcr(2),
        ImageMeasurements.Source.PROFILE);
  }

  private static ImageMeasurements measurementsOf(EnclaveEnvironment environment) {
    return new ImageMeasurements(
        environment.info().pcr(0),
        environment.info().pcr(1),
        environment.info().pcr(2),
        ImageMeasurements.Source.PROFILE);
  }

  private static void requireEmulated(EnclaveEnvironment environment) {
    if (environment.mode() != NitroMode.EMULATED) {
      throw new IllegalStateException(
          "enclave containers run against an emulated environment, not a real one");
    }
  }
}
