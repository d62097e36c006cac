package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.EnclaveKmsClient;
import dev.nitroemu.enclave.Fixture;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.junit.fixtures.DeclarativeLifecycleFixture;
import dev.nitroemu.junit.fixtures.FailingTestFixture;
import dev.nitroemu.junit.fixtures.InjectionFixture;
import dev.nitroemu.junit.fixtures.InstanceFieldFixture;
import dev.nitroemu.junit.fixtures.ParallelFixture;
import dev.nitroemu.junit.fixtures.Recorded;
import dev.nitroemu.junit.fixtures.Rendezvous;
import dev.nitroemu.junit.fixtures.SharedParallelFixture;
import dev.nitroemu.junit.fixtures.StartFailureFixture;
import dev.nitroemu.junit.fixtures.StaticFieldFixture;
import dev.nitroemu.junit.fixtures.ThrowingCallbacksFixture;
import dev.nitroemu.stack.EmulatorControls;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import software.amazon.awssdk.services.kms.KmsClient;

@Timeout(120)
class NitroEnclaveExtensionTest {

  @BeforeEach
  void forgetEarlierRuns() {
    Recorded.clear();
  }

  /**
   * Runs a {@link Fixture} class through the test kit, with fixtures enabled and the given
   * configuration.
   */
  static EngineExecutionResults run(Class<?> fixture, String... configuration) {
    EngineTestKit.Builder kit =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(fixture))
            .configurationParameter(Fixture.ENABLED, "true");
    for (int i = 0; i < configuration.length; i += 2) {
      kit.configurationParameter(configuration[i], configuration[i + 1]);
    }
    return kit.execute();
  }

  /**
   * Runs a parallel fixture's {@value Rendezvous#TESTS} tests on as many JUnit workers and checks
   * that all succeeded, showing why any failed.
   */
  static void runAllAtOnce(Class<?> fixture) {
    EngineExecutionResults results =
        run(
            fixture,
            "junit.jupiter.execution.parallel.enabled",
            "true",
            "junit.jupiter.execution.parallel.mode.default",
            "concurrent",
            "junit.jupiter.execution.parallel.config.strategy",
            "fixed",
            "junit.jupiter.execution.parallel.config.fixed.parallelism",
            String.valueOf(Rendezvous.TESTS));

    assertThat(
            results.testEvents().failed().stream()
                .map(
                    failed ->
                        failed
                            .getPayload(TestExecutionResult.class)
                            .flatMap(TestExecutionResult::getThrowable)
                            .map(Throwable::toString)
                            .orElse("failed without a cause")))
        .as("failures of %s", fixture.getSimpleName())
        .isEmpty();
    results
        .testEvents()
        .assertStatistics(stats -> stats.started(Rendezvous.TESTS).succeeded(Rendezvous.TESTS));
  }

  static void assertPortsClosed(List<Object> ports) {
    assertThat(ports).isNotEmpty();
    ports.forEach(port -> KmsPorts.assertNotServingKms((Integer) port));
  }

  /** The recorded emulated vsock networks are closed: they refuse to listen again. */
  static void assertNetworksClosed(List<Object> transports) {
    assertThat(transports).isNotEmpty();
    for (Object transport : transports) {
      assertThatThrownBy(() -> ((VsockNetwork) transport).listen(VsockAddress.of(16, 1)))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void injectsEveryTypeIntoConstructorsLifecycleMethodsAndTests() {
    run(InjectionFixture.class)
        .testEvents()
        .assertStatistics(stats -> stats.started(1).succeeded(1));

    assertThat(Recorded.values("test"))
        .hasSize(7)
        .hasAtLeastOneElementOfType(Nsm.class)
        .hasAtLeastOneElementOfType(AttestationVerifier.class)
        .hasAtLeastOneElementOfType(VsockTransport.class)
        .hasAtLeastOneElementOfType(KmsClient.class)
        .hasAtLeastOneElementOfType(EnclaveKmsClient.class)
        .hasAtLeastOneElementOfType(EnclaveRuntimeInfo.class)
        .hasAtLeastOneElementOfType(EmulatorControls.class);
    assertThat(Recorded.values("beforeAll")).singleElement().isIn(Recorded.values("test"));
    assertThat(Recorded.values("beforeEach")).singleElement().isIn(Recorded.values("test"));
    assertThat(Recorded.values("constructor")).singleElement().isIn(Recorded.values("test"));
    assertThat(Recorded.values("afterEach")).singleElement().isIn(Recorded.values("test"));
    assertThat(Recorded.values("afterAll")).singleElement().isIn(Recorded.values("test"));
  }

  @Test
  void annotationGivesOneEnvironmentPerClassSharedWithNestedClasses() {
    run(DeclarativeLifecycleFixture.class)
        .testEvents()
        .assertStatistics(stats -> stats.started(3).succeeded(3));

    assertThat(Recorded.values("moduleId"))
        .hasSize(3)
        .containsOnly(Recorded.values("moduleId").get(0));
    assertPortsClosed(Recorded.values("kmsPort"));
  }

  @Test
  void staticFieldGivesOneEnvironmentPerClass() {
    run(StaticFieldFixture.class)
        .testEvents()
        .assertStatistics(stats -> stats.started(2).succeeded(2));

    assertThat(Recorded.values("moduleId"))
        .hasSize(2)
        .containsOnly(Recorded.values("moduleId").get(0));
    assertPortsClosed(Recorded.values("kmsPort"));
  }

  @Test
  void instanceFieldGivesAFreshEnvironmentPerTest() {
    run(InstanceFieldFixture.class)
        .testEvents()
        .assertStatistics(stats -> stats.started(2).succeeded(2));

    assertThat(Recorded.values("moduleId")).hasSize(2).doesNotHaveDuplicates();
    assertThat(Recorded.values("kmsPort")).doesNotHaveDuplicates();
    assertThat(Recorded.values("debug")).containsOnly(true);
    assertPortsClosed(Recorded.values("kmsPort"));
  }

  @Test
  void failingTestIsReportedAndTheEnvironmentStillCloses() {
    EngineExecutionResults results = run(FailingTestFixture.class);

    results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(1).failed(1));
    results
        .testEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test("fails"),
                finishedWithFailure(
                    instanceOf(AssertionError.class),
                    message(m -> m.contains("deliberately wrong region")))));
    assertPortsClosed(Recorded.values("kmsPort"));
    assertNetworksClosed(Recorded.values("transport"));
  }

  @Test
  void throwingAfterEachStillClosesThePerTestEnvironment() {
    EngineExecutionResults results = run(ThrowingCallbacksFixture.class);

    results.testEvents().assertStatistics(stats -> stats.started(1).failed(1));
    results
        .testEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(
            1, event(test("recordsItsPort"), finishedWithFailure(message("afterEach blew up"))));
    assertPortsClosed(Recorded.values("kmsPort"));
    assertNetworksClosed(Recorded.values("transport"));
  }

  @Test
  void throwingAfterAllStillClosesThePerClassEnvironment() {
    EngineExecutionResults results = run(ThrowingCallbacksFixture.PerClass.class);

    results.testEvents().assertStatistics(stats -> stats.started(1).succeeded(1));
    results
        .containerEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(1, event(finishedWithFailure(message("afterAll blew up"))));
    assertPortsClosed(Recorded.values("kmsPort"));
    assertNetworksClosed(Recorded.values("transport"));
  }

  @Test
  void failedStartFailsEveryTestNamingTheCause() {
    EngineExecutionResults results = run(StartFailureFixture.class);

    results.testEvents().assertStatistics(stats -> stats.started(2).failed(2));
    results
        .testEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test("first"),
                finishedWithFailure(
                    instanceOf(IllegalArgumentException.class),
                    message(
                        m ->
                            m.contains(
                                "'profiles/missing-build-enclave.json' is not on the classpath")))))
        .haveExactly(
            1,
            event(
                test("second"),
                finishedWithFailure(
                    instanceOf(IllegalStateException.class),
                    message(
                        m ->
                            m.startsWith("the enclave environment failed to start earlier")
                                && m.contains("missing-build-enclave.json")))));
    assertThat(Recorded.values("ran")).isEmpty();
  }

  @Test
  void parallelTestsEachGetTheirOwnEnvironment() {
    runAllAtOnce(ParallelFixture.class);

    assertThat(Recorded.values("moduleId")).hasSize(4).doesNotHaveDuplicates();
    assertPortsClosed(Recorded.values("kmsPort"));
    assertNetworksClosed(Recorded.values("transport"));
  }

  @Test
  void parallelTestsShareAClassEnvironmentStartedOnce() {
    runAllAtOnce(SharedParallelFixture.class);

    assertThat(Recorded.values("moduleId"))
        .hasSize(4)
        .containsOnly(Recorded.values("moduleId").get(0));
    assertThat(Recorded.values("enclaveKmsClient"))
        .containsOnly(Recorded.values("enclaveKmsClient").get(0));
  }

  @Test
  void annotationAttributesMapOntoBuilderOptions() throws Exception {
    NitroEnclaveTest annotation = Annotated.class.getAnnotation(NitroEnclaveTest.class);

    try (EnclaveEnvironment env = NitroEnclaveExtension.fromAnnotation(annotation).start()) {
      assertThat(env.info().debug()).isTrue();
      assertThat(env.info().pcrHex(0)).startsWith("e72a46ca");
      assertThat(env.info().pcrHex(9)).isEqualTo("11".repeat(48));
      assertThat(env.info().kmsKeyIds()).containsOnlyKeys("enclave-secret");
    }
  }

  @NitroEnclaveTest(
      profile = "profiles/build-enclave.txt",
      debug = true,
      pcrs =
          "9=1111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
              + "11111111",
      kmsKeys = "kms/enclave-secret.json")
  static class Annotated {}
}
