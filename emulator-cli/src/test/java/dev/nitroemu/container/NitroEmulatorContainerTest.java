package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nitroemu.enclave.AttestationDocument;
import dev.nitroemu.enclave.AttestationVerifier;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;

/**
 * The {@code nitro-emu} image serves {@code start} (KMS on the published port), and an enclave
 * container reaches its NSM through a shared Docker volume, with no host path involved (as with a
 * remote daemon): a parent container on the same volume asks the probe enclave for an attestation
 * document, which verifies against the root the emulator container prints with {@code nitro-emu ca
 * export}.
 */
@RequiresDocker
class NitroEmulatorContainerTest {

  private static String image;

  @BeforeAll
  static void buildImage() {
    image =
        NitroEmulatorImage.build(
            Path.of(System.getProperty("nitro.cli.jar")),
            Path.of(System.getProperty("nitro.container.cache")),
            true);
  }

  @Test
  void imageIsScratchWithRuntimeAndJar() {
    var inspected = DockerClientFactory.instance().client().inspectImageCmd(image).exec();
    System.out.printf("nitro-emu image %s: %.1f MB%n", image, inspected.getSize() / 1e6);
    assertThat(inspected.getConfig().getEntrypoint())
        .containsExactly("/opt/java/bin/java", "-jar", NitroEmulatorImage.JAR);
    assertThat(inspected.getConfig().getCmd()).containsExactly("start");
  }

  @Test
  void servesKmsOnThePublishedPort() throws Exception {
    try (NitroEmulatorContainer emulator = new NitroEmulatorContainer(image)) {
      emulator.start();
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(emulator.kmsEndpoint())
                      .timeout(Duration.ofSeconds(10))
                      .header("X-Amz-Target", "TrentService.ListKeys")
                      .header("Content-Type", "application/x-amz-json-1.1")
                      .POST(HttpRequest.BodyPublishers.ofString("{}"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      // Unsigned: KMS answers with a typed AWS error, proving it is the mock on the published port.
      assertThat(response.body()).contains("__type");
      assertThat(emulator.rootCertificate().getSubjectX500Principal().getName()).isNotEmpty();
    }
  }

  @Test
  void enclaveContainerReachesTheEmulatorsNsmThroughTheSharedVolume() throws Exception {
    byte[] nonce = new byte[16];
    new SecureRandom().nextBytes(nonce);
    try (NitroEmulatorContainer emulator = new NitroEmulatorContainer(image).withEnclaveCid(21)) {
      emulator.start();
      try (EnclaveContainer enclave =
              new EnclaveContainer(ProbeImages.probe())
                  .withEmulator(emulator)
                  .waitingFor(EnclaveWaits.consoleLine("probe enclave listening.*"));
          GenericContainer<?> parent = parentContainer(emulator, nonce)) {
        enclave.start();
        assertThat(enclave.enclaveCid()).isEqualTo(21);
        parent.start();
        String logs = parent.getLogs();
        assertThat(logs).contains("ATTESTATION ");
        String encoded = logs.substring(logs.indexOf("ATTESTATION ") + 12).strip().split("\\s")[0];
        AttestationDocument document =
            AttestationVerifier.forRoot(emulator.rootCertificate())
                .verify(Base64.getDecoder().decode(encoded))
                .document();
        assertThat(document.nonce()).isEqualTo(nonce);
      }
    }
  }

  /** The probe image running ProbeParent: no network, only the emulator's volume. */
  private static GenericContainer<?> parentContainer(
      NitroEmulatorContainer emulator, byte[] nonce) {
    List<String> command =
        new ArrayList<>(
            EnclaveLaunch.Image.inspect(
                    DockerClientFactory.instance().client(), ProbeImages.probe().get())
                .command());
    command = new ArrayList<>(command.subList(0, command.indexOf(ProbeImages.MAIN_CLASS)));
    command.addAll(
        List.of(
            "dev.nitroemu.probe.ProbeParent",
            Long.toString(emulator.enclaveCid()),
            HexFormat.of().formatHex(nonce)));
    List<String> argv = command;
    return new GenericContainer<>(ProbeImages.probe())
        .withEnv("NITRO_VSOCK_DIR", NitroEmulatorContainer.VSOCK_DIRECTORY)
        .withStartupCheckStrategy(
            new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(90)))
        .withCreateContainerCmdModifier(
            c -> {
              c.withEntrypoint(argv.get(0)).withCmd(argv.subList(1, argv.size()));
              c.getHostConfig().withNetworkMode("none").withBinds(emulator.vsockBind());
            });
  }
}
