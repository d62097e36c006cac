package dev.nitroemu.enclave;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-process discovery through the mapping file: a second {@link VsockNetwork} reading the same
 * file stands in for another JVM (it shares no state with the first except the file).
 */
@Timeout(30)
@SuppressWarnings(
    "try") // Resources opened only for their lifetime, and close() called to test idempotency.
class VsockNetworkDiscoveryTest {

  @TempDir Path dir;

  @Test
  void anotherNetworkReachesAListenerByVsockAddressAloneThroughTheMappingFile() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    try (VsockNetwork host = VsockNetwork.builder().mappingFile(map).build();
        EchoService echo = EchoService.on(host, VsockAddress.of(16, 5000));
        VsockNetwork otherJvm = VsockNetwork.builder().mappingFile(map).localCid(3).build();
        VsockConnection connection = otherJvm.connect(VsockAddress.parse("vsock://16:5000"))) {
      assertThat(VsockNetworkTest.exchange(connection, "across processes".getBytes(UTF_8)))
          .asString(UTF_8)
          .isEqualTo("across processes");
      assertThat(otherJvm.endpoints()).isEmpty();
    }
  }

  @Test
  void mappingFileIsTheDocumentedJson() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    try (VsockNetwork host = VsockNetwork.builder().mappingFile(map).build();
        VsockListener enclave = host.listen(VsockAddress.of(16, 5000));
        VsockListener parent = host.listen(VsockAddress.of(3, 8000))) {
      JsonNode json = new ObjectMapper().readTree(Files.readString(map));
      assertThat(json.get("version").intValue()).isEqualTo(1);
      InetSocketAddress endpoint = host.endpoints().get(VsockAddress.of(16, 5000));
      assertThat(json.get("endpoints").get("16:5000").textValue())
          .isEqualTo("127.0.0.1:" + endpoint.getPort());
      assertThat(json.get("endpoints").get("3:8000").textValue())
          .isEqualTo("127.0.0.1:" + host.endpoints().get(VsockAddress.of(3, 8000)).getPort());
      assertThat(json.get("endpoints").size()).isEqualTo(2);
    }
  }

  @Test
  void closingAListenerRemovesItsEntrySoOthersAreRefused() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    try (VsockNetwork host = VsockNetwork.builder().mappingFile(map).build();
        VsockNetwork otherJvm = VsockNetwork.builder().mappingFile(map).build()) {
      VsockListener listener = host.listen(VsockAddress.of(16, 5000));
      assertThat(otherJvm.tcpEndpoint(VsockAddress.of(16, 5000))).isPresent();
      listener.close();
      assertThat(Files.readString(map)).doesNotContain("16:5000");
      assertThatThrownBy(() -> otherJvm.connect(VsockAddress.of(16, 5000)))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("vsock://16:5000");
    }
  }

  @Test
  void twoHostsPublishIntoOneFileWithoutLosingEachOthersEntries() throws Exception {
    Path map = dir.resolve("nested").resolve("vsock-map.json");
    try (VsockNetwork parentSide = VsockNetwork.builder().mappingFile(map).build();
        VsockNetwork enclaveSide = VsockNetwork.builder().mappingFile(map).localCid(16).build();
        EchoService parentService = EchoService.on(parentSide, VsockAddress.of(3, 8000));
        EchoService enclaveService = EchoService.on(enclaveSide, VsockAddress.of(16, 5000))) {
      try (VsockConnection toEnclave = parentSide.connect(VsockAddress.of(16, 5000));
          VsockConnection toParent = enclaveSide.connect(VsockAddress.of(3, 8000))) {
        assertThat(VsockNetworkTest.exchange(toEnclave, "a".getBytes(UTF_8)))
            .asString(UTF_8)
            .isEqualTo("a");
        assertThat(VsockNetworkTest.exchange(toParent, "b".getBytes(UTF_8)))
            .asString(UTF_8)
            .isEqualTo("b");
      }
      assertThat(Files.readString(map)).contains("\"3:8000\"", "\"16:5000\"");
    }
    assertThat(Files.readString(map)).doesNotContain("3:8000", "16:5000");
  }

  @Test
  void handWrittenMappingFileCanPointAtAnyTcpServer() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    try (ServerSocket plainTcp =
        new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Files.writeString(
          map,
          "{\"version\": 1, \"endpoints\": {\"4294967295:9000\": \"localhost:"
              + plainTcp.getLocalPort()
              + "\"}}");
      try (VsockNetwork client = VsockNetwork.builder().mappingFile(map).build();
          VsockConnection connection = client.connect(VsockAddress.of(77, 9000));
          java.net.Socket accepted = plainTcp.accept()) {
        connection.outputStream().write(1);
        assertThat(accepted.getInputStream().read()).isEqualTo(1);
      }
    }
  }

  @Test
  void anAddressAnotherProcessListensOnIsRefusedAndItsMappingKept() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    try (VsockNetwork stack = VsockNetwork.builder().mappingFile(map).build();
        EchoService echo = EchoService.on(stack, VsockAddress.of(3, 8000));
        VsockNetwork intruder = VsockNetwork.builder().mappingFile(map).build()) {
      String before = Files.readString(map);

      assertThatThrownBy(() -> intruder.listen(VsockAddress.of(3, 8000)))
          .isInstanceOf(java.net.BindException.class)
          .hasMessageContaining("Address already in use: vsock://3:8000")
          .hasMessageContaining(map.toAbsolutePath().toString());

      assertThat(Files.readString(map)).isEqualTo(before);
      try (VsockConnection connection = intruder.connect(VsockAddress.of(3, 8000))) {
        assertThat(VsockNetworkTest.exchange(connection, "still the stack's".getBytes(UTF_8)))
            .asString(UTF_8)
            .isEqualTo("still the stack's");
      }
    }
  }

  @Test
  void anAddressLeftInTheFileByADeadProcessIsTakenOver() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    Files.writeString(
        map, "{\"version\":1,\"endpoints\":{\"3:8000\":\"127.0.0.1:" + closedPort + "\"}}");
    try (VsockNetwork network = VsockNetwork.builder().mappingFile(map).build();
        VsockListener listener = network.listen(VsockAddress.of(3, 8000))) {
      int tcpPort = network.tcpEndpoint(listener.localAddress()).orElseThrow().getPort();
      assertThat(Files.readString(map))
          .contains("\"3:8000\" : \"127.0.0.1:" + tcpPort + "\"")
          .doesNotContain("127.0.0.1:" + closedPort);
    }
  }

  @Test
  void nothingListeningNamesTheMappingFileItLookedIn() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    try (VsockNetwork client = VsockNetwork.builder().mappingFile(map).build();
        VsockNetwork inProcess = VsockNetwork.create()) {
      assertThatThrownBy(() -> client.connect(VsockAddress.of(3, 9797)))
          .isInstanceOf(ConnectException.class)
          .hasMessage(
              "Connection refused: nothing listens at vsock://3:9797 (mapping file "
                  + map.toAbsolutePath().normalize()
                  + ")");
      assertThatThrownBy(() -> inProcess.connect(VsockAddress.of(3, 9797)))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("without a mapping file")
          .hasMessageContaining("NITRO_VSOCK_MAP");
    }
  }

  @Test
  void staleMappingToAClosedPortIsRefused() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = socket.getLocalPort();
    }
    Files.writeString(
        map, "{\"version\":1,\"endpoints\":{\"16:5000\":\"127.0.0.1:" + closedPort + "\"}}");
    try (VsockNetwork client = VsockNetwork.builder().mappingFile(map).build()) {
      assertThatThrownBy(() -> client.connect(VsockAddress.of(16, 5000)))
          .isInstanceOf(ConnectException.class)
          .hasMessageContaining("stale mapping");
    }
  }

  @Test
  void malformedMappingFileIsReportedWithItsPath() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    Files.writeString(map, "{\"version\":1,\"endpoints\":{\"16:5000\":\"no-port\"}}");
    try (VsockNetwork client = VsockNetwork.builder().mappingFile(map).build()) {
      assertThatThrownBy(() -> client.connect(VsockAddress.of(16, 5000)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining(map.toString())
          .hasMessageContaining("HOST:PORT");
    }
  }

  @Test
  void fromEnvironmentReadsTheMappingFileAndCidFromSystemProperties() throws Exception {
    Path map = dir.resolve("vsock-map.json");
    System.setProperty(VsockNetwork.MAPPING_FILE_PROPERTY, map.toString());
    System.setProperty(VsockNetwork.LOCAL_CID_PROPERTY, "16");
    try (VsockNetwork network = VsockNetwork.fromEnvironment()) {
      assertThat(network.mappingFile()).contains(map.toAbsolutePath().normalize());
      assertThat(network.localCid()).isEqualTo(16);
    } finally {
      System.clearProperty(VsockNetwork.MAPPING_FILE_PROPERTY);
      System.clearProperty(VsockNetwork.LOCAL_CID_PROPERTY);
    }
  }

  @Test
  void forModeEmulatedGivesAVsockNetwork() throws Exception {
    VsockTransport transport = VsockTransport.forMode(NitroMode.EMULATED);
    assertThat(transport).isInstanceOf(VsockNetwork.class);
    ((VsockNetwork) transport).close();
  }
}
