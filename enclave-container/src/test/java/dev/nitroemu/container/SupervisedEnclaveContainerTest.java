package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.model.HostConfig;
import dev.nitroemu.container.internal.SupervisedLaunch;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A non-Java enclave image (a static C program, no nitro-emu code) run by {@link EnclaveContainer}
 * under {@code nitro-emu-init}: /dev/nsm and AF_VSOCK emulated, against the container's own
 * environment, with the shipped seccomp profile and no other privilege.
 */
@RequiresDocker
class SupervisedEnclaveContainerTest {

  private static final Duration RUN = Duration.ofSeconds(60);
  private static final long ECHO_PORT = 5005;

  @BeforeAll
  static void probeAvailable() {
    assumeThat(SupervisorBinary.unavailableReason()).as("nitro-emu-init cannot run here").isEmpty();
    assumeThat(NativeProbeImage.unavailableReason()).as("the C probe").isEmpty();
  }

  @Test
  void describeNsmThroughDevNsmWithNoPrivilegeBeyondTheProfile() throws Exception {
    try (EnclaveContainer enclave =
        new EnclaveContainer(NativeProbeImage.image()).withSupervisor()) {
      enclave.start();
      String console = finished(enclave);

      NsmResponse response = NsmCodec.decodeResponse(NativeProbeImage.bytes(console, "response"));
      assertThat(response)
          .isEqualTo(new NsmResponse.DescribeNsm(enclave.environment().nsm().describeNsm()));
      // nitro-emu-init's boot heartbeat reached this run's parent services before the command ran
      assertThat(enclave.heartbeats()).hasValue(1);
      HostConfig host =
          enclave
              .getDockerClient()
              .inspectContainerCmd(enclave.getContainerId())
              .exec()
              .getHostConfig();
      assertThat(host.getPrivileged()).isNotEqualTo(Boolean.TRUE);
      assertThat(host.getCapAdd()).isNullOrEmpty();
      assertThat(host.getNetworkMode()).isEqualTo("none");
      assertThat(host.getSecurityOpts()).singleElement().asString().startsWith("seccomp=");
      for (String device : List.of("/dev/nsm", "/dev/vsock")) {
        assertThat(host.getBinds())
            .anySatisfy(
                bind -> {
                  assertThat(bind.getVolume().getPath()).isEqualTo(device);
                  assertThat(bind.getAccessMode().toString()).isEqualTo("ro");
                });
      }
      var config =
          enclave
              .getDockerClient()
              .inspectContainerCmd(enclave.getContainerId())
              .exec()
              .getConfig();
      List<String> argv = new java.util.ArrayList<>(List.of(config.getEntrypoint()));
      argv.addAll(List.of(config.getCmd()));
      assertThat(argv.get(0)).isEqualTo("/nitro-emu-init");
      assertThat(argv)
          .containsSequence("--cid", Long.toString(enclave.enclaveCid()))
          .endsWith("--", "/probe", "describe"); // the image's CMD, under the supervisor
    }
  }

  @Test
  void attestationWithANonceVerifiesInTheJvmWithTheImageMeasurements() throws Exception {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    try (EnclaveContainer enclave =
        new EnclaveContainer(NativeProbeImage.image())
            .withSupervisor()
            .withCommand("/probe", "attest", HexFormat.of().formatHex(nonce))) {
      enclave.start();
      String console = finished(enclave);

      NsmResponse response = NsmCodec.decodeResponse(NativeProbeImage.bytes(console, "response"));
      assertThat(response).isInstanceOf(NsmResponse.Attestation.class);
      VerifiedAttestation verified =
          enclave
              .environment()
              .verifier()
              .verify(
                  ((NsmResponse.Attestation) response).document(),
                  VerificationOptions.defaults().expectNonce(nonce));
      assertThat(verified.document().nonce()).isEqualTo(nonce);
      assertThat(verified.document().pcrs().get(0)).isEqualTo(enclave.measurements().pcr0());
    }
  }

  @Test
  void vsockEchoWithTheParent() throws Exception {
    EchoingEnclave enclave = new EchoingEnclave();
    try (enclave) {
      enclave.start();
      String console = finished(enclave);

      assertThat(NativeProbeImage.result(console, "connect")).isEqualTo("OK");
      assertThat(NativeProbeImage.result(console, "echo")).isEqualTo("hello-from-c");
    } finally {
      enclave.closeListener();
    }
  }

