package dev.nitroemu.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.AttestationVerifier;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import java.net.URI;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;

/**
 * An enclave host's CID is an unsigned vsock CID: a long up to just below {@code CID_ANY}, never a
 * negative int.
 */
class EnclaveHostCidTest {
  private static final long ABOVE_2_TO_31 = 3_000_000_000L;

  private static SortedMap<Integer, byte[]> pcr0() {
    return new TreeMap<>(Map.of(0, new byte[48]));
  }

  @Test
  void aPlanTakesCidsAbove2To31AndRefusesCidAny() {
    assertThat(new EnclaveHost.Plan(ABOVE_2_TO_31, pcr0()).cid()).isEqualTo(ABOVE_2_TO_31);
    assertThat(new EnclaveHost.Plan(VsockAddress.CID_ANY - 1, pcr0()).cid())
        .isEqualTo(4_294_967_294L);

    assertThatThrownBy(() -> new EnclaveHost.Plan(VsockAddress.CID_ANY, pcr0()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("an enclave CID must be in 3..4294967294, was 4294967295");
    assertThatThrownBy(() -> new EnclaveHost.Plan(2, pcr0()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void runtimeInfoReportsTheHostsCidUnsigned() {
    EnclaveRuntimeInfo emulated =
        new EnclaveRuntimeInfo(
            NitroMode.EMULATED,
            "us-east-1",
            URI.create("http://127.0.0.1:4599"),
            null,
            AnonymousCredentialsProvider.create(),
            AttestationVerifier.awsRoot(),
            new TreeMap<>(),
            false,
            Map.of());

    assertThat(emulated.enclaveCid()).hasValue(EnclaveEnvironment.EMULATED_ENCLAVE_CID);
    assertThat(emulated.withEnclaveCid(ABOVE_2_TO_31).enclaveCid()).hasValue(ABOVE_2_TO_31);
  }
}
