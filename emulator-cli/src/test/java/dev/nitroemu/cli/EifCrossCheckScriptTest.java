package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The nightly's EIF cross-check script, run against nitro-emu from this module's classpath. */
@Timeout(120)
class EifCrossCheckScriptTest {
  private static final Path SCRIPT =
      Path.of("../real-enclave-tests/enclave/check-eif-measurements.sh");
  private static final Path SIGNED =
      Path.of(
          System.getProperty("nitro.vectors.dir", "../test-vectors"),
          "eif",
          "v4-x86_64-2ramdisks-signed.eif");
  private static final String PCRS =
      """
      {"Measurements": {"HashAlgorithm": "Sha384 { ... }",
        "PCR0": "97e4be8355f1ae75c94920bb3af506a493b6654d4c00fccd01b1b4c5318a5d73a5bae40e0c8e439344e8532b2d62f7eb",
        "PCR1": "1cc5d0ec611718e4b74a4b81883fae799d31e71a4bf6f1d7299de9e170f5d9c940713194817e493a94d0055e3ef9a3c7",
        "PCR2": "%s",
        "PCR8": "448e8af4d78f2614d0481fb545a0cd95252cebcfe5dcbb524a2bd626618556b25c07ade821a7067f03d67d5e4c5a1bcf"}}
      """;

  @TempDir Path dir;

  @Test
  void passesWhenNitroClisMeasurementsMatchAndFailsNamingThePcrOtherwise() throws Exception {
    Assumptions.assumeTrue(
        new ProcessBuilder("jq", "--version").start().waitFor() == 0, "jq is not installed");
    Path good =
        Files.writeString(
            dir.resolve("good.json"),
            PCRS.formatted(
                "a514555a5ff10a25db9e41de40f78e53b88924c526e70451a7c37f7ef19370fceb43e084191010fff4692d2378407703"));
    Path bad = Files.writeString(dir.resolve("bad.json"), PCRS.formatted("00".repeat(48)));

    Result ok = run(good);
    assertThat(ok.exitCode()).as(ok.output()).isZero();
    assertThat(ok.output()).contains("agree");

    Result differs = run(bad);
    assertThat(differs.exitCode()).isEqualTo(1);
    assertThat(differs.output())
        .contains("PCR2 differs: nitro-cli 0000")
        .contains("nitro-emu describe-eif a514555a");
  }

  record Result(int exitCode, String output) {}

  private Result run(Path measurements) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder("bash", SCRIPT.toString(), measurements.toString(), SIGNED.toString())
            .redirectErrorStream(true);
    builder
        .environment()
        .put(
            "NITRO_EMU",
            java
                + " -cp "
                + System.getProperty("java.class.path").replace(" ", "\\ ")
                + " "
                + NitroEmu.class.getName());
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), output);
  }
}
