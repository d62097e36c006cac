package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code describe-eif} and {@code build-eif} as a user runs them, on AWS-built vectors and on files
 * they build.
 */
class EifCommandsTest {
  private static final Path EIF_VECTORS =
      Path.of(System.getProperty("nitro.vectors.dir", "../test-vectors"), "eif");

  @TempDir Path dir;

  record Run(int exitCode, String out, String err) {}

  private Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    NitroEmu.CliEnvironment env =
        new NitroEmu.CliEnvironment(
            Map.of("NITRO_EMU_HOME", dir.resolve("home").toString()), dir, dir, Clock.systemUTC());
    int code = NitroEmu.execute(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void describeEifPrintsNitroClisShapeWithTheCratesPcrs() throws Exception {
    JsonNode vectors =
        new ObjectMapper().readTree(EIF_VECTORS.resolve("vectors.json").toFile()).get("vectors");
    for (JsonNode vector : vectors) {
      if (!vector.get("crc_ok").asBoolean()) {
        continue;
      }
      Run describe =
          run("describe-eif", EIF_VECTORS.resolve(vector.get("file").asText()).toString());
      assertThat(describe.exitCode()).as(describe.err()).isZero();
      JsonNode json = new ObjectMapper().readTree(describe.out());
      assertThat(json.get("EifVersion").asInt()).isEqualTo(4);
      assertThat(json.get("CheckCRC").asBoolean()).isTrue();
      assertThat(json.get("Measurements").get("HashAlgorithm").asText())
          .isEqualTo("Sha384 { ... }");
      vector
          .get("pcrs")
          .fields()
          .forEachRemaining(
              pcr ->
                  assertThat(json.get("Measurements").get(pcr.getKey()).asText())
                      .isEqualTo(pcr.getValue().asText()));
      assertThat(json.get("IsSigned").asBoolean()).isEqualTo(vector.get("pcrs").has("PCR8"));
      assertThat(json.has("SignatureCheck")).isEqualTo(vector.get("pcrs").has("PCR8"));
      assertThat(json.get("ImageName").asText())
          .isEqualTo(vector.get("metadata_section_json").get("ImageName").asText());
      assertThat(json.get("Metadata").get("BuildTool").asText()).isEqualTo("eif_build");
      assertThat(describe.out()).contains("\"EifVersion\": 4");
    }
  }

  @Test
  void describeEifRefusesCorruptedAndForeignFilesInOneLine() throws Exception {
    Run corrupted =
        run("describe-eif", EIF_VECTORS.resolve("v7-x86_64-2ramdisks-corrupted.eif").toString());
    assertThat(corrupted.exitCode()).isEqualTo(1);
    assertThat(corrupted.err().strip())
        .startsWith("nitro-emu: ")
        .contains("bad CRC")
        .doesNotContain("\n");

    Files.writeString(dir.resolve("notes.txt"), "not an image");
    Run foreign = run("describe-eif", "notes.txt");
    assertThat(foreign.exitCode()).isEqualTo(1);
    assertThat(foreign.err().strip())
        .isEqualTo("nitro-emu: notes.txt: not an EIF: the file does not start with the .eif magic");

    byte[] v2 = Files.readAllBytes(EIF_VECTORS.resolve("v2-x86_64-2ramdisks.eif"));
    Files.write(dir.resolve("short.eif"), java.util.Arrays.copyOf(v2, v2.length / 2));
    Run truncated = run("describe-eif", "short.eif");
    assertThat(truncated.exitCode()).isEqualTo(1);
    assertThat(truncated.err()).contains("truncated").doesNotContain("\tat ");

    assertThat(run("describe-eif", "absent.eif").err().strip())
        .isEqualTo("nitro-emu: absent.eif: no such file");
  }

  @Test
  void buildEifThenDescribeEifAgreeAndSignedImagesGetPcr8() throws Exception {
    Files.write(dir.resolve("kernel"), new byte[] {1, 2, 3, 4});
    Files.write(dir.resolve("boot.cpio"), new byte[] {5, 6});
    Files.write(dir.resolve("app.cpio"), new byte[] {7, 8, 9});
    Files.copy(EIF_VECTORS.resolve("test-signing-cert.pem"), dir.resolve("cert.pem"));
    Files.copy(EIF_VECTORS.resolve("test-signing-key.pem"), dir.resolve("key.pem"));

    Run build =
        run(
            "build-eif",
            "--kernel",
            "kernel",
            "--cmdline",
            "console=ttyS0",
            "--ramdisk",
            "boot.cpio",
            "--ramdisk",
            "app.cpio",
            "--name",
            "app",
            "--version",
            "1.2",
            "--build-time",
            "2025-01-01T00:00:00+00:00",
            "--signing-certificate",
            "cert.pem",
            "--private-key",
            "key.pem",
            "--output",
            "app.eif");
    assertThat(build.exitCode()).as(build.err()).isZero();
    JsonNode built = new ObjectMapper().readTree(build.out()).get("Measurements");
    assertThat(built.has("PCR8")).isTrue();

    Run describe = run("describe-eif", "app.eif");
    assertThat(describe.exitCode()).as(describe.err()).isZero();
    JsonNode described = new ObjectMapper().readTree(describe.out());
    assertThat(described.get("Measurements")).isEqualTo(built);
    assertThat(described.get("SignatureCheck").asBoolean()).isTrue();
    assertThat(described.get("ImageVersion").asText()).isEqualTo("1.2");
    assertThat(described.get("Metadata").get("BuildTool").asText()).isEqualTo("nitro-emu");
  }

  @Test
  void buildEifRejectsBadArgumentsWithExitTwo() throws Exception {
    Files.write(dir.resolve("kernel"), new byte[] {1});
    Run missing =
        run(
            "build-eif",
            "--kernel",
            "kernel",
            "--cmdline",
            "x",
            "--ramdisk",
            "absent",
            "--output",
            "o.eif");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err().strip()).isEqualTo("nitro-emu: absent: no such file");
    Run arch =
        run(
            "build-eif",
            "--kernel",
            "kernel",
            "--cmdline",
            "x",
            "--ramdisk",
            "kernel",
            "--arch",
            "riscv",
            "--output",
            "o.eif");
    assertThat(arch.exitCode()).isEqualTo(2);
    Run half =
        run(
            "build-eif",
            "--kernel",
            "kernel",
            "--cmdline",
            "x",
            "--ramdisk",
            "kernel",
            "--private-key",
            "kernel",
            "--output",
            "o.eif");
    assertThat(half.exitCode()).isEqualTo(2);
  }
}
