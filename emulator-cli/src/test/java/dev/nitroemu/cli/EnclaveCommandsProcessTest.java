package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Container;
import dev.nitroemu.cli.enclaveapp.ConsoleEnclaveApp;
import dev.nitroemu.container.JavaEnclaveImage;
import dev.nitroemu.container.NativeProbeImage;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;

/**
 * nitro-cli's enclave commands against a running stack and real Docker, each command its own JVM as
 * a script runs them: run-enclave (JSON, CID, name, debug flag, --attach-console),
 * describe-enclaves, console, terminate-enclave (one and --all), and nitro-cli's exit codes for
 * what they refuse.
 */
@Timeout(600)
class EnclaveCommandsProcessTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static String stayImage;
  private static String exitImage;

  @TempDir Path dir;

  record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void buildImages(@TempDir Path classes) throws Exception {
    assumeTrue(
        DockerClientFactory.instance().isDockerAvailable(),
        "Docker is not available (no daemon at DOCKER_HOST"
            + " or /var/run/docker.sock): the enclave commands need one; .ci/run starts Debian's dockerd");
    String relative = ConsoleEnclaveApp.class.getName().replace('.', '/') + ".class";
    Path compiled =
        Path.of(ConsoleEnclaveApp.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .resolve(relative);
    Path copy = classes.resolve(relative);
    Files.createDirectories(copy.getParent());
    Files.copy(compiled, copy);
    stayImage = image(classes, "stay");
    exitImage = image(classes, "exit");
  }

  private static String image(Path classes, String mode) throws Exception {
    String name = "nitro-emu-test/cli-console-enclave:" + mode;
    JavaEnclaveImage.builder(ConsoleEnclaveApp.class.getName())
        .classes(classes)
        .arguments(mode)
        .name(name)
        .cacheDirectory(
            Path.of(
                System.getProperty(
                    "nitro.container.cache",
                    System.getProperty("java.io.tmpdir") + "/nitro-emu-container-cache")))
        .build()
        .get();
    return name;
  }

  @AfterEach
  void stopTheStack() {
    NitroEmu.execute(
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC()),
        new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()),
        "stop",
        "--state-dir",
        state());
  }

  @Test
  void runDescribeConsoleAndTerminateAsNitroCli() throws Exception {
    Run started = cli("start", "--detach", "--state-dir", state(), "--kms-port", "0");
    assertThat(started.exitCode()).as(started.err()).isZero();
    Run none = cli("describe-enclaves", "--state-dir", state());
    assertThat(none.exitCode()).as(none.err()).isZero();
    assertThat(none.out().trim()).isEqualTo("[]");

    Run ran =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            stayImage,
            "--memory",
            "128",
            "--cpu-count",
            "1",
            "--enclave-cid",
            "21",
            "--enclave-name",
            "hello",
            "--debug-mode");
    assertThat(ran.exitCode()).as(ran.err()).isZero();
    assertThat(ran.err())
        .contains("Started enclave with enclave-cid: 21, memory: 128 MiB, cpu-ids: [0]");
    JsonNode enclave = JSON.readTree(ran.out());
    List<String> fields = new ArrayList<>();
    enclave.fieldNames().forEachRemaining(fields::add);
    assertThat(fields)
        .containsExactly(
            "EnclaveName",
            "EnclaveID",
            "ProcessID",
            "EnclaveCID",
            "NumberOfCPUs",
            "CPUIDs",
            "MemoryMiB");
    assertThat(ran.out())
        .contains("\"EnclaveCID\": 21,"); // serde's pretty printer, as nitro-cli prints
    String id = enclave.path("EnclaveID").asText();
    assertThat(id).matches("i-[0-9a-f]+-enc[0-9a-f]{16}");
    assertThat(enclave.path("EnclaveName").asText()).isEqualTo("hello");
    assertThat(enclave.path("MemoryMiB").asInt()).isEqualTo(128);

    Run plain =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            stayImage,
            "--memory",
            "128",
            "--cpu-count",
            "1");
    assertThat(plain.exitCode()).as(plain.err()).isZero();
    JsonNode second = JSON.readTree(plain.out());
    assertThat(second.path("EnclaveCID").asLong()).isEqualTo(16); // the lowest free CID
    assertThat(second.path("EnclaveName").asText()).isEqualTo("cli-console-enclave");

    JsonNode described = JSON.readTree(cli("describe-enclaves", "--state-dir", state()).out());
    assertThat(described).hasSize(2);
    JsonNode first = described.get(0);
    assertThat(first.path("EnclaveID").asText()).isEqualTo(id);
    assertThat(first.path("State").asText()).isEqualTo("RUNNING");
    assertThat(first.path("Flags").asText()).isEqualTo("DEBUG_MODE");
    assertThat(described.get(1).path("Flags").asText()).isEqualTo("NONE");
    assertThat(first.path("Measurements").path("PCR0").asText()).hasSize(96);

    Run console =
        cli("console", "--state-dir", state(), "--enclave-id", id, "--disconnect-timeout", "3");
    assertThat(console.exitCode()).as(console.err()).isZero();
    assertThat(console.out())
        .contains("console enclave line 1\nconsole enclave line 2\nconsole enclave line 3\n");
    Run notDebug =
        cli("console", "--state-dir", state(), "--enclave-id", second.path("EnclaveID").asText());
    assertThat(notDebug.exitCode()).as(notDebug.err()).isEqualTo(44);
    assertThat(notDebug.err()).contains("--debug-mode");
    Run unknown =
        cli("terminate-enclave", "--state-dir", state(), "--enclave-id", "i-0-enc0000000000000000");
    assertThat(unknown.exitCode()).isEqualTo(39);
    assertThat(unknown.err()).contains("no running enclave has the ID 'i-0-enc0000000000000000'");
    Run tooSmall =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            stayImage,
            "--memory",
            "32",
            "--cpu-count",
            "1");
    assertThat(tooSmall.exitCode()).isEqualTo(26);
    Run taken =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            stayImage,
            "--memory",
            "128",
            "--cpu-count",
            "1",
            "--enclave-cid",
            "21");
    assertThat(taken.exitCode()).as(taken.out()).isEqualTo(36);
    assertThat(taken.err()).contains("21");

    Run one = cli("terminate-enclave", "--state-dir", state(), "--enclave-id", id);
    assertThat(one.exitCode()).as(one.err()).isZero();
    assertThat(JSON.readTree(one.out()).path("Terminated").asBoolean()).isTrue();
    assertThat(one.err()).contains("Successfully terminated enclave " + id);
    Run all = cli("terminate-enclave", "--state-dir", state(), "--all");
    assertThat(all.exitCode()).as(all.err()).isZero();
    assertThat(all.out())
        .contains(second.path("EnclaveID").asText())
        .contains("\"Terminated\": true");
    assertThat(cli("describe-enclaves", "--state-dir", state()).out().trim()).isEqualTo("[]");
  }

  @Test
  void attachConsoleFollowsTheEnclaveUntilItEndsAndEndedEnclavesLeaveTheList() throws Exception {
    assertThat(cli("start", "--detach", "--state-dir", state(), "--kms-port", "0").exitCode())
        .isZero();
    Run attached =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            exitImage,
            "--memory",
            "128",
            "--cpu-count",
            "1",
            "--debug-mode",
            "--attach-console");
    assertThat(attached.exitCode()).as(attached.err()).isZero();
    assertThat(attached.out()).contains("\"EnclaveID\": ").endsWith("console enclave line 3\n");
    assertThat(cli("describe-enclaves", "--state-dir", state()).out().trim()).isEqualTo("[]");
    Run noDebug =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            exitImage,
            "--memory",
            "128",
            "--cpu-count",
            "1",
            "--attach-console");
    assertThat(noDebug.exitCode()).isEqualTo(3);
  }

  @Test
  void aNonJavaImageRunsUnderTheSupervisorWithTheStacksNsm() throws Exception {
    assumeTrue(
        NativeProbeImage.unavailableReason().isEmpty(),
        () -> NativeProbeImage.unavailableReason().get());
    String image = NativeProbeImage.image().get();
    assertThat(cli("start", "--detach", "--state-dir", state(), "--kms-port", "0").exitCode())
        .isZero();
    Run attached =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            image,
            "--memory",
            "128",
            "--cpu-count",
            "1",
            "--debug-mode",
            "--attach-console");

    assertThat(attached.exitCode()).as(attached.err()).isZero();
    // The C program's raw ioctl on /dev/nsm reached the stack's NSM through nitro-emu-init.
    assertThat(NsmCodec.decodeResponse(NativeProbeImage.bytes(attached.out(), "response")))
        .isInstanceOf(NsmResponse.DescribeNsm.class);
  }

  @Test
  void theNextStartRemovesTheEnclavesOfAKilledStack() throws Exception {
    assertThat(cli("start", "--detach", "--state-dir", state(), "--kms-port", "0").exitCode())
        .isZero();
    Run ran =
        cli(
            "run-enclave",
            "--state-dir",
            state(),
            "--docker-image",
            stayImage,
            "--memory",
            "128",
            "--cpu-count",
            "1");
    assertThat(ran.exitCode()).as(ran.err()).isZero();
    long pid = StateDirectory.running(Path.of(state())).orElseThrow().pid();
    ProcessHandle stack = ProcessHandle.of(pid).orElseThrow();
    stack.destroyForcibly();
    stack.onExit().get(60, TimeUnit.SECONDS);
    assertThat(enclaveContainers()).as("the killed stack's enclave is still running").hasSize(1);

    Run restarted = cli("start", "--detach", "--state-dir", state(), "--kms-port", "0");
    assertThat(restarted.exitCode()).as(restarted.err()).isZero();
    assertThat(enclaveContainers()).isEmpty();
    assertThat(Files.readString(Path.of(state(), "stack.log")))
        .contains("removed 1 enclave container(s) left by a stack that was killed");
    assertThat(cli("describe-enclaves", "--state-dir", state()).out().trim()).isEqualTo("[]");
  }

  private List<Container> enclaveContainers() {
    return DockerClientFactory.instance()
        .client()
        .listContainersCmd()
        .withShowAll(true)
        .withLabelFilter(
            Map.of(OrphanedEnclaves.STATE_DIR_LABEL, OrphanedEnclaves.label(Path.of(state()))))
        .exec();
  }

  @Test
  void withoutAStackTheEnclaveCommandsSaySoAndExit3() throws Exception {
    Run describe = cli("describe-enclaves", "--state-dir", state());
    assertThat(describe.exitCode()).isEqualTo(3);
    assertThat(describe.err()).contains("no stack is running");
  }

  private String state() {
    return dir.resolve("state").toString();
  }

  /** Runs {@code nitro-emu ARGS} as its own JVM (bounded wait). */
  private Run cli(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                NitroEmu.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
    builder.environment().put("NITRO_EMU_HOME", dir.resolve("home").toString());
    builder.environment().remove("NITRO_VSOCK_MAP");
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!process.waitFor(180, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(
          "nitro-emu " + String.join(" ", args) + " did not finish: " + Files.readString(err));
    }
    return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
  }
}
