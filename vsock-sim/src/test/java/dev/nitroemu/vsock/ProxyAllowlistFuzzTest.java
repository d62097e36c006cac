package dev.nitroemu.vsock;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the vsock-proxy allowlist YAML: any text parses or fails with {@link
 * ProxyAllowlistException}.
 */
class ProxyAllowlistFuzzTest {

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] yaml) {
    try {
      ProxyAllowlist allowlist = ProxyAllowlist.parse(new String(yaml, StandardCharsets.UTF_8));
      allowlist.toString();
    } catch (ProxyAllowlistException expected) {
      // typed refusal
    }
  }
}
