package dev.nitroemu.junit;

import static dev.nitroemu.junit.NitroEnclaveExtensionTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.skippedWithReason;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.junit.fixtures.EmulatorOnlyClassFixture;
import dev.nitroemu.junit.fixtures.ModeFixture;
import dev.nitroemu.junit.fixtures.Recorded;
import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;

@Timeout(120)
class ModeConditionTest {

  @BeforeEach
  void forgetEarlierRuns() {
    Recorded.clear();
  }

  @Test
  void emulatedRunSkipsRequiresNitroWithItsReason() {
    EngineExecutionResults results = run(ModeFixture.class, "nitro.mode", "emulated");

    results.testEvents().assertStatistics(stats -> stats.started(1).succeeded(1).skipped(1));
    results
        .testEvents()
        .skipped()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test("requiresNitro"),
                skippedWithReason(
                    "@RequiresNitro: needs Nitro hardware, but nitro.mode is emulated (talks to real KMS)")));
    assertThat(Recorded.values("ran")).containsExactly("emulatorOnly");
  }

  @Test
  void realRunSkipsEmulatorOnlyAndFailsFastOnMissingSettings() {
    EngineExecutionResults results = run(ModeFixture.class, "nitro.mode", "real");

    results.testEvents().assertStatistics(stats -> stats.started(1).failed(1).skipped(1));
    results
        .testEvents()
        .skipped()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test("emulatorOnly"),
                skippedWithReason(
                    "@EmulatorOnly: needs the emulator, but nitro.mode is real (moves the clock)")));
    results
        .testEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test("requiresNitro"),
                finishedWithFailure(
                    instanceOf(IllegalArgumentException.class),
                    message(m -> m.contains("-Dnitro.kms.region=<region>")))));
    assertThat(Recorded.values("ran")).isEmpty();
  }

  @Test
  void realRunOutsideAnEnclaveSaysToUseTheEmulator() {
    EngineExecutionResults results =
        run(ModeFixture.class, "nitro.mode", "real", "nitro.kms.region", "eu-west-1");

    results
        .testEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test("requiresNitro"),
                finishedWithFailure(
                    instanceOf(IllegalStateException.class),
                    message(
                        m ->
                            m.startsWith("nitro.mode is real, but /dev/nsm cannot be opened")
                                && m.contains("not running inside a Nitro Enclave")
                                && m.endsWith("or set nitro.mode=emulated")))));
  }

  @Test
  void emulatorOnlyClassIsSkippedOnHardwareWithoutStartingAnything() {
    EngineExecutionResults results = run(EmulatorOnlyClassFixture.class, "nitro.mode", "real");

    results
        .containerEvents()
        .skipped()
        .assertThatEvents()
        .haveExactly(
            1,
            event(skippedWithReason("@EmulatorOnly: needs the emulator, but nitro.mode is real")));
    results.testEvents().assertStatistics(stats -> stats.started(0).failed(0));
  }

  @Test
  void unknownModeFailsNamingTheSetting() {
    EngineExecutionResults results = run(ModeFixture.class, "nitro.mode", "hardware");

    results.testEvents().assertStatistics(stats -> stats.started(2).failed(2));
    results
        .testEvents()
        .failed()
        .assertThatEvents()
        .haveExactly(
            2,
            event(
                finishedWithFailure(
                    message(
                        m ->
                            m.contains(
                                "nitro.mode (or NITRO_MODE) must be emulated, real or auto, was 'hardware'")))));
    assertThat(Recorded.values("ran")).isEmpty();
  }

  @Test
  void unannotatedElementsAreEnabledWithoutAskingForTheMode() throws Exception {
    ConditionEvaluationResult result =
        ModeCondition.evaluate(
            Optional.of(method("plain")),
            () -> {
              throw new AssertionError("mode must not be probed");
            });

    assertThat(result.isDisabled()).isFalse();
  }

  @Test
  void probeDecidesBothAnnotations() throws Exception {
    assertThat(
            ModeCondition.evaluate(Optional.of(method("emulatorOnly")), () -> NitroMode.EMULATED)
                .isDisabled())
        .isFalse();
    assertThat(
            ModeCondition.evaluate(Optional.of(method("emulatorOnly")), () -> NitroMode.REAL)
                .getReason())
        .contains("@EmulatorOnly: needs the emulator, but nitro.mode is real");
    assertThat(
            ModeCondition.evaluate(Optional.of(method("requiresNitro")), () -> NitroMode.REAL)
                .isDisabled())
        .isFalse();
    assertThat(
            ModeCondition.evaluate(Optional.of(method("requiresNitro")), () -> NitroMode.EMULATED)
                .isDisabled())
        .isTrue();
  }

  private static AnnotatedElement method(String name) throws NoSuchMethodException {
    return Samples.class.getDeclaredMethod(name);
  }

  static class Samples {
    void plain() {}

    @EmulatorOnly
    void emulatorOnly() {}

    @RequiresNitro
    void requiresNitro() {}
  }
}
