package dev.nitroemu.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import software.amazon.awssdk.services.kms.model.KmsException;

/** The KMS error an SDK call fails with, as the unmodified SDK parses it. */
final class KmsErrors {
  private KmsErrors() {}

  /** The KmsException {@code call} throws; fails the test when it throws none. */
  static KmsException thrown(ThrowingCallable call) {
    KmsException e = catchThrowableOfType(KmsException.class, call);
    assertThat(e).as("the call should fail with a KMS error").isNotNull();
    return e;
  }

  /** Asserts HTTP 400 with this error code and message ({@code null}: the body has no message). */
  static void assertError(ThrowingCallable call, String code, String message) {
    KmsException e = thrown(call);
    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
    if (message == null) {
      assertThat(e.awsErrorDetails().errorMessage()).isNullOrEmpty();
    } else {
      assertThat(e.awsErrorDetails().errorMessage()).isEqualTo(message);
    }
  }
}
