package dev.nitroemu.enclave;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Locale;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Marks a test class as a fixture: a class with deliberate outcomes (failures, errors, throwing
 * callbacks) that other tests launch through the JUnit Platform ({@code EngineTestKit}, a {@code
 * Launcher}, the enclave test runner) and assert on. Run any other way (an IDE running its package,
 * a build that does not exclude it) the whole class is skipped, not failed. Launchers enable it
 * with the configuration parameter {@value #ENABLED}{@code =true} (JUnit falls back to the system
 * property of that name, which a child JVM can be given).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(Fixture.LaunchedOnly.class)
public @interface Fixture {

  /** The configuration parameter that lets fixtures run. */
  String ENABLED = "nitro.fixtures";

  /** Skips a fixture class unless {@value Fixture#ENABLED} is {@code true}. */
  final class LaunchedOnly implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      boolean enabled =
          context
              .getConfigurationParameter(ENABLED)
              .map(value -> value.trim().toLowerCase(Locale.ROOT))
              .filter("true"::equals)
              .isPresent();
      return enabled
          ? ConditionEvaluationResult.enabled(ENABLED + "=true: launched as a fixture")
          : ConditionEvaluationResult.disabled(
              "a fixture with deliberate failures: it runs only when a test"
                  + " launches it with the configuration parameter "
                  + ENABLED
                  + "=true");
    }
  }
}
