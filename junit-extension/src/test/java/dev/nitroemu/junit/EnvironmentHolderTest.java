package dev.nitroemu.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.junit.internal.Closer;
import dev.nitroemu.nsm.AttestationVerifier;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.vsock.NitroMode;
import dev.nitroemu.vsock.VsockAddress;
import dev.nitroemu.vsock.VsockNetwork;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;

@Timeout(60)
class EnvironmentHolderTest {

  @Test
  void startsOnceOnFirstUseAndClosesWhatItStarted() throws Exception {
    EnvironmentHolder holder = new EnvironmentHolder(EnclaveEnvironment.builder());

    EnclaveEnvironment env = holder.get();
    assertThat(holder.get()).isSameAs(env);
    holder.close();

    assertThatThrownBy(() -> ((VsockNetwork) env.transport()).listen(VsockAddress.of(16, 1)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(holder::get).hasMessage("the enclave environment is already closed");
  }

  @Test
  void closingBeforeFirstUseStartsNothing() throws Exception {
    EnvironmentHolder holder = new EnvironmentHolder(EnclaveEnvironment.builder().profile("profiles/absent.json"));

    holder.close();

    assertThatThrownBy(holder::get).hasMessage("the enclave environment is already closed");
  }

  @Test
  void failedStartIsReportedAgainWithoutRetrying() {
    EnvironmentHolder holder = new EnvironmentHolder(EnclaveEnvironment.builder().profile("profiles/absent.json"));

    assertThatThrownBy(holder::get).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'profiles/absent.json' is not on the classpath");
    assertThatThrownBy(holder::get).isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("the enclave environment failed to start earlier: ")
        .hasCauseInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void realEnvironmentsHaveNoEmulatorControls() throws Exception {
    SoftwareNsm nsm = SoftwareNsm.create();
    EnclaveRuntimeInfo info = new EnclaveRuntimeInfo(NitroMode.REAL, "us-east-1",
        URI.create("https://kms.us-east-1.amazonaws.com"), VsockAddress.of(3, 8000),
        AnonymousCredentialsProvider.create(), AttestationVerifier.awsRoot(), new TreeMap<>(), false, Map.of());
    Closer closer = new Closer();
    VsockNetwork network = closer.register(VsockNetwork.create());
    AttestationVerifier verifier = AttestationVerifier.forAwsRoot();
    try (EnclaveEnvironment env =
        new EnclaveEnvironment(NitroMode.REAL, nsm, verifier, network, null, info, null, closer)) {
      assertThatThrownBy(env::controls)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("EmulatorControls exist only when emulated")
          .hasMessageContaining("@EmulatorOnly");
    }
  }
}
