package dev.nitroemu.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that only means something on real Nitro hardware (the AWS root, real
 * KMS, measured PCRs): it is skipped, with that reason, when {@code nitro.mode} is emulated.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(ModeCondition.class)
public @interface RequiresNitro {

  /** Why the test needs hardware, added to the skip reason. */
  String value() default "";
}
