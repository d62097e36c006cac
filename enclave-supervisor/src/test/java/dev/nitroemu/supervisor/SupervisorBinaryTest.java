package dev.nitroemu.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binaries the jar carries: one per architecture, and the one for this machine extracted. */
class SupervisorBinaryTest {

  private static final int EM_X86_64 = 62;
  private static final int EM_AARCH64 = 183;

  @Test
  void theAarch64BinaryIsAStaticAarch64Elf() throws IOException {
    assumeThat(System.getProperty("os.arch"))
        .as("the cross build runs on x86_64")
        .isEqualTo("amd64");
    assumeThat(SupervisorBinary.class.getResource(SupervisorBinary.resourceName("aarch64")))
        .as("built without Debian's gcc-aarch64-linux-gnu and libc6-dev-arm64-cross")
        .isNotNull();

    byte[] header = header("aarch64");

    assertElf(header, EM_AARCH64);
  }

  @Test
  void theBinaryForThisMachineIsTheOneExtracted(@TempDir Path directory) throws IOException {
    assumeThat(SupervisorBinary.unavailableReason()).as("nitro-emu-init cannot run here").isEmpty();

    Path extracted = SupervisorBinary.extractTo(directory);

    byte[] header = Files.readAllBytes(extracted);
    String architecture = SupervisorBinary.architecture();
    assertThat(architecture).isIn("x86_64", "aarch64");
    assertElf(header, architecture.equals("x86_64") ? EM_X86_64 : EM_AARCH64);
    assertThat(Files.isExecutable(extracted)).isTrue();
  }

  private static byte[] header(String architecture) throws IOException {
    try (InputStream in =
        SupervisorBinary.class.getResourceAsStream(SupervisorBinary.resourceName(architecture))) {
      return in.readNBytes(64);
    }
  }

  /** ELF magic, 64-bit, little-endian, an executable (static: no interpreter needed), machine. */
  private static void assertElf(byte[] header, int machine) {
    assertThat(header[0]).isEqualTo((byte) 0x7F);
    assertThat(new String(header, 1, 3, java.nio.charset.StandardCharsets.US_ASCII))
        .isEqualTo("ELF");
    assertThat(header[4]).as("ELFCLASS64").isEqualTo((byte) 2);
    assertThat(header[5]).as("little-endian").isEqualTo((byte) 1);
    int type = (header[16] & 0xFF) | (header[17] & 0xFF) << 8;
    assertThat(type).as("e_type ET_EXEC or ET_DYN (static-pie)").isIn(2, 3);
    int eMachine = (header[18] & 0xFF) | (header[19] & 0xFF) << 8;
    assertThat(eMachine).as("e_machine").isEqualTo(machine);
  }
}
