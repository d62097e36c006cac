package dev.nitroemu.enclave.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.enclave.VsockAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappingFileTest {

  @TempDir Path dir;

  @Test
  void absentFileHasNoEntries() throws Exception {
    assertThat(new MappingFile(dir.resolve("missing.json")).read()).isEmpty();
  }

  @Test
  void renderIsSortedJsonThatParsesBack() throws Exception {
    Map<VsockAddress, TcpEndpoint> entries =
        Map.of(
            VsockAddress.of(16, 5000), new TcpEndpoint("127.0.0.1", 40117),
            VsockAddress.of(3, 8000), new TcpEndpoint("::1", 40113),
            VsockAddress.anyCid(9000), new TcpEndpoint("host.docker.internal", 40200));
    String json = MappingFile.render(entries);
    assertThat(json).contains("\"3:8000\" : \"[::1]:40113\"");
    assertThat(json.indexOf("3:8000")).isLessThan(json.indexOf("16:5000"));
    assertThat(json.indexOf("16:5000")).isLessThan(json.indexOf("4294967295:9000"));
    assertThat(MappingFile.parse(json.getBytes(UTF_8), "test")).isEqualTo(entries);
  }

  @Test
  void updateRemovesOnlyEntriesThatStillPointAtTheSameEndpoint() throws Exception {
    MappingFile file = new MappingFile(dir.resolve("map.json"));
    VsockAddress address = VsockAddress.of(16, 5000);
    file.update(Map.of(), Map.of(address, new TcpEndpoint("127.0.0.1", 1111)));
    file.update(Map.of(), Map.of(address, new TcpEndpoint("127.0.0.1", 2222)));
    file.update(Map.of(address, new TcpEndpoint("127.0.0.1", 1111)), Map.of());
    assertThat(file.read()).containsEntry(address, new TcpEndpoint("127.0.0.1", 2222));
    file.update(Map.of(address, new TcpEndpoint("127.0.0.1", 2222)), Map.of());
    assertThat(file.read()).isEmpty();
  }

  @Test
  void malformedContentIsRejectedWithTheReason() {
    assertThatThrownBy(() -> MappingFile.parse("[]".getBytes(UTF_8), "f"))
        .hasMessageContaining("JSON object");
    assertThatThrownBy(
            () -> MappingFile.parse("{\"version\":2,\"endpoints\":{}}".getBytes(UTF_8), "f"))
        .hasMessageContaining("\"version\" must be 1");
    assertThatThrownBy(() -> MappingFile.parse("{\"version\":1}".getBytes(UTF_8), "f"))
        .hasMessageContaining("endpoints");
    assertThatThrownBy(
            () ->
                MappingFile.parse(
                    "{\"version\":1,\"endpoints\":{\"x\":\"a:1\"}}".getBytes(UTF_8), "f"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("CID:PORT");
    assertThatThrownBy(
            () ->
                MappingFile.parse("{\"version\":1,\"endpoints\":{\"1:2\":5}}".getBytes(UTF_8), "f"))
        .hasMessageContaining("HOST:PORT");
    assertThatThrownBy(() -> MappingFile.parse("{".getBytes(UTF_8), "f"))
        .hasMessageContaining("not JSON");
  }

  @Test
  void oversizedFileIsRejected() throws Exception {
    Path path = dir.resolve("big.json");
    Files.write(path, new byte[MappingFile.MAX_BYTES + 1]);
    assertThatThrownBy(() -> new MappingFile(path).read()).hasMessageContaining("larger than");
  }

  @Test
  void tcpEndpointsParseAndPrintIpv6InBrackets() {
    assertThat(TcpEndpoint.parse("[::1]:80")).isEqualTo(new TcpEndpoint("::1", 80));
    assertThat(new TcpEndpoint("::1", 80)).hasToString("[::1]:80");
    assertThat(TcpEndpoint.parse("localhost:65535").port()).isEqualTo(65535);
    assertThatThrownBy(() -> TcpEndpoint.parse("::1:80"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TcpEndpoint.parse("host:0"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TcpEndpoint.parse("host:"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TcpEndpoint.parse("host:+80"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
