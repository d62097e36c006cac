package dev.nitroemu.bench;

import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.EifWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Reading and measuring an EIF (CRC-32 plus PCR0/1/2) against one plain SHA-384 over the same
 * file's bytes, both from the page cache. The image is nitro-cli's shape: a small kernel and
 * bootstrap ramdisk, and one customer ramdisk holding almost all of the {@code sizeMib} MiB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EifReadBenchmark {
  @Param("100")
  public int sizeMib;

  private Path dir;
  private Path image;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("eif-bench");
    Random random = new Random(42);
    Path kernel = write(dir.resolve("kernel"), 4 << 20, random);
    Path bootstrap = write(dir.resolve("bootstrap"), 1 << 20, random);
    Path customer = write(dir.resolve("customer"), (sizeMib - 5) << 20, random);
    image = dir.resolve("image.eif");
    EifWriter.builder()
        .kernel(kernel)
        .cmdline("console=ttyS0")
        .ramdisk(bootstrap)
        .ramdisk(customer)
        .buildTime("2025-01-01T00:00:00+00:00")
        .build()
        .write(image);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    try (var files = Files.list(dir)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        Files.delete(file);
      }
    }
    Files.delete(dir);
  }

  /** nitro-emu's reader: header, table, CRC, PCR0, PCR1 and PCR2. */
  @Benchmark
  public byte[] readEif() throws IOException {
    return EifFile.read(image).pcr0();
  }

  /** The baseline: one SHA-384 over the file's bytes. */
  @Benchmark
  public byte[] plainSha384() throws IOException, NoSuchAlgorithmException {
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    byte[] chunk = new byte[1 << 20];
    try (InputStream in = Files.newInputStream(image)) {
      for (int n; (n = in.read(chunk)) > 0; ) {
        sha384.update(chunk, 0, n);
      }
    }
    return sha384.digest();
  }

  private static Path write(Path file, int size, Random random) throws IOException {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return Files.write(file, bytes);
  }
}
