package com.example.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.util.Version;
import java.util.Map;
import org.junit.jupiter.api.Test;

// nitro-emu on the test classpath must not move the app's Netty: every artifact stays the declared 4.2 release.
class NettyVersionTest {

  @Test
  void everyNettyArtifactIsTheDeclaredRelease() {
    String declared = System.getProperty("declared.netty.version");
    assertThat(declared).startsWith("4.2.");
    Map<String, Version> versions = Version.identify();
    assertThat(versions).containsKeys("netty-common", "netty-transport", "netty-codec-http");
    assertThat(versions.values())
        .as("Netty artifacts on the test classpath: %s", versions)
        .allSatisfy(v -> assertThat(v.artifactVersion()).isEqualTo(declared));
  }

  @Test
  void nettyClassesComeFromTheAppsNettyJars() {
    String jar = Channel.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    assertThat(jar).endsWith("/netty-transport-" + System.getProperty("declared.netty.version") + ".jar");
  }
}
