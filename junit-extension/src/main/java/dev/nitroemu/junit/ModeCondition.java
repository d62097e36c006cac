package dev.nitroemu.junit;

import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import java.lang.reflect.AnnotatedElement;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Implements {@link EmulatorOnly} and {@link RequiresNitro}: enables or skips by the configured
 * mode.
 */
final class ModeCondition implements ExecutionCondition {

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    return evaluate(context.getElement(), () -> mode(context));
  }

  /**
   * The probe: the mode from JUnit configuration parameters or system properties, else the
   * environment.
   */
  NitroMode mode(ExtensionContext context) {
    return NitroSettings.of(
            key -> context.getConfigurationParameter(key).orElse(null), System::getenv)
        .mode();
  }

  /**
   * The decision for {@code element} given the mode; the mode is asked for only when an annotation
   * is present.
   */
  static ConditionEvaluationResult evaluate(
      Optional<AnnotatedElement> element, Supplier<NitroMode> mode) {
    Optional<EmulatorOnly> emulatorOnly =
        element.flatMap(e -> AnnotationSupport.findAnnotation(e, EmulatorOnly.class));
    Optional<RequiresNitro> requiresNitro =
        element.flatMap(e -> AnnotationSupport.findAnnotation(e, RequiresNitro.class));
    if (emulatorOnly.isEmpty() && requiresNitro.isEmpty()) {
      return ConditionEvaluationResult.enabled(
          "neither @EmulatorOnly nor @RequiresNitro is present");
    }
    NitroMode current = mode.get();
    if (emulatorOnly.isPresent() && current == NitroMode.REAL) {
      return ConditionEvaluationResult.disabled(
          "@EmulatorOnly: needs the emulator, but nitro.mode is real"
              + because(emulatorOnly.get().value()));
    }
    if (requiresNitro.isPresent() && current == NitroMode.EMULATED) {
      return ConditionEvaluationResult.disabled(
          "@RequiresNitro: needs Nitro hardware, but nitro.mode is emulated"
              + because(requiresNitro.get().value()));
    }
    return ConditionEvaluationResult.enabled(
        "nitro.mode is " + current.name().toLowerCase(Locale.ROOT));
  }

  private static String because(String reason) {
    return reason.isBlank() ? "" : " (" + reason + ")";
  }
}
