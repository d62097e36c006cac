package dev.nitroemu.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the {@code ./nitro-emu} launcher script (bash) in a copy of this project's poms, with {@code
 * mvn} and {@code java} replaced by stubs that record their calls: it builds on first run, rebuilds
 * when a source or pom of a module the jar packages is newer than the jar, and otherwise runs the
 * jar.
 */
@Timeout(120)
class LauncherScriptTest {
  private static final Path PROJECT =
      Path.of(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
  private static final Instant LONG_AGO = Instant.parse("2020-01-01T00:00:00Z");

  @TempDir Path root;
  private Path jar;
  private Path calls;

  @BeforeEach
  void copyTheProjectLayout() throws IOException {
    assumeTrue(
        Files.isExecutable(Path.of("/bin/bash")) || Files.isExecutable(Path.of("/usr/bin/bash")),
        "the launcher is a bash script; bash is not installed here");
    Files.copy(PROJECT.resolve("nitro-emu"), root.resolve("nitro-emu"));
    Files.copy(PROJECT.resolve("pom.xml"), root.resolve("pom.xml"));
    try (Stream<Path> modules = Files.list(PROJECT)) {
      for (Path module :
          modules.filter(dir -> Files.isRegularFile(dir.resolve("pom.xml"))).toList()) {
        Path copy = Files.createDirectories(root.resolve(module.getFileName().toString()));
        Files.copy(module.resolve("pom.xml"), copy.resolve("pom.xml"));
        write(copy.resolve("src/main/java/Main.java"), "class Main {}");
        write(copy.resolve("src/test/java/MainTest.java"), "class MainTest {}");
      }
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.toList()) {
        Files.setLastModifiedTime(file, FileTime.from(LONG_AGO));
      }
    }
    jar = root.resolve("emulator-cli/target/nitro-emu.jar");
    calls = root.resolve("calls.log");
    Path bin = Files.createDirectories(root.resolve("stub-bin"));
    stub(
        bin.resolve("mvn"),
        """
        echo "mvn $* MAVEN_OPTS=$MAVEN_OPTS" >> "$CALLS"
        [ "${MVN_FAILS:-0}" = 1 ] && { echo "[ERROR] compilation failed" >&2; exit 1; }
        mkdir -p emulator-cli/target && echo jar > emulator-cli/target/nitro-emu.jar
        """);
    stub(bin.resolve("java"), "echo \"java $*\" >> \"$CALLS\"\n");
  }

  @Test
  void buildsOnFirstRunQuietlyWithoutColoursThenRunsTheJar() throws Exception {
    Result first = launch();

    assertThat(first.exitCode).isZero();
    assertThat(first.stderr).isEqualTo("nitro-emu: building " + jar + " (first run)...\n");
    assertThat(calls())
        .containsExactly(
            "mvn -B -q -Dstyle.color=never -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -pl"
                + " emulator-cli -am package MAVEN_OPTS=-Djansi.noreset=true",
            "java -jar " + jar + " --version");
  }

  @Test
  void runsTheJarWithoutBuildingWhileNothingChanged() throws Exception {
    launch();
    Files.delete(calls);

    Result second = launch();

    assertThat(second.stderr).isEmpty();
    assertThat(calls()).containsExactly("java -jar " + jar + " --version");
  }

  @Test
  void rebuildsWhenASourceOfAPackagedModuleIsNewerThanTheJar() throws Exception {
    launch();
    for (String edited :
        List.of(
            "enclave-runtime/src/main/java/Main.java",
            "kms-attest-mock/pom.xml",
            "emulator-cli/src/main/java/Main.java",
            "pom.xml")) {
      Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(100)));
      Files.setLastModifiedTime(
          root.resolve(edited), FileTime.from(Instant.now().minusSeconds(50)));
      Files.delete(calls);

      Result rebuilt = launch();

      assertThat(rebuilt.stderr)
          .as(edited)
          .isEqualTo("nitro-emu: building " + jar + " (" + edited + " changed)...\n");
      assertThat(calls()).as(edited).hasSize(2).first().asString().startsWith("mvn -B -q");
      assertThat(launch().stderr).as("after rebuilding for %s", edited).isEmpty();
      Files.setLastModifiedTime(root.resolve(edited), FileTime.from(LONG_AGO));
    }
  }

  @Test
  void ignoresTestSourcesAndModulesTheJarDoesNotPackage() throws Exception {
    launch();
    Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(100)));
    for (String edited :
        List.of(
            "enclave-runtime/src/test/java/MainTest.java",
            "junit-extension/src/main/java/Main.java",
            "bench/src/main/java/Main.java",
            "real-enclave-tests/pom.xml")) {
      Files.setLastModifiedTime(
          root.resolve(edited), FileTime.from(Instant.now().minusSeconds(50)));
    }
    Files.delete(calls);

    assertThat(launch().stderr).isEmpty();
    assertThat(calls()).containsExactly("java -jar " + jar + " --version");
  }

  @Test
  void aFailedBuildStopsBeforeRunningAnything() throws Exception {
    Result failed = launch("MVN_FAILS=1");

    assertThat(failed.exitCode).isNotZero();
    assertThat(failed.stderr).contains("[ERROR] compilation failed");
    assertThat(calls()).singleElement().asString().startsWith("mvn ");
  }

  private Result launch(String... environment) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder("bash", root.resolve("nitro-emu").toString(), "--version")
            .directory(root.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().remove("MAVEN_OPTS");
    builder.environment().remove("NITRO_EMU_REBUILD");
    builder.environment().remove("NITRO_EMU_JAVA_OPTS");
    builder.environment().put("PATH", root.resolve("stub-bin") + ":" + System.getenv("PATH"));
    builder.environment().put("CALLS", calls.toString());
    for (String variable : environment) {
      String[] pair = variable.split("=", 2);
      builder.environment().put(pair[0], pair[1]);
    }
    Process process = builder.start();
    String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(process.exitValue(), stderr);
  }

  private List<String> calls() throws IOException {
    return Files.readAllLines(calls);
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }

  private static void stub(Path file, String body) throws IOException {
    Files.writeString(file, "#!/bin/sh\n" + body);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private record Result(int exitCode, String stderr) {}
}
