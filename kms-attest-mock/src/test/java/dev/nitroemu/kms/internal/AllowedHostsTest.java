package dev.nitroemu.kms.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which Host header values the KMS endpoint answers to (the DNS-rebinding defence). */
class AllowedHostsTest {
  private final AllowedHosts defaults = new AllowedHosts("us-east-1", List.of());

  @ParameterizedTest
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.0.0.1:4599",
        "127.255.0.9:1",
        "localhost",
        "LOCALHOST:4599",
        "localhost.",
        "[::1]",
        "[::1]:4599",
        "[0:0:0:0:0:0:0:1]:4599",
        "[::ffff:127.0.0.1]:80",
        "kms.us-east-1.amazonaws.com",
        "kms.us-east-1.amazonaws.com:443",
        "KMS-FIPS.us-east-1.amazonaws.com",
        "kms.us-east-1.amazonaws.com.:443"
      })
  void acceptsLoopbackLocalhostAndTheRegionsKmsNames(String host) {
    assertThat(defaults.accepts(host)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "attacker.example",
        "attacker.example:4599",
        "localhost.attacker.example",
        "127.0.0.1.nip.io:4599",
        "kms.eu-west-1.amazonaws.com",
        "kms.us-east-1.amazonaws.com.attacker.example",
        "10.0.0.5:4599",
        "0.0.0.0:4599",
        "128.0.0.1",
        "127.0.0.256",
        "127.1",
        "0x7f.0.0.1",
        "[::2]:4599",
        "[::1",
        "[::1]x",
        "::1",
        "localhost:http",
        "localhost:",
        "localhost:123456",
        "",
        ".",
        "host.docker.internal"
      })
  void refusesEveryOtherName(String host) {
    assertThat(defaults.accepts(host)).isFalse();
  }

  @Test
  void usesTheChinaSuffixForChinaRegions() {
    AllowedHosts china = new AllowedHosts("cn-north-1", List.of());
    assertThat(china.accepts("kms.cn-north-1.amazonaws.com.cn")).isTrue();
    assertThat(china.accepts("kms.cn-north-1.amazonaws.com")).isFalse();
  }

  @Test
  void acceptsConfiguredNamesWithAnyPort() {
    AllowedHosts hosts =
        new AllowedHosts(
            "us-east-1", List.of("Host.Docker.Internal.", "192.168.1.20", "[fd00::5]"));

    assertThat(hosts.accepts("host.docker.internal:4599")).isTrue();
    assertThat(hosts.accepts("192.168.1.20:4599")).isTrue();
    assertThat(hosts.accepts("[fd00:0::5]:4599")).isTrue();
    assertThat(hosts.accepts("docker.internal")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        " ",
        "*",
        "*.example.com",
        "host:4599",
        "http://host",
        "a b",
        "[fd00::5]:4599",
        "host/path",
        "exa$mple"
      })
  void refusesConfiguredNamesThatAreNotHostNames(String name) {
    assertThatThrownBy(() -> AllowedHosts.normalize(name))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addsASpecificBoundAddressButNotTheWildcard() throws Exception {
    AllowedHosts specific =
        AllowedHosts.forServer("us-east-1", List.of(), InetAddress.getByName("192.168.7.7"));
    AllowedHosts wildcard =
        AllowedHosts.forServer("us-east-1", List.of(), InetAddress.getByName("0.0.0.0"));

    assertThat(specific.accepts("192.168.7.7:4599")).isTrue();
    assertThat(wildcard.accepts("0.0.0.0:4599")).isFalse();
  }

  @Test
  void refusesAMissingRepeatedOrForeignHostWithA421NamingTheHost() {
    for (Map<String, List<String>> headers :
        List.of(
            Map.<String, List<String>>of(),
            Map.of("Host", List.of("localhost", "localhost")),
            Map.of("host", List.of("rebind.attacker.example:4599")))) {
      assertThatThrownBy(() -> defaults.check(headers))
          .isInstanceOfSatisfying(
              KmsError.class,
              e -> {
                assertThat(e.type()).isEqualTo("InvalidHostHeaderException");
                assertThat(e.status()).isEqualTo(421);
                assertThat(e.getMessage()).contains("DNS rebinding").contains("--kms-host");
              });
    }
    assertThatThrownBy(
            () -> defaults.check(Map.of("Host", List.of("rebind.attacker.example:4599"))))
        .hasMessageStartingWith(
            "Host 'rebind.attacker.example:4599' is not a name of this KMS endpoint.");
    defaults.check(Map.of("HOST", List.of("127.0.0.1:4599")));
  }
}
