package com.example.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.util.Version;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

// nitro-emu on the test classpath must not move the app's Netty: it stays the 4.1 line the AWS SDK brings.
class NettyVersionTest {

  @Test
  void everyNettyArtifactIsTheAppsOwn41() {
    Map<String, Version> versions = Version.identify();
    assertThat(versions).containsKeys("netty-common", "netty-transport", "netty-codec-http");
    Set<String> distinct =
        versions.values().stream().map(Version::artifactVersion).collect(Collectors.toSet());
    assertThat(distinct).as("Netty versions on the test classpath: %s", versions).hasSize(1);
    assertThat(distinct.iterator().next()).startsWith("4.1.");
  }

  @Test
  void nettyClassesComeFromTheAppsNettyJarsOnly() {
    String jar = Channel.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    assertThat(jar).contains("/netty-transport-4.1.");
    assertThatThrownBy(() -> Class.forName("io.netty.channel.MultiThreadIoEventLoopGroup"))
        .as("a Netty 4.2 class on the app's classpath")
        .isInstanceOf(ClassNotFoundException.class);
  }
}
