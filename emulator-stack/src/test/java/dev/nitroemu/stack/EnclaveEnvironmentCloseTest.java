package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.internal.Closer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;

/**
 * {@link EnclaveEnvironment#close()} declares no checked exception and reports every close failure.
 */
class EnclaveEnvironmentCloseTest {

  // No "throws Exception" on purpose: this method compiles only while close() throws nothing
  // checked.
  @Test
  void tryWithResourcesNeedsNoThrowsClause() {
    EnclaveEnvironment closedOne;
    try (var env = EnclaveEnvironment.builder().start()) {
      assertThat(env.mode()).isEqualTo(NitroMode.EMULATED);
      closedOne = env;
    }
    assertThatThrownBy(
            () ->
                closedOne
                    .transport()
                    .listen(VsockAddress.of(EnclaveEnvironment.EMULATED_ENCLAVE_CID, 5005)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void closeFailuresAreThrownUncheckedWithTheLaterOnesSuppressedAndEverythingIsClosed() {
    List<String> closed = new ArrayList<>();
    Closer closer = new Closer();
    closer.register(() -> closed.add("oldest"));
    closer.register(
        () -> {
          closed.add("middle");
          throw new IllegalStateException("middle failed");
        });
    closer.register(
        () -> {
          closed.add("newest");
          throw new IOException("newest failed");
        });
    EnclaveEnvironment env = realEnvironment(closer);

    assertThatThrownBy(env::close)
        .isInstanceOf(UncheckedIOException.class)
        .hasRootCauseMessage("newest failed")
        .satisfies(
            e ->
                assertThat(e.getCause().getSuppressed())
                    .extracting(Throwable::getMessage)
                    .containsExactly("middle failed"));
    assertThat(closed).containsExactly("newest", "middle", "oldest");

    env.close(); // idempotent: nothing is closed twice and nothing is thrown again
    assertThat(closed).hasSize(3);
  }

  private static EnclaveEnvironment realEnvironment(Closer closer) {
    EnclaveRuntimeInfo info =
        new EnclaveRuntimeInfo(
            NitroMode.REAL,
            "us-east-1",
            URI.create("https://kms.us-east-1.amazonaws.com"),
            VsockAddress.of(3, 8000),
            AnonymousCredentialsProvider.create(),
            AttestationVerifier.awsRoot(),
            new TreeMap<>(),
            false,
            Map.of());
    return new EnclaveEnvironment(
        NitroMode.REAL,
        SoftwareNsm.create(),
        AttestationVerifier.forAwsRoot(),
        null,
        null,
        info,
        null,
        closer);
  }
}
