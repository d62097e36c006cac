package dev.nitroemu.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A FROM-scratch image of one of this machine's dynamic programs runs it with its libraries. */
class NativeEnclaveImageTest {

  private static final Path ECHO = Path.of("/bin/echo");

  @Test
  @RequiresDocker
  void aDynamicProgramRunsWithTheLibrariesLddListed(@TempDir Path staging) throws Exception {
    try (EnclaveContainer enclave =
        new EnclaveContainer(
            NativeEnclaveImage.builder("/bin/echo", "from", "scratch")
                .file(ECHO.toRealPath(), "/bin/echo")
                .stagingDirectory(staging)
                .build())) {
      enclave.start();
      Optional<EnclaveTermination> ended = enclave.awaitTermination(Duration.ofSeconds(30));

      assertThat(ended).as(enclave.consoleOutput()).isPresent();
      assertThat(ended.get().exitCode()).as(enclave.consoleOutput()).isZero();
      assertThat(enclave.consoleOutput()).contains("from scratch");
    }
  }

  @Test
  void commandsAndPathsMustBeAbsolute(@TempDir Path directory) throws Exception {
    Path file = Files.createFile(directory.resolve("file"));

    assertThatThrownBy(() -> NativeEnclaveImage.builder("echo"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NativeEnclaveImage.builder("/bin/echo").file(file, "relative"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NativeEnclaveImage.builder("/bin/echo").file(file, "/a/../b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> NativeEnclaveImage.builder("/bin/echo").file(directory, "/d"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
