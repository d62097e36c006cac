package dev.nitroemu.vsock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nitroemu.vsock.ProxyAllowlist.HostResolver;
import dev.nitroemu.vsock.ProxyAllowlistException.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyAllowlistTest {

  /** AWS's shipped file, abridged: the format the proxy must read unchanged. */
  private static final String AWS_STYLE =
      String.join(
          "\n",
          "allowlist:",
          "- {address: kms.us-east-1.amazonaws.com, port: 443}",
          "- {address: kms-fips.us-east-1.amazonaws.com, port: 443}",
          "- {address: kms.eu-west-1.amazonaws.com, port: 443}",
          "");

  /** A resolver with fixed answers, so no test depends on DNS. */
  private static HostResolver fixed(Map<String, String[]> answers) {
    return host -> {
      String[] ips = answers.get(host);
      if (ips == null) {
        throw new UnknownHostException(host);
      }
      InetAddress[] result = new InetAddress[ips.length];
      for (int i = 0; i < ips.length; i++) {
        result[i] = InetAddress.getByName(ips[i]);
      }
      return result;
    };
  }

  private static final HostResolver KMS =
      fixed(
          Map.of(
              "kms.us-east-1.amazonaws.com", new String[] {"52.46.130.1", "52.46.130.2"},
              "KMS.us-east-1.amazonaws.com", new String[] {"52.46.130.1"},
              "kms-fips.us-east-1.amazonaws.com", new String[] {"52.46.140.1"},
              "kms.eu-west-1.amazonaws.com", new String[] {"52.94.1.1"},
              "52.46.130.2", new String[] {"52.46.130.2"},
              "10.9.9.9", new String[] {"10.9.9.9"}));

  private static ProxyAllowlistException.Reason reasonOf(ThrowingCheck check) {
    try {
      check.run();
    } catch (ProxyAllowlistException e) {
      return e.reason();
    }
    throw new AssertionError("expected a ProxyAllowlistException");
  }

  @FunctionalInterface
  private interface ThrowingCheck {
    void run() throws ProxyAllowlistException;
  }

  @Test
  void allowsAnExactHostNameAndPortAndReturnsItsFirstIp() throws Exception {
    ProxyAllowlist allowlist = ProxyAllowlist.parse(AWS_STYLE);
    assertThat(allowlist.check("kms.us-east-1.amazonaws.com", 443, KMS))
        .isEqualTo(InetAddress.getByName("52.46.130.1"));
  }

  @Test
  void refusesAnAllowedHostOnAnotherPortWithAwsMessage() throws Exception {
    ProxyAllowlist allowlist = ProxyAllowlist.parse(AWS_STYLE);
    assertThatThrownBy(() -> allowlist.check("kms.us-east-1.amazonaws.com", 8443, KMS))
        .isInstanceOf(ProxyAllowlistException.class)
        .hasMessage("Error at checking the allowlist: The given address and port are not allowed");
  }

  @Test
  void matchesByResolvedIpWhenTheNameDiffers() throws Exception {
    ProxyAllowlist allowlist = ProxyAllowlist.parse(AWS_STYLE);
    // An IP literal of an allowlisted host is allowed, as AWS compares resolved IPs.
    assertThat(
            allowlist.check(
                "52.46.130.1",
                443,
                fixed(
                    Map.of(
                        "52.46.130.1", new String[] {"52.46.130.1"},
                        "kms.us-east-1.amazonaws.com", new String[] {"52.46.130.1"}))))
        .isNotNull();
    // Any IP of the allowlisted name counts: 52.46.130.2 is its second answer.
    assertThat(allowlist.check("52.46.130.2", 443, KMS))
        .isEqualTo(InetAddress.getByName("52.46.130.2"));
    assertThat(reasonOf(() -> allowlist.check("10.9.9.9", 443, KMS))).isEqualTo(Reason.NOT_ALLOWED);
  }

  @Test
  void hostNamesCompareCaseSensitivelyAndThenByIp() throws Exception {
    ProxyAllowlist allowlist = ProxyAllowlist.parse(AWS_STYLE);
    // Not the same string, but it resolves to an allowlisted IP, so AWS allows it.
    assertThat(allowlist.check("KMS.us-east-1.amazonaws.com", 443, KMS))
        .isEqualTo(InetAddress.getByName("52.46.130.1"));
  }

  @Test
  void localhostMatchesItsLoopbackIpWithTheSystemResolver() throws Exception {
    ProxyAllowlist allowlist =
        ProxyAllowlist.parse("allowlist:\n- {address: localhost, port: 9000}\n");
    assertThat(allowlist.check("127.0.0.1", 9000)).isEqualTo(InetAddress.getByName("127.0.0.1"));
    assertThat(reasonOf(() -> allowlist.check("127.0.0.1", 9001))).isEqualTo(Reason.NOT_ALLOWED);
  }

  @Test
  void unresolvableDestinationFailsWithTheDnsReason() throws Exception {
    ProxyAllowlist allowlist = ProxyAllowlist.parse(AWS_STYLE);
    assertThatThrownBy(() -> allowlist.check("nowhere.invalid", 443, KMS))
        .isInstanceOf(ProxyAllowlistException.class)
        .hasMessage("Error at checking the allowlist: DNS lookup failed!");
  }

  @Test
  void unresolvableEntriesAreSkipped() throws Exception {
    ProxyAllowlist allowlist =
        ProxyAllowlist.parse(
            "allowlist:\n- {address: gone.example, port: 443}\n- {address: kms.eu-west-1.amazonaws.com, port: 443}\n");
    assertThat(
            allowlist.check(
                "52.94.1.1",
                443,
                fixed(
                    Map.of(
                        "52.94.1.1", new String[] {"52.94.1.1"},
                        "kms.eu-west-1.amazonaws.com", new String[] {"52.94.1.1"}))))
        .isNotNull();
  }

  @Test
  void portIsTruncatedTo16BitsAsAwsDoes() throws Exception {
    ProxyAllowlist allowlist =
        ProxyAllowlist.parse("allowlist:\n- {address: 10.9.9.9, port: 65979}\n");
    assertThat(allowlist.check("10.9.9.9", 443, KMS)).isNotNull();
  }

  @Test
  void malformedEntriesFailOnlyWhenReachedBeforeAMatch() throws Exception {
    String yaml =
        "allowlist:\n- {address: 10.9.9.9, port: 443}\n- {port: 443}\n- {address: x, port: '443'}\n";
    ProxyAllowlist allowlist = ProxyAllowlist.parse(yaml);
    assertThat(allowlist.check("10.9.9.9", 443, KMS)).isNotNull();
    assertThat(reasonOf(() -> allowlist.check("10.9.9.9", 80, KMS)))
        .isEqualTo(Reason.NO_ADDRESS_FIELD);
    ProxyAllowlist badPort = ProxyAllowlist.parse("allowlist:\n- {address: x, port: '443'}\n");
    assertThatThrownBy(() -> badPort.check("10.9.9.9", 443, KMS))
        .hasMessage("Error at checking the allowlist: No port field or invalid type");
    ProxyAllowlist numericAddress =
        ProxyAllowlist.parse("allowlist:\n- {address: 1234, port: 443}\n");
    assertThat(reasonOf(() -> numericAddress.check("10.9.9.9", 443, KMS)))
        .isEqualTo(Reason.NO_ADDRESS_FIELD);
  }

  @Test
  void configWithoutAnAllowlistListIsRejected() {
    assertThatThrownBy(() -> ProxyAllowlist.parse("services:\n- {address: a, port: 1}\n"))
        .isInstanceOf(ProxyAllowlistException.class)
        .hasMessage("Error at checking the allowlist: No allowlist field");
    assertThat(reasonOf(() -> ProxyAllowlist.parse("allowlist: kms.amazonaws.com\n")))
        .isEqualTo(Reason.NO_ALLOWLIST_FIELD);
    assertThat(reasonOf(() -> ProxyAllowlist.parse(""))).isEqualTo(Reason.NO_ALLOWLIST_FIELD);
  }

  @Test
  void invalidYamlIsRejectedAsBadYamlFormat() {
    assertThatThrownBy(() -> ProxyAllowlist.parse("allowlist: [ {address: a, port: 1\n"))
        .isInstanceOf(ProxyAllowlistException.class)
        .hasMessage("Error at checking the allowlist: Bad yaml format");
  }

  @Test
  void missingFileCannotBeOpened(@TempDir Path dir) {
    assertThatThrownBy(() -> ProxyAllowlist.load(dir.resolve("vsock-proxy.yaml")))
        .isInstanceOf(ProxyAllowlistException.class)
        .hasMessage("Error at checking the allowlist: Could not open the file");
  }

  @Test
  void fileThatIsNotUtf8CannotBeRead(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("vsock-proxy.yaml");
    Files.write(file, new byte[] {'a', 'l', (byte) 0xC3, (byte) 0x28});
    assertThat(reasonOf(() -> ProxyAllowlist.load(file))).isEqualTo(Reason.CANNOT_READ);
  }

  @Test
  void loadsAFileInAwsFormat(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("vsock-proxy.yaml");
    Files.writeString(file, AWS_STYLE);
    assertThat(ProxyAllowlist.load(file).check("kms-fips.us-east-1.amazonaws.com", 443, KMS))
        .isEqualTo(InetAddress.getByName("52.46.140.1"));
  }

  @Test
  void programmaticAllowlistsMatchLikeParsedOnes() throws Exception {
    ProxyAllowlist allowlist =
        ProxyAllowlist.allowing("10.9.9.9", 443).and("kms.eu-west-1.amazonaws.com", 443);
    assertThat(allowlist.check("kms.eu-west-1.amazonaws.com", 443, KMS))
        .isEqualTo(InetAddress.getByName("52.94.1.1"));
    assertThat(allowlist)
        .hasToString("ProxyAllowlist[10.9.9.9:443, kms.eu-west-1.amazonaws.com:443]");
    assertThatThrownBy(() -> allowlist.check("10.9.9.9", 70000, KMS))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
