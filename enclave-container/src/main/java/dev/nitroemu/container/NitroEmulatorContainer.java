package dev.nitroemu.container;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Volume;
import dev.nitroemu.container.internal.JlinkRuntime;
import dev.nitroemu.enclave.HybridVsockTransport;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The emulator itself in a container ({@link NitroEmulatorImage}): {@code nitro-emu start} with the
 * KMS mock published on a mapped port and the NSM service and KMS vsock-proxy on a hybrid vsock
 * directory that is a <b>Docker volume</b>, not a host path, so it works with a remote Docker
 * daemon ({@code DOCKER_HOST} elsewhere): an {@link EnclaveContainer} given {@link
 * EnclaveContainer#withEmulator(NitroEmulatorContainer)} mounts the same volume, and so can any
 * other container speaking hybrid vsock (a parent app in a compose-style stack). For users whose
 * parent side is not a JVM test; one emulator serves one enclave (CID {@link #enclaveCid()}).
 */
public class NitroEmulatorContainer extends GenericContainer<NitroEmulatorContainer> {

  /** The KMS mock's port inside the container (published on a random host port). */
  public static final int KMS_PORT = 4599;

  /** Where the hybrid vsock volume is mounted, in this container and in enclave containers. */
  public static final String VSOCK_DIRECTORY = "/run/nitro-vsock";

  /**
   * The access key id the KMS mock accepts (the emulator's own, with secret {@value
   * #SECRET_ACCESS_KEY}).
   */
  public static final String ACCESS_KEY_ID = "test";

  /** The secret key the KMS mock accepts. */
  public static final String SECRET_ACCESS_KEY = "test";

  private static final Logger LOG = LoggerFactory.getLogger(NitroEmulatorContainer.class);
  private static final Duration STARTUP = Duration.ofSeconds(120);

  private final String volume = "nitro-vsock-" + UUID.randomUUID().toString().substring(0, 12);
  private long enclaveCid = HybridVsockTransport.DEFAULT_ENCLAVE_CID;
  private String region = "us-east-1";

  /** The emulator from a local image, e.g. {@link NitroEmulatorImage#build}'s result. */
  public NitroEmulatorContainer(String imageName) {
    super(DockerImageName.parse(imageName));
    withExposedPorts(KMS_PORT);
    waitingFor(Wait.forLogMessage(".*nitro-emu: ready.*", 1).withStartupTimeout(STARTUP));
    withLogConsumer(frame -> LOG.debug("nitro-emu: {}", frame.getUtf8StringWithoutLineEnding()));
  }

  /** The CID of the enclave the volume serves (default 16). */
  public NitroEmulatorContainer withEnclaveCid(long cid) {
    if (cid < 4) {
      throw new IllegalArgumentException("an enclave CID must be 4 or more, was " + cid);
    }
    this.enclaveCid = cid;
    return self();
  }

  /** The KMS region (default {@code us-east-1}). */
  public NitroEmulatorContainer withRegion(String kmsRegion) {
    this.region = kmsRegion;
    return self();
  }

  /** The name of the Docker volume holding the hybrid vsock directory. */
  public String vsockVolume() {
    return volume;
  }

  /** The CID of the enclave served through {@link #vsockVolume()}. */
  public long enclaveCid() {
    return enclaveCid;
  }

  /** The KMS region. */
  public String region() {
    return region;
  }

  /** The bind of {@link #vsockVolume()} at {@value #VSOCK_DIRECTORY}. */
  public Bind vsockBind() {
    return new Bind(volume, new Volume(VSOCK_DIRECTORY));
  }

  /** The KMS mock as the test JVM (or any client of the Docker host) reaches it. */
  public URI kmsEndpoint() {
    return URI.create("http://" + getHost() + ":" + getMappedPort(KMS_PORT));
  }

  /** The emulator root CA in PEM, as {@code nitro-emu ca export} prints it inside the container. */
  public String rootCertificatePem() {
    try {
      ExecResult result =
          execInContainer(
              JlinkRuntime.JAVA_HOME + "/bin/java", "-jar", NitroEmulatorImage.JAR, "ca", "export");
      if (result.getExitCode() != 0) {
        throw new IllegalStateException(
            "nitro-emu ca export failed ("
                + result.getExitCode()
                + "): "
                + result.getStderr().strip());
      }
      return result.getStdout();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run nitro-emu ca export in the emulator container", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the emulator root", e);
    }
  }

  /** The emulator root CA that attestation documents of its NSM chain to. */
  public X509Certificate rootCertificate() {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(
                  new ByteArrayInputStream(
                      rootCertificatePem().getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      throw new IllegalStateException("the emulator printed no valid root certificate", e);
    }
  }

  @Override
  protected void configure() {
    getDockerClient().createVolumeCmd().withName(volume).exec();
    setBinds(new ArrayList<>(List.of(vsockBind())));
    List<String> command =
        new ArrayList<>(
            List.of(
                "start",
                "--ephemeral",
                "--kms-bind",
                "0.0.0.0",
                "--vsock-dir",
                VSOCK_DIRECTORY,
                "--enclave-cid",
                Long.toString(enclaveCid),
                "--region",
                region));
    if (!"localhost".equals(getHost())) {
      command.addAll(List.of("--kms-host", getHost())); // a remote daemon: clients name its host
    }
    setCommand(command.toArray(String[]::new));
  }

  @Override
  protected void containerIsStopped(InspectContainerResponse containerInfo) {
    try {
      getDockerClient().removeVolumeCmd(volume).exec();
    } catch (RuntimeException e) {
      LOG.warn(
          "the vsock volume {} stays (an enclave container may still use it): {}",
          volume,
          e.toString());
    }
  }
}
