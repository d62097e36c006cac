package dev.nitroemu.enclavetests;

import dev.nitroemu.enclave.Fixture;
import dev.nitroemu.enclave.MutableTestClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs a fixture class in this JVM with only the given listeners (no service-loaded ones). */
final class FixtureLauncher {

  private FixtureLauncher() {}

  /** Runs a {@link Fixture} class, which is enabled for this launch. */
  static void run(String className, TestExecutionListener... listeners) {
    run(className, true, listeners);
  }

  /** Runs a class, with fixtures enabled or not. */
  static void run(String className, boolean fixturesEnabled, TestExecutionListener... listeners) {
    Launcher launcher =
        LauncherFactory.create(
            LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build());
    LauncherDiscoveryRequestBuilder request =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(DiscoverySelectors.selectClass(className));
    if (fixturesEnabled) {
      request.configurationParameter(Fixture.ENABLED, "true");
    }
    launcher.execute(request.build(), listeners);
  }

  /** Counts finished tests. */
  static final class CountingListener implements TestExecutionListener {
    int finishedTests;

    @Override
    public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
      if (identifier.isTest()) {
        finishedTests++;
      }
    }
  }

  /** A clock that moves forward by {@code step} each time it is read, so deadlines pass at once. */
  static MutableTestClock steppingClock(Duration step) {
    return MutableTestClock.steppingOnEveryRead(Instant.parse("2026-05-01T00:00:00Z"), step);
  }
}
