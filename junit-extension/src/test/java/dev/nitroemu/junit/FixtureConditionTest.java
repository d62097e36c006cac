package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;
import static org.junit.platform.testkit.engine.EventConditions.container;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;

import dev.nitroemu.enclave.Fixture;
import dev.nitroemu.junit.fixtures.FailingTestFixture;
import dev.nitroemu.junit.fixtures.Recorded;
import dev.nitroemu.junit.fixtures.ThrowingCallbacksFixture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Fixtures run directly (as an IDE runs their package) are skipped, not failed, and start nothing.
 */
@Timeout(120)
class FixtureConditionTest {

  @BeforeEach
  void forgetEarlierRuns() {
    Recorded.clear();
  }

  @Test
  void aFailingFixtureRunWithoutTheFlagIsSkippedBeforeAnEnvironmentStarts() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(FailingTestFixture.class))
            .execute();

    results.testEvents().assertStatistics(stats -> stats.started(0).failed(0));
    results.containerEvents().assertStatistics(stats -> stats.skipped(1).failed(0));
    results
        .containerEvents()
        .skipped()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                container(FailingTestFixture.class),
                skippedWithReason(reason -> reason.contains(Fixture.ENABLED + "=true"))));
    assertThat(Recorded.values("kmsPort")).isEmpty();
  }

  @Test
  void theWholeFixturePackageRunDirectlyHasNoFailures() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectPackage(FailingTestFixture.class.getPackageName()))
            .execute();

    results.allEvents().assertStatistics(stats -> stats.failed(0));
    results.testEvents().assertStatistics(stats -> stats.started(0));
    assertThat(results.containerEvents().skipped().count()).isGreaterThanOrEqualTo(10);
    assertThat(Recorded.values("kmsPort")).isEmpty();
  }

  @Test
  void theFlagAsAConfigurationParameterRunsTheFixture() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .selectors(selectClass(ThrowingCallbacksFixture.PerClass.class))
            .configurationParameter(Fixture.ENABLED, "true")
            .execute();

    results.testEvents().assertStatistics(stats -> stats.started(1).succeeded(1));
    results.containerEvents().assertStatistics(stats -> stats.failed(1));
  }
}
