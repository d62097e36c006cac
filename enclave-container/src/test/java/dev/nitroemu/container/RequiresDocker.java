package dev.nitroemu.container;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * Skips the annotated tests, saying why, when no Docker daemon answers (CI fails if they skip where
 * it does).
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(RequiresDocker.Condition.class)
@interface RequiresDocker {

  /** The condition behind {@link RequiresDocker}. */
  final class Condition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return DockerClientFactory.instance().isDockerAvailable()
          ? ConditionEvaluationResult.enabled("a Docker daemon answers")
          : ConditionEvaluationResult.disabled(
              "Docker is not available (no daemon at DOCKER_HOST or"
                  + " /var/run/docker.sock): enclave container tests need one; .ci/run starts Debian's dockerd");
    }
  }
}
