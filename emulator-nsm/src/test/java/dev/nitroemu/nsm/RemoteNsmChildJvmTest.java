package dev.nitroemu.nsm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VerificationOptions;
import dev.nitroemu.enclave.VerifiedAttestation;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second JVM reaches the NSM service by vsock address alone and gets a document the verifier
 * accepts.
 */
@Timeout(120)
@SuppressWarnings("try") // Servers opened only to be running during the try block.
class RemoteNsmChildJvmTest {
  private static final long CHILD_TIMEOUT_SECONDS = 90;

  @TempDir Path dir;

  @Test
  void childJvmGetsAVerifiableDocumentByVsockAddressAlone() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    Path output = dir.resolve("attestation.cbor");
    byte[] nonce = new byte[32];
    new SecureRandom().nextBytes(nonce);
    SoftwareNsm nsm = SoftwareNsm.create();
    try (VsockNetwork network = VsockNetwork.builder().mappingFile(map).build();
        NsmVsockServer server =
            NsmVsockServer.start(
                nsm,
                network,
                VsockAddress.of(VsockAddress.CID_PARENT, NsmVsockServer.DEFAULT_PORT))) {
      assertThat(Files.readString(map)).contains("\"3:9797\"");

      ChildResult child = runChild(map, output, nonce);

      assertThat(child.exitCode())
          .as("child exit code; stdout:%n%s%nstderr:%n%s", child.stdout(), child.stderr())
          .isZero();
      assertThat(child.stdout()).contains("attested by vsock://3:9797");
    }

    byte[] document = Files.readAllBytes(output);
    VerifiedAttestation verified =
        AttestationVerifier.forRoot(nsm.rootCa().certificate())
            .verify(document, VerificationOptions.defaults().expectNonce(nonce));
    assertThat(verified.document().moduleId()).isEqualTo(nsm.moduleId());
    assertThat(verified.document().nonce()).isEqualTo(nonce);
  }

  private ChildResult runChild(Path map, Path output, byte[] nonce)
      throws IOException, InterruptedException {
    Path stdout = dir.resolve("child.out");
    Path stderr = dir.resolve("child.err");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    java,
                    "-cp",
                    testClassPath(),
                    ChildEnclaveApp.class.getName(),
                    output.toString(),
                    HexFormat.of().formatHex(nonce)))
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile());
    Map<String, String> environment = builder.environment();
    // The address stays the default (vsock://3:9797); only the mapping file tells the child where
    // it is.
    environment.remove(RemoteNsm.ADDRESS_ENVIRONMENT_VARIABLE);
    environment.remove(VsockNetwork.LOCAL_CID_ENVIRONMENT_VARIABLE);
    environment.remove("JAVA_TOOL_OPTIONS");
    environment.put(VsockNetwork.MAPPING_FILE_ENVIRONMENT_VARIABLE, map.toString());
    Process process = builder.start();
    try {
      if (!process.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        throw new AssertionError(
            "child JVM did not finish within "
                + CHILD_TIMEOUT_SECONDS
                + " s; stderr:\n"
                + Files.readString(stderr, StandardCharsets.UTF_8));
      }
      return new ChildResult(
          process.exitValue(),
          Files.readString(stdout, StandardCharsets.UTF_8),
          Files.readString(stderr, StandardCharsets.UTF_8));
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The test classpath: Surefire's manifest-only jar hides it from {@code java.class.path} but
   * publishes it as {@code surefire.test.class.path}.
   */
  private static String testClassPath() {
    String surefire = System.getProperty("surefire.test.class.path");
    return surefire != null && !surefire.isBlank()
        ? surefire
        : System.getProperty("java.class.path");
  }

  private record ChildResult(int exitCode, String stdout, String stderr) {}
}
