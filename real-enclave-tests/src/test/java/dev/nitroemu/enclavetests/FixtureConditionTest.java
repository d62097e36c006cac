package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * The deliberately failing fixtures are skipped, not failed, when launched without the fixture
 * flag.
 */
class FixtureConditionTest {

  @Test
  void mixedOutcomeFixtureRunDirectlyIsSkippedAsAWhole() {
    Outcomes outcomes = new Outcomes();

    FixtureLauncher.run("dev.nitroemu.enclavetests.fixtures.MixedOutcomeFixture", false, outcomes);

    assertThat(outcomes.finished).isEmpty();
    assertThat(outcomes.skipped).singleElement().asString().contains("nitro.fixtures=true");
  }

  @Test
  void withTheFlagItsFailuresAreReported() {
    Outcomes outcomes = new Outcomes();

    FixtureLauncher.run("dev.nitroemu.enclavetests.fixtures.MixedOutcomeFixture", true, outcomes);

    assertThat(outcomes.finished)
        .contains(TestExecutionResult.Status.FAILED, TestExecutionResult.Status.SUCCESSFUL);
  }

  /** Records what finished and why things were skipped. */
  static final class Outcomes implements TestExecutionListener {
    final List<TestExecutionResult.Status> finished = new ArrayList<>();
    final List<String> skipped = new ArrayList<>();

    @Override
    public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
      if (identifier.isTest()) {
        finished.add(result.getStatus());
      }
    }

    @Override
    public void executionSkipped(TestIdentifier identifier, String reason) {
      skipped.add(identifier.getDisplayName() + ": " + reason);
    }
  }
}
