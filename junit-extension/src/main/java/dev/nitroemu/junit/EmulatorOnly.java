package dev.nitroemu.junit;

import dev.nitroemu.stack.EmulatorControls;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that needs the emulator (typically {@link EmulatorControls}): it is
 * skipped, with that reason, when {@code nitro.mode} selects real Nitro hardware.
 *
 * <p>On a class, the whole class is skipped before anything starts; on a method, only that test.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ModeCondition.class)
public @interface EmulatorOnly {

  /** Why the test needs the emulator, added to the skip reason. */
  String value() default "";
}
