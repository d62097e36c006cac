package dev.nitroemu.enclavetests.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.Fixture;
import dev.nitroemu.enclave.FramedMessageClient;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclavetests.EnclaveBootstrap;
import dev.nitroemu.enclavetests.VsockResultStreamer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

@Timeout(60)
class CollectorCommandTest {

  private static final String IMDS =
      "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAEXAMPLEEXAMPLE02\","
          + "\"SecretAccessKey\":\"s3cr3t\",\"Token\":\"T0KEN\",\"Expiration\":\"2026-05-01T16:00:00Z\"}";

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private VsockNetwork enclave;

  /**
   * The command builds its transport from nitro.mode and nitro.vsock.map, as on a parent instance.
   */
  @BeforeEach
  void emulatedParent() {
    Path map = dir.resolve("vsock-map.json");
    System.setProperty(NitroMode.PROPERTY, "emulated");
    System.setProperty(VsockNetwork.MAPPING_FILE_PROPERTY, map.toString());
    enclave = VsockNetwork.builder().mappingFile(map).localCid(16).build();
  }

  @AfterEach
  void restore() throws Exception {
    enclave.close();
    System.clearProperty(NitroMode.PROPERTY);
    System.clearProperty(VsockNetwork.MAPPING_FILE_PROPERTY);
  }

  @Test
  void collectsARunAndServesTheBootstrapAndEchoOnTheSameTransport() throws Exception {
    Path measurements =
        Files.writeString(dir.resolve("measurements.json"), "{\"Measurements\":{\"PCR0\":\"00\"}}");
    Path reports = dir.resolve("reports");
    CompletableFuture<Integer> exit =
        runAsync(
            new ByteArrayInputStream(IMDS.getBytes(StandardCharsets.UTF_8)),
            "--reports-dir",
            reports.toString(),
            "--port",
            "5005",
            "--timeout",
            "30s",
            "--echo-port",
            "5006",
            "--bootstrap-port",
            "8001",
            "--credentials-stdin",
            "--property",
            "aws.region=us-west-2",
            "--property-file",
            "nitro.enclave.measurements=" + measurements);

    EnclaveBootstrap bootstrap =
        EnclaveBootstrap.fetch(
            enclave, VsockAddress.of(3, 8001), Duration.ofSeconds(20), Clock.systemUTC());
    assertThat(bootstrap.credentials().accessKeyId()).isEqualTo("ASIAEXAMPLEEXAMPLE02");
    assertThat(bootstrap.properties())
        .containsEntry("aws.region", "us-west-2")
        .containsEntry("nitro.enclave.measurements", "{\"Measurements\":{\"PCR0\":\"00\"}}");
    try (FramedMessageClient echo =
        FramedMessageClient.connect(enclave, VsockAddress.of(3, 5006), Duration.ofSeconds(5))) {
      assertThat(echo.call("ping".getBytes(StandardCharsets.UTF_8)))
          .asString(StandardCharsets.UTF_8)
          .isEqualTo("ping");
    }
    VsockResultStreamer streamer =
        new VsockResultStreamer(
            enclave, VsockAddress.of(3, 5005), NitroMode.EMULATED, Clock.systemUTC());
    LauncherFactory.create(
            LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build())
        .execute(
            LauncherDiscoveryRequestBuilder.request()
                .selectors(
                    DiscoverySelectors.selectClass(
                        "dev.nitroemu.enclavetests.fixtures.PassingFixture"))
                .configurationParameter(Fixture.ENABLED, "true")
                .build(),
            streamer);

    assertThat(exit.get(30, TimeUnit.SECONDS)).isZero();
    assertThat(text(out))
        .contains(
            "nitro-collector: ready",
            "PASSED: 1 run, 2 tests",
            "wrote "
                + reports.resolve("TEST-dev.nitroemu.enclavetests.fixtures.PassingFixture.xml"))
        .doesNotContain("s3cr3t", "T0KEN");
  }

  @Test
  void noResultsBeforeTheTimeoutExitsThree() throws Exception {
    int exit =
        run(
            InputStream.nullInputStream(),
            "--reports-dir",
            dir.resolve("r").toString(),
            "--timeout",
            "200ms");

    assertThat(exit).isEqualTo(3);
    assertThat(text(err)).contains("NO_RESULTS: 0 runs, 0 tests", "no run arrived within PT0.2S");
  }

  @Test
  void usageErrorsExitTwo() {
    assertThat(run(InputStream.nullInputStream())).isEqualTo(2);
    assertThat(text(err)).contains("--reports-dir is required", "usage: ResultCollector");
    assertThat(
            run(
                InputStream.nullInputStream(),
                "--reports-dir",
                "r",
                "--port",
                "1",
                "--listen",
                "3:1"))
        .isEqualTo(2);
    assertThat(run(InputStream.nullInputStream(), "--reports-dir", "r", "--timeout", "-5s"))
        .isEqualTo(2);
    assertThat(
            run(
                new ByteArrayInputStream("{}".getBytes(StandardCharsets.UTF_8)),
                "--reports-dir",
                dir.resolve("r").toString(),
                "--bootstrap-port",
                "8001",
                "--credentials-stdin"))
        .isEqualTo(2);
    assertThat(text(err))
        .contains(
            "give --port or --listen, not both",
            "--timeout must be positive",
            "instance role credentials: accessKeyId is missing");
  }

  @Test
  void helpPrintsTheUsage() {
    assertThat(run(InputStream.nullInputStream(), "--help")).isZero();
    assertThat(text(out)).startsWith("usage: ResultCollector");
  }

  private CompletableFuture<Integer> runAsync(InputStream stdin, String... args) {
    return CompletableFuture.supplyAsync(() -> run(stdin, args));
  }

  private int run(InputStream stdin, String... args) {
    return CollectorCommand.run(
        args,
        stdin,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private static String text(ByteArrayOutputStream buffer) {
    return buffer.toString(StandardCharsets.UTF_8);
  }
}
