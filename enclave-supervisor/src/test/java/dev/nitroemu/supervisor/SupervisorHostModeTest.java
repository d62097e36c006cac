package dev.nitroemu.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockListener;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmodified C program (raw ioctl on /dev/nsm, AF_VSOCK sockets) run on the host under
 * nitro-emu-init against an in-JVM emulator serving a hybrid vsock directory.
 */
class SupervisorHostModeTest {

  private static final Path PROBE = Path.of("target", "native-test", "nsm-vsock-probe");
  private static final long ECHO_PORT = 5005;
  private static final long CLOSED_PORT = 5006;

  @TempDir static Path directory;
  private static EnclaveEnvironment environment;
  private static HybridVsockServices services;
  private static Path supervisor;

  @BeforeAll
  static void startEmulator() throws IOException {
    assumeThat(SupervisorBinary.unavailableReason()).as("nitro-emu-init cannot run here").isEmpty();
    assumeThat(PROBE).as("the C test program was not built (no gcc and libc6-dev)").exists();
    supervisor = SupervisorBinary.extractTo(Files.createDirectories(directory.resolve("bin")));
    environment = EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start();
    Path vsock = Files.createDirectories(directory.resolve("vsock"));
    services =
        HybridVsockServices.serve(environment, vsock, EnclaveEnvironment.EMULATED_ENCLAVE_CID);
  }

  @AfterAll
  static void stopEmulator() {
    if (services != null) {
      services.close();
    }
    if (environment != null) {
      environment.close();
    }
  }

  @Test
  void describeNsmThroughDevNsmReachesTheEmulator() throws Exception {
    Run run = probe("describe");

    assertThat(run.exitCode).as(run.toString()).isZero();
    NsmResponse response = NsmCodec.decodeResponse(run.bytes("response"));
    assertThat(response).isEqualTo(new NsmResponse.DescribeNsm(environment.nsm().describeNsm()));
  }

  @Test
  void attestationWithNonceVerifiesAgainstTheEmulatorRoot() throws Exception {
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);

    Run run = probe("attest", HexFormat.of().formatHex(nonce));

    assertThat(run.exitCode).as(run.toString()).isZero();
    NsmResponse response = NsmCodec.decodeResponse(run.bytes("response"));
    assertThat(response).isInstanceOf(NsmResponse.Attestation.class);
    VerifiedAttestation verified =
        environment
            .verifier()
            .verify(
                ((NsmResponse.Attestation) response).document(),
                VerificationOptions.defaults().expectNonce(nonce));
    assertThat(verified.document().nonce()).isEqualTo(nonce);
  }

  @Test
  void nsmIoctlHasTheKernelDriverErrorSemantics() throws Exception {
    Run run = probe("errors");

    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.results)
        .containsEntry("other-command", "EINVAL")
        .containsEntry("bad-struct-pointer", "EFAULT")
        .containsEntry("request-too-large", "EMSGSIZE")
        .containsEntry("request-max-size-accepted", "OK")
        .containsEntry("bad-request-pointer", "EFAULT")
        .containsEntry("bad-response-pointer", "EFAULT")
        .containsEntry("truncated", "OK len=5")
        .containsEntry("other-fd-ioctl", "ENOTTY")
        .containsEntry("describe-after-errors", "OK");
    byte[] full = run.bytes("response");
    assertThat(NsmCodec.decodeResponse(full)).isInstanceOf(NsmResponse.DescribeNsm.class);
    assertThat(run.bytes("truncated-bytes")).isEqualTo(java.util.Arrays.copyOf(full, 5));
  }

  @Test
  void vsockConnectToTheParentCarriesBytesBothWays() throws Exception {
    try (VsockListener listener =
        services.transport().listen(VsockAddress.of(VsockAddress.CID_PARENT, ECHO_PORT))) {
      Thread echo = new Thread(() -> echoOnce(listener), "echo");
      echo.setDaemon(true);
      echo.start();

      Run run = probe("echo", Long.toString(ECHO_PORT), "hello-from-c");

      assertThat(run.exitCode).as(run.toString()).isZero();
      assertThat(run.results).containsEntry("connect", "OK").containsEntry("echo", "hello-from-c");
    }
  }

  @Test
  void vsockConnectFromASecondThreadWorks() throws Exception {
    try (VsockListener listener =
        services.transport().listen(VsockAddress.of(VsockAddress.CID_PARENT, ECHO_PORT + 2))) {
      Thread echo = new Thread(() -> echoOnce(listener), "echo");
      echo.setDaemon(true);
      echo.start();

      Run run = probe("thread-echo", Long.toString(ECHO_PORT + 2), "from-a-thread");

      assertThat(run.exitCode).as(run.toString()).isZero();
      assertThat(run.results).containsEntry("connect", "OK").containsEntry("echo", "from-a-thread");
    }
  }

  @Test
  void vsockConnectToAPortNobodyListensOnIsReset() throws Exception {
    Run run = probe("connect", Long.toString(CLOSED_PORT));

    assertThat(run.results).containsEntry("connect", "ECONNRESET");
    assertThat(run.exitCode).isEqualTo(1);
  }

  @Test
  void runsDynamicallyLinkedCommandsAndReturnsTheirExitStatus() throws Exception {
    assertThat(run(List.of("/bin/sh", "-c", "exit 7")).exitCode).isEqualTo(7);
    Run missing = run(List.of(directory.resolve("no-such-program").toString()));
    assertThat(missing.exitCode).isEqualTo(127);
    assertThat(missing.stderr).contains("nitro-emu-init:").contains("no-such-program");
  }

  private static void echoOnce(VsockListener listener) {
    try (VsockConnection connection = listener.accept()) {
      InputStream in = connection.inputStream();
      byte[] buffer = new byte[256];
      int n = in.read(buffer);
      if (n > 0) {
        connection.outputStream().write(buffer, 0, n);
        connection.outputStream().flush();
      }
    } catch (IOException e) {
      // The test's assertion on the program's output reports the failure.
    }
  }

  private static Run probe(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(PROBE.toAbsolutePath().toString()));
    command.addAll(List.of(args));
    return run(command);
  }

  private static Run run(List<String> command) throws Exception {
    List<String> full =
        new ArrayList<>(
            List.of(
                supervisor.toString(), "--vsock-dir", directory.resolve("vsock").toString(), "--"));
    full.addAll(command);
    Path out = Files.createTempFile(directory, "out", ".txt");
    Path err = Files.createTempFile(directory, "err", ".txt");
    Process process =
        new ProcessBuilder(full).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("nitro-emu-init did not finish within 60 s: " + full);
    }
    return new Run(process.exitValue(), Files.readAllLines(out), Files.readString(err));
  }

  /** A finished run: exit status, "key value" lines of the probe's stdout, and stderr. */
  private static final class Run {
    final int exitCode;
    final Map<String, String> results = new LinkedHashMap<>();
    final String stderr;

    Run(int exitCode, List<String> lines, String stderr) {
      this.exitCode = exitCode;
      this.stderr = stderr;
      for (String line : lines) {
        int space = line.indexOf(' ');
        results.put(
            space < 0 ? line : line.substring(0, space),
            space < 0 ? "" : line.substring(space + 1));
      }
    }

    byte[] bytes(String key) {
      assertThat(results).as(toString()).containsKey(key);
      return HexFormat.of().parseHex(results.get(key));
    }

    @Override
    public String toString() {
      return "exit " + exitCode + ", stdout " + results + ", stderr " + stderr;
    }
  }
}
