package dev.nitroemu.enclavetests;

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

  static void run(String className, TestExecutionListener... listeners) {
    Launcher launcher = LauncherFactory.create(
        LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build());
    launcher.execute(LauncherDiscoveryRequestBuilder.request()
        .selectors(DiscoverySelectors.selectClass(className))
        .build(), listeners);
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
