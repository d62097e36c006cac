package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Image-derived measurements: same content, same values; one changed file, new PCR0 and PCR2; PCR1
 * fixed.
 */
class ImageMeasurementsTest {

  @Test
  void theDerivationFollowsTheDocumentedFormula() throws Exception {
    byte[] description =
        "nitro-emu image filesystem v1\ncmd\n/app\nenv\n".getBytes(StandardCharsets.UTF_8);
    ImageMeasurements m = ImageMeasurements.fromDescription(description);
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-384");
    byte[] bootstrap =
        ("nitro-emu enclave container bootstrap "
                + dev.nitroemu.container.internal.EmulatorVersion.get()
                + "\n")
            .getBytes(StandardCharsets.UTF_8);
    assertThat(m.pcr1()).isEqualTo(extendFromZero(sha.digest(bootstrap)));
    assertThat(m.pcr2()).isEqualTo(extendFromZero(sha.digest(description)));
    sha.update(bootstrap);
    assertThat(m.pcr0()).isEqualTo(extendFromZero(sha.digest(description)));
    assertThat(ImageMeasurements.fromDescription("other".getBytes(StandardCharsets.UTF_8)).pcr1())
        .isEqualTo(m.pcr1());
  }

  @Test
  @RequiresDocker
  void sameContentSameValuesAndOneChangedFileChangesPcr0AndPcr2() {
    var docker = DockerClientFactory.instance().client();
    List<String> command = List.of("/bin/app");
    String a = imageWithFile("hello", false);
    String again =
        imageWithFile(
            "hello", true); // rebuilt without cache: new layer, new timestamps, same files
    String changed = imageWithFile("hellO", false);
    ImageMeasurements first = ImageMeasurements.derive(docker, imageId(a), command, List.of());
    ImageMeasurements rebuilt =
        ImageMeasurements.derive(docker, imageId(again), command, List.of());
    ImageMeasurements other =
        ImageMeasurements.derive(docker, imageId(changed), command, List.of());
    ImageMeasurements otherCommand =
        ImageMeasurements.derive(docker, imageId(a), List.of("/bin/other"), List.of());
    assertThat(imageId(again)).isNotEqualTo(imageId(a));
    assertThat(rebuilt.hex(0)).isEqualTo(first.hex(0));
    assertThat(rebuilt.hex(2)).isEqualTo(first.hex(2));
    assertThat(other.hex(0)).isNotEqualTo(first.hex(0));
    assertThat(other.hex(2)).isNotEqualTo(first.hex(2));
    assertThat(other.hex(1)).isEqualTo(first.hex(1));
    assertThat(otherCommand.hex(0)).isNotEqualTo(first.hex(0));
  }

  private static String imageWithFile(String content, boolean noCache) {
    ImageFromDockerfile image =
        new ImageFromDockerfile()
            .withFileFromString("data/file.txt", content)
            .withFileFromString("data/other.txt", "unchanged")
            .withDockerfileFromBuilder(
                b -> b.from("scratch").copy("data/", "/data/").cmd("/bin/app").build());
    if (noCache) {
      image.withBuildImageCmdModifier(cmd -> cmd.withNoCache(true));
    }
    return image.get();
  }

  private static String imageId(String name) {
    return DockerClientFactory.instance().client().inspectImageCmd(name).exec().getId();
  }

  private static byte[] extendFromZero(byte[] digest) throws Exception {
    java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-384");
    sha.update(new byte[48]);
    return sha.digest(digest);
  }
}
