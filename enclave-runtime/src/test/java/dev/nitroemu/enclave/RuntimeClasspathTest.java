package dev.nitroemu.enclave;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What an enclave application ships must not drag the emulator in: this module's own classpath (its
 * runtime dependencies plus the test tools) holds no Netty, no KMS mock, no software NSM, no CLI
 * parser, none of the SDK's other HTTP clients and no Amazon Corretto Crypto Provider (the runtime
 * uses it only when the application adds it: see {@link CryptoProviders}).
 */
class RuntimeClasspathTest {

  @Test
  void runtimeDependenciesHoldNoServerMockOrCliClasses() {
    List<String> absent =
        List.of(
            "io.netty.channel.Channel",
            "software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient",
            "software.amazon.awssdk.http.apache.ApacheHttpClient",
            "software.amazon.awssdk.http.apache5.Apache5HttpClient",
            "picocli.CommandLine",
            "dev.nitroemu.kms.KmsMockServer",
            "dev.nitroemu.nsm.SoftwareNsm",
            "dev.nitroemu.vsock.VsockProxy",
            "dev.nitroemu.stack.EnclaveEnvironment",
            "org.testcontainers.containers.GenericContainer",
            CryptoProviders.ACCP_CLASS);
    for (String name : absent) {
      assertThat(isPresent(name)).as(name).isFalse();
    }
  }

  @Test
  void whatAnEnclaveAppNeedsIsPresent() {
    assertThat(isPresent("software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient"))
        .isTrue();
    assertThat(isPresent("software.amazon.awssdk.services.kms.KmsClient")).isTrue();
    assertThat(isPresent("org.bouncycastle.cms.CMSEnvelopedData")).isTrue();
  }

  private static boolean isPresent(String className) {
    try {
      Class.forName(className, false, RuntimeClasspathTest.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
