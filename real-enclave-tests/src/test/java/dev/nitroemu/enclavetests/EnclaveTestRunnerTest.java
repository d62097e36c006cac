package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.Fixture;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class EnclaveTestRunnerTest {

  private static final String FIXTURES = "dev.nitroemu.enclavetests.fixtures.";

  private final VsockNetwork network = VsockNetwork.create();
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  @TempDir Path reports;

  @AfterEach
  void cleanUp() throws Exception {
    network.close();
    for (String name :
        new String[] {
          "aws.accessKeyId",
          "aws.secretAccessKey",
          "aws.sessionToken",
          "aws.region",
          "rehearsal.expected.accessKeyId",
          "rehearsal.expected.region"
        }) {
      System.clearProperty(name);
    }
  }

  @Test
  void passingSelectionIsDeliveredAndExitsZero() throws Exception {
    try (ResultCollector collector = collector()) {
      int exit =
          run("--select-class", FIXTURES + "PassingFixture", "--results", address(collector));

      assertThat(exit).isEqualTo(EnclaveTestRunner.EXIT_PASSED);
      assertThat(collector.awaitOutcome().status()).isEqualTo(CollectorOutcome.Status.PASSED);
      assertThat(text(out)).contains("nitro runner: mode emulated, 2 tests, results to vsock://3:");
    }
  }

  @Test
  void aFailingTestExitsOneAndReachesTheCollector() throws Exception {
    try (ResultCollector collector = collector()) {
      int exit =
          run("--select-class", FIXTURES + "MixedOutcomeFixture", "--results", address(collector));

      assertThat(exit).isEqualTo(EnclaveTestRunner.EXIT_FAILED);
      CollectorOutcome outcome = collector.awaitOutcome();
      assertThat(outcome.failures()).isEqualTo(2);
      assertThat(outcome.errors()).isEqualTo(1);
    }
  }

  @Test
  void theBootstrapIsAppliedBeforeTheTestsRun() throws Exception {
    System.setProperty("rehearsal.expected.accessKeyId", "ASIAEXAMPLEEXAMPLE01");
    System.setProperty("rehearsal.expected.region", "eu-central-1");
    EnclaveBootstrap bootstrap =
        new EnclaveBootstrap(
            EnclaveBootstrapTest.imdsCredentials(), Map.of("aws.region", "eu-central-1"));
    try (BootstrapServer server =
        BootstrapServer.builder(network, bootstrap)
            .listenAddress(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY))
            .build()
            .start()) {
      int exit =
          run(
              "--select-class",
              FIXTURES + "BootstrapReceivedFixture",
              "--bootstrap",
              server.localAddress().withCid(VsockAddress.CID_PARENT).toString());

      assertThat(exit).isEqualTo(EnclaveTestRunner.EXIT_PASSED);
      assertThat(text(out))
          .contains("credentials received, properties [aws.region]")
          .doesNotContain("s3cr3t", "IQoJb3JpZ2lu");
    }
  }

  @Test
  void aMissingBootstrapServerStopsTheRunWithExitThree() {
    int exit =
        run(
            "--select-class",
            FIXTURES + "PassingFixture",
            "--bootstrap",
            "vsock://3:8001",
            "--bootstrap-timeout",
            "1s");

    assertThat(exit).isEqualTo(EnclaveTestRunner.EXIT_UNDELIVERED);
    assertThat(text(err)).contains("nitro runner: no bootstrap from vsock://3:8001");
  }

  @Test
  void undeliverableResultsExitThreeEvenWhenTestsPass() {
    int exit =
        EnclaveTestRunner.run(
            List.of(
                "--select-class",
                FIXTURES + "PassingFixture",
                "--results",
                "vsock://3:5999",
                "--config",
                Fixture.ENABLED + "=true"),
            network,
            NitroMode.EMULATED,
            print(out),
            print(err),
            FixtureLauncher.steppingClock(VsockResultStreamer.CONNECT_DEADLINE.plusSeconds(1)));

    assertThat(exit).isEqualTo(EnclaveTestRunner.EXIT_UNDELIVERED);
    assertThat(text(err)).contains("results were not delivered");
  }

  @Test
  void anEmptySelectionExitsFour() {
    assertThat(run("--select-package", "dev.nitroemu.nothing.here"))
        .isEqualTo(EnclaveTestRunner.EXIT_NO_TESTS);
  }

  @Test
  void badArgumentsPrintTheUsageAndExitTwo() {
    assertThat(run("--bogus")).isEqualTo(EnclaveTestRunner.EXIT_USAGE);
    assertThat(text(err)).contains("unknown option --bogus", "usage: EnclaveTestRunner");
    assertThat(run("--config", "novalue")).isEqualTo(EnclaveTestRunner.EXIT_USAGE);
    assertThat(run("--results", "vsock://three:5005")).isEqualTo(EnclaveTestRunner.EXIT_USAGE);
    assertThat(run("--bootstrap-timeout", "soon")).isEqualTo(EnclaveTestRunner.EXIT_USAGE);
    assertThat(text(err))
        .contains(
            "--config takes KEY=VALUE",
            "vsock cid must be an unsigned decimal number",
            "--bootstrap-timeout must be a duration");
  }

  private ResultCollector collector() throws Exception {
    return ResultCollector.builder(network)
        .listenAddress(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY))
        .reportsDir(reports)
        .timeout(Duration.ofSeconds(30))
        .build()
        .start();
  }

  /** Runs the runner on fixtures, which it runs only when told so. */
  private int run(String... args) {
    List<String> withFixtures = new ArrayList<>(List.of(args));
    withFixtures.addAll(List.of("--config", Fixture.ENABLED + "=true"));
    return EnclaveTestRunner.run(
        withFixtures, network, NitroMode.EMULATED, print(out), print(err), Clock.systemUTC());
  }

  private static String address(ResultCollector collector) {
    return collector.localAddress().withCid(VsockAddress.CID_PARENT).toString();
  }

  private static PrintStream print(ByteArrayOutputStream buffer) {
    return new PrintStream(buffer, true, StandardCharsets.UTF_8);
  }

  private static String text(ByteArrayOutputStream buffer) {
    return buffer.toString(StandardCharsets.UTF_8);
  }
}
