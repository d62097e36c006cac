package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.nsm.SoftwareNsm;
import dev.nitroemu.stack.internal.Closer;
import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;

class EnclaveEnvironmentRealModeTest {

  @Test
  void realEnvironmentsHaveNoEmulatorControls() throws Exception {
    SoftwareNsm nsm = SoftwareNsm.create();
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
