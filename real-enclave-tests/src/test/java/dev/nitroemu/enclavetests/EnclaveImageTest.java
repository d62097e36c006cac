package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The test-runner image and the parent scripts agree: no credentials in the image, and the vsock
 * ports the image's runner dials are the ports the parent listens on.
 */
class EnclaveImageTest {

  private static final Path DOCKERFILE = EnclaveDir.path().resolve("Dockerfile");
  private static final Path RUN_NIGHTLY = EnclaveDir.path().resolve("run-nightly.sh");

  @Test
  void theImageCarriesNoCredentials() throws IOException {
    List<String> instructions =
        Files.readAllLines(DOCKERFILE, StandardCharsets.UTF_8).stream()
            .filter(line -> !line.stripLeading().startsWith("#"))
            .map(line -> line.toLowerCase(Locale.ROOT))
            .toList();

    assertThat(instructions)
        .noneMatch(
            line ->
                line.contains("aws_access_key_id")
                    || line.contains("aws_secret_access_key")
                    || line.contains("aws_session_token")
                    || line.contains("accesskeyid")
                    || line.contains(".aws/")
                    || line.contains("secret"));
  }

  @Test
  void theRunnerDialsThePortsTheParentListensOn() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
    String script = Files.readString(RUN_NIGHTLY, StandardCharsets.UTF_8);

    assertThat(dockerfile)
        .contains("NITRO_MODE=real")
        .contains("NITRO_RESULTS_ADDRESS=vsock://3:" + ResultCollector.DEFAULT_PORT)
        .contains("NITRO_BOOTSTRAP_ADDRESS=vsock://3:" + EnclaveBootstrap.DEFAULT_PORT)
        .contains("NITRO_PARENT_ECHO_ADDRESS=vsock://3:5006")
        .contains("\"--select-package\", \"" + EnclaveTestRunner.DEFAULT_PACKAGE + "\"");
    assertThat(script)
        .contains("results_port=\"${RESULTS_PORT:-" + ResultCollector.DEFAULT_PORT + "}\"")
        .contains("bootstrap_port=\"${BOOTSTRAP_PORT:-" + EnclaveBootstrap.DEFAULT_PORT + "}\"")
        .contains("echo_port=\"${ECHO_PORT:-5006}\"")
        .contains("kms_proxy_port=\"${KMS_PROXY_PORT:-8000}\"");
  }

  @Test
  void theEnclaveRunsMeasuredNotInDebugMode() throws IOException {
    List<String> runEnclave =
        Files.readAllLines(RUN_NIGHTLY, StandardCharsets.UTF_8).stream()
            .filter(line -> !line.stripLeading().startsWith("#"))
            .toList();

    assertThat(runEnclave)
        .anyMatch(line -> line.contains("nitro-cli run-enclave"))
        .noneMatch(line -> line.contains("--debug-mode") || line.contains("--attach-console"));
  }
}
