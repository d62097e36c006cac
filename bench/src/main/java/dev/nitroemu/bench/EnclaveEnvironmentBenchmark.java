package dev.nitroemu.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.Nsm;
import dev.nitroemu.junit.NitroEnclaveTest;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.EnclaveRuntimeInfo;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The JUnit extension's costs: starting an emulated environment (root CA, NSM, vsock network, KMS
 * mock and SDK client) and the time it adds to each test of a class that shares one environment.
 *
 * <p>Goals: {@code coldStart} at most 300 ms; per-test overhead, {@code testWithExtension} minus
 * {@code testWithoutExtension}, at most 2 ms. Both test benchmarks run a class of {@value #TESTS}
 * tests through the JUnit launcher, so the one environment start is spread over them.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class EnclaveEnvironmentBenchmark {

  /** Tests per class in the per-test benchmarks. */
  static final int TESTS = 1000;

  private Launcher launcher;

  @Setup
  public void setUp() {
    launcher = LauncherFactory.create();
  }

  /** One emulated environment started and closed, no KMS keys. */
  @Benchmark
  public EnclaveRuntimeInfo coldStart() {
    try (EnclaveEnvironment env = EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start()) {
      return env.info();
    }
  }

  /** The same with one KMS key declared (created, aliased, policy put: three KMS calls). */
  @Benchmark
  public EnclaveRuntimeInfo coldStartWithKey() {
    try (EnclaveEnvironment env =
        EnclaveEnvironment.builder()
            .mode(NitroMode.EMULATED)
            .kmsKey(
                "bench",
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                    + "\"Principal\":{\"AWS\":\"arn:aws:iam::${ACCOUNT_ID}:root\"},\"Action\":\"kms:*\",\"Resource\":\"*\"}]}")
            .start()) {
      return env.info();
    }
  }

  /**
   * Per test: a class of tests with {@code @NitroEnclaveTest}, each injected an Nsm and the runtime
   * info.
   */
  @Benchmark
  @OperationsPerInvocation(TESTS)
  public long testWithExtension() {
    return run(WithExtension.class);
  }

  /** Baseline per test: the same class without the extension. */
  @Benchmark
  @OperationsPerInvocation(TESTS)
  public long testWithoutExtension() {
    return run(WithoutExtension.class);
  }

  private long run(Class<?> testClass) {
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request().selectors(selectClass(testClass)).build(),
        listener);
    TestExecutionSummary summary = listener.getSummary();
    if (summary.getTotalFailureCount() > 0 || summary.getTestsSucceededCount() != TESTS) {
      throw new IllegalStateException("benchmark tests did not all pass: " + summary.getFailures());
    }
    return summary.getTestsSucceededCount();
  }

  /** Tests that each get an Nsm and the runtime info from one class-scoped environment. */
  @NitroEnclaveTest
  public static class WithExtension {
    @RepeatedTest(TESTS)
    void test(Nsm nsm, EnclaveRuntimeInfo info) {
      if (nsm == null || info == null) {
        throw new AssertionError("not injected");
      }
    }
  }

  /** The same tests without the extension. */
  public static class WithoutExtension {
    @RepeatedTest(TESTS)
    void test() {}
  }
}
