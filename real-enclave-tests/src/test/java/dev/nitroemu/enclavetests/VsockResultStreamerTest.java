package dev.nitroemu.enclavetests;

import static dev.nitroemu.enclavetests.Reports.child;
import static dev.nitroemu.enclavetests.Reports.testCase;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.launcher.TestExecutionListener;
import org.w3c.dom.Element;

@Timeout(60)
class VsockResultStreamerTest {

  private static final String MIXED = "dev.nitroemu.enclavetests.fixtures.MixedOutcomeFixture";
  private static final String SETUP = "dev.nitroemu.enclavetests.fixtures.FailingSetupFixture";
  private static final String PASSING = "dev.nitroemu.enclavetests.fixtures.PassingFixture";

  private final VsockNetwork network = VsockNetwork.create();

  @TempDir Path reports;

  @AfterEach
  void closeNetwork() throws Exception {
    network.close();
  }

  @Test
  void everyOutcomeArrivesWithItsStatusAndFailureDetails() throws Exception {
    CollectorOutcome outcome = streamAndCollect(MIXED);

    assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.FAILED);
    assertThat(outcome.tests()).isEqualTo(6);
    assertThat(outcome.failures()).isEqualTo(2);
    assertThat(outcome.errors()).isEqualTo(1);
    assertThat(outcome.skipped()).isEqualTo(2);
    Element suite = Reports.suite(reports, MIXED);
    assertThat(child(testCase(suite, "passes(TestReporter)"), "failure")).isNull();
    assertThat(child(testCase(suite, "passes(TestReporter)"), "system-out").getTextContent())
        .isEqualTo("observed = 4 PCRs & <more>\n");
    Element failure = child(testCase(suite, "failsAnAssertion()"), "failure");
    assertThat(failure.getAttribute("message")).contains("[the answer]", "42");
    assertThat(failure.getAttribute("type")).isEqualTo("org.opentest4j.AssertionFailedError");
    assertThat(failure.getTextContent()).contains("MixedOutcomeFixture.failsAnAssertion");
    Element error = child(testCase(suite, "throwsAnException()"), "error");
    assertThat(error.getAttribute("type")).isEqualTo("java.lang.IllegalStateException");
    assertThat(error.getAttribute("message")).isEqualTo("the enclave ran out of entropy");
    assertThat(child(testCase(suite, "abortsOnAnAssumption()"), "skipped").getAttribute("message"))
        .contains("only on Tuesdays");
    assertThat(child(testCase(suite, "isSkippedByACondition()"), "skipped").getAttribute("message"))
        .contains("nitro.fixture.never.set");
    assertThat(
            child(testCase(suite, "failsWithHostileMessage()"), "failure").getAttribute("message"))
        .isEqualTo("<b>&amp;</b> ]]> \uFFFD \uD83D\uDE80");
    assertThat(suite.getElementsByTagName("property").getLength()).isEqualTo(3);
  }

  @Test
  void aFailingClassSetupIsReportedEvenThoughNoTestRan() throws Exception {
    CollectorOutcome outcome = streamAndCollect(SETUP);

    assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.FAILED);
    assertThat(outcome.errors()).isEqualTo(1);
    Element error = child(testCase(Reports.suite(reports, SETUP), SETUP), "error");
    assertThat(error.getAttribute("message")).isEqualTo("no /dev/nsm in this enclave");
  }

  @Test
  void passingRunIsReportedAsPassedWithRunProperties() throws Exception {
    CollectorOutcome outcome = streamAndCollect(PASSING);

    assertThat(outcome.status()).isEqualTo(CollectorOutcome.Status.PASSED);
    assertThat(outcome.exitCode()).isZero();
    assertThat(outcome.tests()).isEqualTo(2);
    Element suite = Reports.suite(reports, PASSING);
    assertThat(suite.getAttribute("tests")).isEqualTo("2");
    Element mode = (Element) suite.getElementsByTagName("property").item(0);
    assertThat(mode.getAttribute("name")).isEqualTo("nitro.mode");
    assertThat(mode.getAttribute("value")).isEqualTo("emulated");
  }

  @Test
  void unreachableCollectorIsReportedAsAFailureWithoutStoppingTheTests() {
    VsockResultStreamer streamer =
        new VsockResultStreamer(
            network,
            VsockAddress.of(3, 5999),
            NitroMode.EMULATED,
            FixtureLauncher.steppingClock(VsockResultStreamer.CONNECT_DEADLINE.plusSeconds(1)));
    FixtureLauncher.CountingListener counter = new FixtureLauncher.CountingListener();

    FixtureLauncher.run(PASSING, streamer, counter);

    assertThat(streamer.failure())
        .hasValueSatisfying(e -> assertThat(e).hasMessageContaining("Connection refused"));
    assertThat(counter.finishedTests).isEqualTo(2);
    assertThat(streamer.sentResults()).isZero();
  }

  @Test
  void serviceLoadedStreamerStaysInertWithoutAnAddress() {
    assertThat(System.getProperty(VsockResultStreamer.ADDRESS_PROPERTY)).isNull();
    assertThat(System.getenv(VsockResultStreamer.ADDRESS_ENVIRONMENT_VARIABLE)).isNull();
    VsockResultStreamer loaded =
        ServiceLoader.load(TestExecutionListener.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(VsockResultStreamer.class::isInstance)
            .map(VsockResultStreamer.class::cast)
            .findFirst()
            .orElseThrow();

    FixtureLauncher.run(PASSING, loaded);

    assertThat(loaded.failure()).isEmpty();
    assertThat(loaded.sentResults()).isZero();
  }

  @Test
  void theAddressSettingsAreNamedAsTheOneResolverReadsThem() {
    assertThat(VsockResultStreamer.ADDRESS_ENVIRONMENT_VARIABLE)
        .isEqualTo(NitroSettings.environmentName(VsockResultStreamer.ADDRESS_PROPERTY));
    assertThat(EnclaveBootstrap.ADDRESS_ENVIRONMENT_VARIABLE)
        .isEqualTo(NitroSettings.environmentName(EnclaveBootstrap.ADDRESS_PROPERTY));
  }

  private CollectorOutcome streamAndCollect(String fixture) throws Exception {
    try (ResultCollector collector =
        ResultCollector.builder(network)
            .listenAddress(VsockAddress.of(VsockAddress.CID_ANY, VsockAddress.PORT_ANY))
            .reportsDir(reports)
            .timeout(Duration.ofSeconds(30))
            .build()
            .start()) {
      VsockAddress target = collector.localAddress().withCid(VsockAddress.CID_PARENT);
      VsockResultStreamer streamer =
          new VsockResultStreamer(network, target, NitroMode.EMULATED, Clock.systemUTC());
      FixtureLauncher.run(fixture, streamer);
      assertThat(streamer.failure()).isEmpty();
      return collector.awaitOutcome();
    }
  }
}
