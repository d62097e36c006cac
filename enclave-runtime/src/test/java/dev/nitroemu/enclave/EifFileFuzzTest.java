package dev.nitroemu.enclave;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fuzzes the EIF reader: any file reads or fails with {@link EifException}; hostile tables never
 * make it allocate past the file or loop. The corpus holds AWS-built vectors.
 */
class EifFileFuzzTest {
  private static final Path FILE;

  static {
    try {
      FILE = Files.createTempFile("nitro-emu-fuzz", ".eif");
      FILE.toFile().deleteOnExit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest(maxDuration = "30s")
  void read(byte[] image) throws IOException {
    Files.write(FILE, image);
    try {
      EifFile eif = EifFile.read(FILE);
      eif.measurements();
      eif.metadata();
    } catch (EifException expected) {
      // typed refusal
    }
  }
}