  @Test
  void imagesWithoutTheJavaRuntimeLabelAreSupervisedAutomatically() throws Exception {
    try (EnclaveContainer enclave = new EnclaveContainer(NativeProbeImage.image())) {
      enclave.start();
      String console = finished(enclave);

      assertThat(enclave.supervised()).isTrue();
      assertThat(NsmCodec.decodeResponse(NativeProbeImage.bytes(console, "response")))
          .isInstanceOf(NsmResponse.DescribeNsm.class);
    }
    Map<String, String> javaLabels =
        new EnclaveContainer(ProbeImages.probe())
            .getDockerClient()
            .inspectImageCmd(ProbeImages.probe().get())
            .exec()
            .getConfig()
            .getLabels();
    assertThat(javaLabels)
        .containsEntry(JavaEnclaveImage.RUNTIME_LABEL, JavaEnclaveImage.RUNTIME_LABEL_VALUE);
    assertThat(SupervisedLaunch.wanted(null, javaLabels)).isFalse();
  }

  @Test
  void aProfileDenyingAfVsockFailsClearlyAndTheShippedOnePasses() throws Exception {
    String denying = denyingAfVsock(SupervisedLaunch.shippedProfile());
    try (EnclaveContainer denied =
        new EnclaveContainer(NativeProbeImage.image())
            .withSupervisor()
            .withSeccompProfile(denying)
            .withCommand("/probe", "connect", "5006")) {
      assertThatThrownBy(denied::start)
          .isInstanceOf(VsockDeniedException.class)
          .hasMessageStartingWith(SupervisorBinary.VSOCK_DENIED_PREFIX)
          .hasMessageContaining("seccomp");
    }
    try (EnclaveContainer shipped =
        new EnclaveContainer(NativeProbeImage.image())
            .withSupervisor()
            .withSeccompProfile(SupervisedLaunch.shippedProfile())) {
      shipped.start();
      String console = finished(shipped);
      assertThat(NsmCodec.decodeResponse(NativeProbeImage.bytes(console, "response")))
          .isInstanceOf(NsmResponse.DescribeNsm.class);
    }
  }

  /**
   * {@code profile} with {@code socket} allowed only for {@code arg0 != AF_VSOCK}, as moby's
   * upstream default profile has it.
   */
  private static String denyingAfVsock(String profile) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = (ObjectNode) json.readTree(profile);
    ArrayNode rules = (ArrayNode) root.get("syscalls");
    for (var rule : rules) {
      ArrayNode names = (ArrayNode) rule.get("names");
      for (int i = 0; i < names.size(); i++) {
        if (names.get(i).asText().equals("socket")) {
          names.remove(i);
          break;
        }
      }
    }
    ObjectNode socket = rules.addObject();
    socket.putArray("names").add("socket");
    socket.put("action", "SCMP_ACT_ALLOW");
    socket.putArray("args").addObject().put("index", 0).put("value", 40).put("op", "SCMP_CMP_NE");
    return json.writeValueAsString(root);
  }

  private static String finished(EnclaveContainer enclave) throws InterruptedException {
    return finished(enclave, 0);
  }

  /** Waits for the probe to end with {@code exitCode} and returns its whole output. */
  private static String finished(EnclaveContainer enclave, int exitCode)
      throws InterruptedException {
    Optional<EnclaveTermination> ended = enclave.awaitTermination(RUN);
    String console = enclave.getLogs();
    assertThat(ended).as(console).isPresent();
    assertThat(ended.get().exitCode()).as(console).isEqualTo(exitCode);
    return console;
  }

  /**
   * The probe's {@code echo} against a parent listener opened once the container exists (before the
   * probe runs): one connection, its bytes sent back.
   */
  private static final class EchoingEnclave extends EnclaveContainer {
    private VsockListener listener;

    EchoingEnclave() {
      super(NativeProbeImage.image());
      withSupervisor().withCommand("/probe", "echo", Long.toString(ECHO_PORT), "hello-from-c");
    }

    @Override
    protected void containerIsCreated(String containerId) {
      try {
        listener = listenOnParent(ECHO_PORT);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      Thread echo = new Thread(this::echoOnce, "parent-echo");
      echo.setDaemon(true);
      echo.start();
    }

    private void echoOnce() {
      try (VsockConnection connection = listener.accept()) {
        InputStream in = connection.inputStream();
        OutputStream out = connection.outputStream();
        byte[] buffer = new byte[256];
        int n = in.read(buffer);
        if (n > 0) {
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // the test's assertion on the probe's output reports it
      }
    }

    void closeListener() throws IOException {
      if (listener != null) {
        listener.close();
      }
    }
  }
}
