package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockNetwork;
import dev.nitroemu.kms.KmsMockServer;
import dev.nitroemu.nsm.EnclaveProfile;
import dev.nitroemu.stack.internal.Closer;
import dev.nitroemu.stack.internal.DeclaredKmsKey;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A failed emulated start closes what it had opened. */
class EnvironmentLauncherTest {

  @Test
  void failedStartClosesWhatItHadOpened() {
    Closer closer = new Closer();
    List<DeclaredKmsKey> keys =
        List.of(
            DeclaredKmsKey.fromResource("kms/malformed-policy.json", getClass().getClassLoader()));

    assertThatThrownBy(
            () ->
                EnvironmentLauncher.startEmulated(
                    EnclaveProfile.defaultProfile(), null, keys, closer))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("kms/malformed-policy.json")
        .hasMessageContaining("KMS refused the key policy");

    assertThat(closer.registered()).isNotEmpty();
    for (AutoCloseable resource : closer.registered()) {
      if (resource instanceof KmsMockServer server) {
        assertThatThrownBy(server::endpoint).hasMessageContaining("closed");
      }
      if (resource instanceof VsockNetwork network) {
        assertThatThrownBy(() -> network.listen(VsockAddress.of(16, 1)))
            .isInstanceOf(IllegalStateException.class);
      }
    }
    assertThat(closer.registered())
        .hasAtLeastOneElementOfType(KmsMockServer.class)
        .hasAtLeastOneElementOfType(VsockNetwork.class);
  }
}
