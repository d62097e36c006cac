package dev.nitroemu.container.internal;

import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * What one start of an enclave container holds until it stops: its CID, its private hybrid vsock
 * directory, the parent services on it (NSM, KMS proxy) and the environment serving it (closed with
 * the run when the run started it); {@link #close()} gives all of it back.
 */
public final class EnclaveRun implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EnclaveRun.class);

  private final long cid;
  private final WorkDirectory directory;
  private final HybridVsockServices services;
  private final EnclaveEnvironment environment;
  private final boolean ownsEnvironment;
  private final Bind volume;
  private final Map<String, String> servedEnvironment;

  private EnclaveRun(
      long cid,
      WorkDirectory directory,
      HybridVsockServices services,
      EnclaveEnvironment environment,
      boolean ownsEnvironment) {
    this.cid = cid;
    this.directory = directory;
    this.services = services;
    this.environment = environment;
    this.ownsEnvironment = ownsEnvironment;
    this.volume = null;
    this.servedEnvironment = null;
  }

  private EnclaveRun(long cid, Bind volume, Map<String, String> servedEnvironment) {
    this.cid = cid;
    this.directory = null;
    this.services = null;
    this.environment = null;
    this.ownsEnvironment = false;
    this.volume = volume;
    this.servedEnvironment = servedEnvironment;
  }

  /**
   * A run served by an emulator in another container through the Docker volume {@code volume} (its
   * hybrid vsock directory): nothing in this JVM, the CID is the emulator's (not allocated here),
   * and the KMS mock credentials and region are the emulator's.
   */
  public static EnclaveRun served(
      long cid, Bind volume, String accessKeyId, String secretAccessKey, String region) {
    Map<String, String> aws = new LinkedHashMap<>();
    aws.put("AWS_ACCESS_KEY_ID", accessKeyId);
    aws.put("AWS_SECRET_ACCESS_KEY", secretAccessKey);
    aws.put("AWS_REGION", region);
    return new EnclaveRun(cid, volume, aws);
  }

  /**
   * Opens a run for the enclave at {@code cid} (already claimed from {@link CidAllocator}; released
   * at close): a fresh work directory with the parent services of {@code environment} in it. On
   * failure everything given is released, the environment closed if {@code ownsEnvironment}.
   */
  public static EnclaveRun open(long cid, EnclaveEnvironment environment, boolean ownsEnvironment)
      throws IOException {
    WorkDirectory directory = null;
    try {
      directory = WorkDirectory.create();
      HybridVsockServices services =
          HybridVsockServices.start(
              HybridVsockTransport.parent(
                  directory.vsock(), HybridVsockTransport.DEFAULT_BASE_NAME, cid),
              environment.nsm(),
              environment.info().kmsEndpoint());
      return new EnclaveRun(cid, directory, services, environment, ownsEnvironment);
    } catch (IOException | RuntimeException e) {
      new EnclaveRun(cid, directory, null, environment, ownsEnvironment).close();
      throw e;
    }
  }

  /** The enclave's CID. */
  public long cid() {
    return cid;
  }

  /**
   * The environment serving the enclave.
   *
   * @throws IllegalStateException when an emulator container serves it
   */
  public EnclaveEnvironment environment() {
    requireLocal();
    return environment;
  }

  /**
   * The parent services (and through them the parent transport).
   *
   * @throws IllegalStateException when an emulator container serves the enclave
   */
  public HybridVsockServices services() {
    requireLocal();
    return services;
  }

  /**
   * The mount of the hybrid vsock directory (or the emulator's volume) at {@code containerPath}.
   */
  public Bind bind(String containerPath) {
    return volume != null
        ? new Bind(volume.getPath(), new com.github.dockerjava.api.model.Volume(containerPath))
        : directory.bind(containerPath);
  }

  /**
   * An empty read-only file mounted at {@code containerPath} (for {@code /dev/nsm} under the
   * supervisor); empty when an emulator container serves the enclave (no local directory).
   */
  public Optional<Bind> emptyFileBind(String containerPath) throws IOException {
    if (directory == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Bind(
            directory.emptyFile().toString(),
            new com.github.dockerjava.api.model.Volume(containerPath),
            AccessMode.ro));
  }

  /**
   * Boot heartbeats ({@code 0xB7} on {@code 3:9000}) this run's parent services answered; empty
   * when an emulator container serves the enclave.
   */
  public OptionalLong heartbeats() {
    return services == null ? OptionalLong.empty() : OptionalLong.of(services.heartbeats());
  }

  private void requireLocal() {
    if (volume != null) {
      throw new IllegalStateException(
          "an emulator container serves this enclave through the volume "
              + volume.getPath()
              + ": its NSM, KMS and parent side are there, not in this JVM (mount the volume in a parent container)");
    }
  }

  /**
   * What the enclave's process is told: emulated mode, the hybrid vsock directory at {@code
   * vsockDirectory}, its CID, and the environment's KMS mock credentials and region (the emulator's
   * own, never real ones, as a parent hands its role's credentials in).
   */
  public Map<String, String> containerEnvironment(String vsockDirectory) {
    Map<String, String> variables = new LinkedHashMap<>();
    variables.put(NitroMode.ENVIRONMENT_VARIABLE, "emulated");
    variables.put(HybridVsockTransport.DIRECTORY_ENVIRONMENT_VARIABLE, vsockDirectory);
    variables.put(VsockNetwork.LOCAL_CID_ENVIRONMENT_VARIABLE, Long.toString(cid));
    if (servedEnvironment != null) {
      variables.putAll(servedEnvironment);
      return variables;
    }
    AwsCredentials credentials = environment.info().credentials().resolveCredentials();
    variables.put("AWS_ACCESS_KEY_ID", credentials.accessKeyId());
    variables.put("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey());
    variables.put("AWS_REGION", environment.info().region());
    return variables;
  }

  /**
   * Closes the services, the owned environment and the directory, then releases the CID; idempotent
   * enough (once per run).
   */
  @Override
  public void close() {
    if (services != null) {
      services.close();
    }
    if (ownsEnvironment && environment != null) {
      try {
        environment.close();
      } catch (Exception e) {
        LOG.warn("closing the enclave container's environment failed: {}", e.toString());
      }
    }
    if (directory != null) {
      directory.delete();
    }
    if (cid != 0 && volume == null) {
      CidAllocator.release(cid);
    }
  }
}
