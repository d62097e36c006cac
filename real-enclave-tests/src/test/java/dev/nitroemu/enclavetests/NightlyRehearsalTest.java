package dev.nitroemu.enclavetests;

import static dev.nitroemu.enclavetests.Reports.child;
import static dev.nitroemu.enclavetests.Reports.testCase;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.Fixture;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.w3c.dom.Element;

/**
 * The nightly path without {@code nitro-cli}: this JVM plays the parent (the result collector and
 * the bootstrap server with instance-role-shaped credentials) on an emulated vsock network, and
 * {@link EnclaveTestRunner} runs in a child JVM as the enclave, finding the parent through {@code
 * NITRO_VSOCK_MAP} at the same vsock addresses and ports as on hardware. (The vsock echo suite
 * plays its own parent when emulated, so no echo service runs here.)
 */
@Timeout(300)
class NightlyRehearsalTest {

  private static final String FIXTURES = "dev.nitroemu.enclavetests.fixtures.";
  private static final String ACCESS_KEY_ID = "ASIAREHEARSALEXAMPLE";
  private static final String REGION = "eu-north-1";
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

  @TempDir Path work;

  private VsockNetwork parent;
  private BootstrapServer bootstrap;
  private ChildRunner runner;

  @BeforeEach
  void startParent() throws Exception {
    parent = VsockNetwork.builder().mappingFile(work.resolve("vsock-map.json")).build();
    String imds =
        "{\"Code\":\"Success\",\"AccessKeyId\":\""
            + ACCESS_KEY_ID
            + "\",\"SecretAccessKey\":\"rehearsal\","
            + "\"Token\":\"rehearsal-token\",\"Expiration\":\"2030-01-01T00:00:00Z\"}";
    bootstrap =
        BootstrapServer.builder(
                parent,
                new EnclaveBootstrap(
                    EnclaveBootstrap.Credentials.fromInstanceMetadata(
                        imds.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    Map.of("aws.region", REGION)))
            .listenAddress(VsockAddress.anyCid(EnclaveBootstrap.DEFAULT_PORT))
            .build()
            .start();
  }

  @AfterEach
  void stopParent() throws Exception {
    if (runner != null) {
      runner.destroy();
    }
    bootstrap.close();
    parent.close();
  }

  /**
   * The nightly's own run: the conformance suites (the runner's default selection) in the child,
   * their XML in {@code nitro.reports.dir} ({@code ${project.build.directory}/nitro-reports}).
   */
  @Test
  void conformanceSuitesRunInTheChildAndLandAsJUnitXml() throws Exception {
    Path reports = Path.of(System.getProperty("nitro.reports.dir", "target/nitro-reports"));
    TestPlan plan =
        LauncherFactory.create()
            .discover(
                LauncherDiscoveryRequestBuilder.request()
                    .selectors(DiscoverySelectors.selectPackage(EnclaveTestRunner.DEFAULT_PACKAGE))
                    .build());
    List<String> suites =
        plan.getRoots().stream()
            .flatMap(root -> plan.getChildren(root).stream())
            .map(suite -> suite.getLegacyReportingName())
            .sorted()
            .toList();
    long planned = plan.countTestIdentifiers(TestIdentifier::isTest);
    try (ResultCollector collector = collector(reports)) {
      runner = ChildRunner.start(List.of(), enclaveEnvironment(), List.of(), work.resolve("logs"));
      int exit = runner.waitFor(RUN_TIMEOUT);
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(exit).as(runner.output()).isEqualTo(EnclaveTestRunner.EXIT_PASSED);
      assertThat(outcome.status()).as(outcome.summary()).isEqualTo(CollectorOutcome.Status.PASSED);
      assertThat(suites)
          .contains(
              EnclaveTestRunner.DEFAULT_PACKAGE + ".NsmConformanceTest",
              EnclaveTestRunner.DEFAULT_PACKAGE + ".AttestationConformanceTest",
              EnclaveTestRunner.DEFAULT_PACKAGE + ".KmsRecipientConformanceTest",
              EnclaveTestRunner.DEFAULT_PACKAGE + ".VsockEchoConformanceTest");
      assertThat(Reports.files(reports))
          .containsExactlyElementsOf(
              suites.stream().map(suite -> "TEST-" + suite + ".xml").toList());
      assertThat((long) outcome.tests()).isEqualTo(planned);
      assertThat(outcome.failures() + outcome.errors()).isZero();
      Element nsm =
          Reports.suite(reports, EnclaveTestRunner.DEFAULT_PACKAGE + ".NsmConformanceTest");
      assertThat(
              child(
                      testCase(
                          nsm,
                          "bootPcrsRefuseExtensionAndLockingAndKeepTheirValue(Nsm, EnclaveRuntimeInfo, "
                              + "TestReporter)"),
                      "system-out")
                  .getTextContent())
          .contains("nsm.error.lockPcr0 = ReadOnlyIndex");
      Element attestation =
          Reports.suite(reports, EnclaveTestRunner.DEFAULT_PACKAGE + ".AttestationConformanceTest");
      assertThat(
              child(testCase(attestation, "hardwareDocumentsChainToTheAwsRoot(Nsm)"), "skipped")
                  .getAttribute("message"))
          .contains("only hardware documents chain to the AWS Nitro Enclaves root");
      assertThat(((Element) nsm.getElementsByTagName("property").item(0)).getAttribute("value"))
          .isEqualTo("emulated");
      assertThat(bootstrap.served()).isEqualTo(1);
    }
  }

  @Test
  void failingFixturesAreReportedAsFailuresAndTheRunnerExitsOne() throws Exception {
    Path reports = work.resolve("nitro-reports");
    try (ResultCollector collector = collector(reports)) {
      runner =
          ChildRunner.start(
              List.of(
                  "-Drehearsal.expected.accessKeyId=" + ACCESS_KEY_ID,
                  "-Drehearsal.expected.region=" + REGION),
              enclaveEnvironment(),
              List.of(
                  "--select-class",
                  FIXTURES + "MixedOutcomeFixture",
                  "--select-class",
                  FIXTURES + "FailingSetupFixture",
                  "--select-class",
                  FIXTURES + "BootstrapReceivedFixture",
                  "--select-class",
                  FIXTURES + "PassingFixture",
                  "--config",
                  Fixture.ENABLED + "=true"),
              work.resolve("logs"));
      int exit = runner.waitFor(RUN_TIMEOUT);
      CollectorOutcome outcome = collector.awaitOutcome();

      assertThat(exit).as(runner.output()).isEqualTo(EnclaveTestRunner.EXIT_FAILED);
      assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.FAILED);
      assertThat(outcome.exitCode()).isEqualTo(1);
      assertThat(outcome.problems()).isEmpty();
      assertThat(outcome.tests()).isEqualTo(11);
      assertThat(Reports.files(reports))
          .containsExactly(
              "TEST-" + FIXTURES + "BootstrapReceivedFixture.xml",
              "TEST-" + FIXTURES + "FailingSetupFixture.xml",
              "TEST-" + FIXTURES + "MixedOutcomeFixture.xml",
              "TEST-" + FIXTURES + "PassingFixture.xml");
      Element mixed = Reports.suite(reports, FIXTURES + "MixedOutcomeFixture");
      assertThat(
              List.of(
                  mixed.getAttribute("tests"),
                  mixed.getAttribute("failures"),
                  mixed.getAttribute("errors"),
                  mixed.getAttribute("skipped")))
          .containsExactly("6", "2", "1", "2");
      assertThat(child(testCase(mixed, "failsAnAssertion()"), "failure").getAttribute("message"))
          .contains("[the answer]");
      Element setup = Reports.suite(reports, FIXTURES + "FailingSetupFixture");
      assertThat(
              child(testCase(setup, FIXTURES + "FailingSetupFixture"), "error")
                  .getAttribute("message"))
          .isEqualTo("no /dev/nsm in this enclave");
      Element bootstrapped = Reports.suite(reports, FIXTURES + "BootstrapReceivedFixture");
      assertThat(
              List.of(
                  bootstrapped.getAttribute("tests"),
                  bootstrapped.getAttribute("failures"),
                  bootstrapped.getAttribute("errors")))
          .containsExactly("2", "0", "0");
      Element mode = (Element) mixed.getElementsByTagName("property").item(0);
      assertThat(mode.getAttribute("value")).isEqualTo("emulated");
      assertThat(bootstrap.served()).isEqualTo(1);
    }
  }

  private ResultCollector collector(Path reports) throws Exception {
    return ResultCollector.builder(parent)
        .listenAddress(VsockAddress.anyCid(ResultCollector.DEFAULT_PORT))
        .reportsDir(reports)
        .timeout(RUN_TIMEOUT)
        .build()
        .start();
  }

  private Map<String, String> enclaveEnvironment() {
    return Map.of(
        "NITRO_MODE",
        "emulated",
        "NITRO_VSOCK_MAP",
        work.resolve("vsock-map.json").toString(),
        "NITRO_VSOCK_CID",
        "16",
        "NITRO_RESULTS_ADDRESS",
        "vsock://3:" + ResultCollector.DEFAULT_PORT,
        "NITRO_BOOTSTRAP_ADDRESS",
        "vsock://3:" + EnclaveBootstrap.DEFAULT_PORT);
  }
}
