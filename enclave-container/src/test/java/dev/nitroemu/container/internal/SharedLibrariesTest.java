package dev.nitroemu.container.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ldd's answer for this machine's files: the libraries an ELF file loads, nothing for others. */
class SharedLibrariesTest {

  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  @Test
  void aDynamicExecutableNeedsItsLoaderAndLibc() throws Exception {
    assumeThat(System.getProperty("os.name")).as("ldd is Linux's").isEqualTo("Linux");

    List<String> libraries = SharedLibraries.of(List.of(JAVA.toRealPath()), null);

    assertThat(libraries).anyMatch(path -> path.matches(".*/libc\\.so\\.6"));
    assertThat(libraries).anyMatch(path -> path.matches(".*/ld-linux.*\\.so\\.\\d+"));
    assertThat(libraries).allMatch(path -> path.startsWith("/") && Files.exists(Path.of(path)));
  }

  @Test
  void librariesUnderTheExcludedRootAreLeftOut() throws Exception {
    assumeThat(System.getProperty("os.name")).as("ldd is Linux's").isEqualTo("Linux");
    Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();

    List<String> libraries = SharedLibraries.of(List.of(JAVA.toRealPath()), javaHome);

    assertThat(libraries).noneMatch(path -> path.startsWith(javaHome.toString()));
  }

  @Test
  void scriptsAndDataFilesNeedNothing(@TempDir Path directory) throws Exception {
    Path script = Files.writeString(directory.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Path empty = Files.createFile(directory.resolve("empty"));

    assertThat(SharedLibraries.isElf(script)).isFalse();
    assertThat(SharedLibraries.isElf(empty)).isFalse();
    assertThat(SharedLibraries.isElf(directory)).isFalse();
    assertThat(SharedLibraries.of(List.of(script, empty), null)).isEmpty();
  }
}
