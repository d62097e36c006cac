package dev.nitroemu.bench;

import dev.nitroemu.enclave.EifFile;
import dev.nitroemu.enclave.EifWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;

/**
 * A bounded program: writes an EIF of the given size (MiB, default 100), reads it with {@link
 * EifFile}, and prints the peak heap the JVM saw. Run it at two sizes with the same small {@code
 * -Xmx} to show the reader's memory does not grow with the file, e.g. {@code java -Xmx48m -cp
 * bench/target/benchmarks.jar dev.nitroemu.bench.EifReadMemory 1024}.
 */
public final class EifReadMemory {
  private EifReadMemory() {}

  public static void main(String[] args) throws IOException {
    int sizeMib = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    Path dir = Files.createTempDirectory("eif-memory");
    try {
      Path kernel = Files.write(dir.resolve("kernel"), new byte[1 << 20]);
      Path bootstrap = Files.write(dir.resolve("bootstrap"), new byte[1 << 20]);
      Path customer = dir.resolve("customer");
      Random random = new Random(7);
      byte[] chunk = new byte[1 << 20];
      try (OutputStream out = Files.newOutputStream(customer)) {
        for (int i = 0; i < sizeMib - 2; i++) {
          random.nextBytes(chunk);
          out.write(chunk);
        }
      }
      Path image = dir.resolve("image.eif");
      EifWriter.builder()
          .kernel(kernel)
          .cmdline("console=ttyS0")
          .ramdisk(bootstrap)
          .ramdisk(customer)
          .buildTime("2025-01-01T00:00:00+00:00")
          .build()
          .write(image);
      System.gc();
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        pool.resetPeakUsage();
      }
      long start = System.nanoTime();
      EifFile eif = EifFile.read(image);
      double seconds = (System.nanoTime() - start) / 1e9;
      long peak = 0;
      for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
        if (pool.getType() == MemoryType.HEAP) {
          peak += pool.getPeakUsage().getUsed();
        }
      }
      System.out.printf(
          "EIF %d MiB: read in %.2f s (%.0f MB/s), peak heap %.1f MiB (max %d MiB), PCR0 %s...%n",
          sizeMib,
          seconds,
          Files.size(image) / seconds / 1e6,
          peak / 1048576.0,
          Runtime.getRuntime().maxMemory() >> 20,
          HexFormat.of().formatHex(eif.pcr0(), 0, 8));
    } finally {
      try (var files = Files.list(dir)) {
        for (Path file : (Iterable<Path>) files::iterator) {
          Files.delete(file);
        }
      }
      Files.delete(dir);
    }
  }
}
