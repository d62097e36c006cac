package dev.nitroemu.enclavetests;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The nightly scripts under {@code enclave/}: shellcheck-clean, strict and executable. */
@Timeout(120)
class ShellScriptsTest {

  @Test
  void everyScriptIsShellcheckClean() throws Exception {
    Assumptions.assumeTrue(
        shellcheckVersion() != null,
        "shellcheck is not installed (apt-get install -y shellcheck), so the nightly scripts were not linted");
    List<String> command =
        new ArrayList<>(
            List.of("shellcheck", "--external-sources", "--severity=style", "--format=gcc"));
    scripts().forEach(script -> command.add(script.toString()));

    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String findings = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(findings).as("shellcheck " + shellcheckVersion() + " findings").isEmpty();
    assertThat(process.exitValue()).isZero();
  }

  @Test
  void theNightlyScriptsAreAllThere() throws IOException {
    assertThat(scripts())
        .extracting(script -> script.getFileName().toString())
        .contains("build-eif.sh", "run-nightly.sh", "enclave-entrypoint.sh");
  }

  @Test
  void everyScriptIsExecutableAndStopsOnTheFirstError() throws IOException {
    for (Path script : scripts()) {
      List<String> lines = Files.readAllLines(script, StandardCharsets.UTF_8);
      assertThat(lines.get(0)).as(script + " shebang").matches("#!/(usr/bin/env bash|bin/sh)");
      assertThat(lines)
          .as(script + " strict mode")
          .anyMatch(
              line ->
                  line.equals("set -euo pipefail")
                      || line.equals("set -eu") && lines.get(0).equals("#!/bin/sh"));
      assertThat(Files.isExecutable(script)).as(script + " is executable").isTrue();
    }
  }

  static List<Path> scripts() throws IOException {
    try (Stream<Path> files = Files.walk(EnclaveDir.path())) {
      return files.filter(file -> file.toString().endsWith(".sh")).sorted().toList();
    }
  }

  /** The installed shellcheck's version line, or null when there is none. */
  private static String shellcheckVersion() {
    try {
      Process process =
          new ProcessBuilder("shellcheck", "--version").redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
        return null;
      }
      return output
          .lines()
          .filter(line -> line.startsWith("version:"))
          .findFirst()
          .orElse("unknown version");
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
