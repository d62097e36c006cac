package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * How a hybrid vsock transport is configured, named and bound: settings, names, files in the way.
 */
class HybridVsockSetupTest {

  @TempDir Path directory;

  static NitroSettings settings(Map<String, String> environment) {
    return NitroSettings.of(property -> null, environment::get);
  }

  @Test
  void theDirectoryVariableSelectsTheEnclaveSideForTheEmulatedMode() throws Exception {
    NitroSettings inContainer =
        settings(Map.of("NITRO_VSOCK_DIR", directory.toString(), "NITRO_VSOCK_CID", "21"));
    VsockTransport transport = VsockTransport.forMode(NitroMode.EMULATED, inContainer);
    try (HybridVsockTransport hybrid = (HybridVsockTransport) transport) {
      assertThat(hybrid.role()).isEqualTo(HybridVsockTransport.Role.ENCLAVE);
      assertThat(hybrid.enclaveCid()).isEqualTo(21);
      assertThat(hybrid.multiplexerSocket()).isEqualTo(directory.resolve("vsock"));
      assertThat(hybrid.portSocket(9797)).isEqualTo(directory.resolve("vsock_9797"));
    }
    try (HybridVsockTransport defaults =
        HybridVsockTransport.fromSettings(settings(Map.of("NITRO_VSOCK_DIR", directory.toString())))
            .orElseThrow()) {
      assertThat(defaults.enclaveCid()).isEqualTo(HybridVsockTransport.DEFAULT_ENCLAVE_CID);
    }
  }

  @Test
  void withoutTheDirectoryTheEmulatedModeKeepsTheTcpTransport() throws Exception {
    Path map = directory.resolve("vsock-map.json");
    VsockTransport transport =
        VsockTransport.forMode(
            NitroMode.EMULATED, settings(Map.of("NITRO_VSOCK_MAP", map.toString())));
    try (VsockNetwork network = (VsockNetwork) transport) {
      assertThat(network.mappingFile()).contains(map);
    }
    assertThat(HybridVsockTransport.fromSettings(settings(Map.of()))).isEmpty();
  }

  @Test
  void theDirectoryAndTheMappingFileTogetherAreRefused() {
    NitroSettings both =
        settings(
            Map.of("NITRO_VSOCK_DIR", directory.toString(), "NITRO_VSOCK_MAP", "/tmp/map.json"));
    assertThatThrownBy(() -> VsockTransport.forMode(NitroMode.EMULATED, both))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nitro.vsock.dir")
        .hasMessageContaining("nitro.vsock.map");
  }

  @ParameterizedTest
  @ValueSource(strings = {"sixteen", "-1", "3", "4294967295"})
  void aBadEnclaveCidSettingIsNamed(String cid) {
    NitroSettings bad =
        settings(Map.of("NITRO_VSOCK_DIR", directory.toString(), "NITRO_VSOCK_CID", cid));
    assertThatThrownBy(() -> HybridVsockTransport.fromSettings(bad))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nitro.vsock.cid")
        .hasMessageContaining("4..4294967294");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a/b", "with space", "tab\t", "caf\u00e9"})
  void aBaseNameMustBeAPlainFileName(String baseName) {
    assertThatThrownBy(() -> HybridVsockTransport.parent(directory, baseName, 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("base name");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 2, 3, VsockAddress.CID_ANY, -1})
  void anEnclaveCidBelowFourOrCidAnyIsRefused(long cid) {
    assertThatThrownBy(() -> HybridVsockTransport.enclave(directory, "vsock", cid))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("4..4294967294");
  }

  @Test
  void socketPathsTooLongForAUnixSocketAreRefusedUpFront() {
    Path deep = directory.resolve("d".repeat(100));
    assertThatThrownBy(() -> HybridVsockTransport.enclave(deep, "vsock", 16))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("107");
  }

  @Test
  void aStaleSocketFileIsReplacedButALiveOneOrAnotherFileIsNot() throws Exception {
    Path stale = directory.resolve("vsock_8000");
    try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      crashed.bind(UnixDomainSocketAddress.of(stale));
    } // Java leaves the file behind, as a process that died would.
    assertThat(stale).exists();
    Path regular = directory.resolve("vsock");
    Files.writeString(regular, "not a socket");

    try (HybridVsockTransport parent = HybridVsockTransport.parent(directory, "vsock", 16);
        HybridVsockTransport enclave = HybridVsockTransport.enclave(directory, "vsock", 16)) {
      try (VsockListener listener = parent.listen(VsockAddress.of(3, 8000));
          VsockConnection connection = enclave.connect(VsockAddress.of(3, 8000))) {
        assertThat(listener.accept().remoteAddress().cid()).isEqualTo(16);
      }
      assertThatThrownBy(() -> enclave.listen(VsockAddress.of(16, 5000)))
          .isInstanceOf(BindException.class)
          .hasMessageContaining("not a socket");
      assertThat(Files.readString(regular)).isEqualTo("not a socket");
    }
  }

  @Test
  void aParentDirectoryThatDoesNotExistYetIsCreated() throws Exception {
    Path fresh = directory.resolve("run").resolve("hv");
    try (HybridVsockTransport parent = HybridVsockTransport.parent(fresh, "vsock", 16)) {
      parent.listen(VsockAddress.of(3, 9000));
      assertThat(fresh.resolve("vsock_9000")).exists();
    }
  }
}
