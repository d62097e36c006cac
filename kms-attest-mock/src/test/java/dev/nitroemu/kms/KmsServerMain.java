package dev.nitroemu.kms;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Runs a {@link KmsMockServer} in its own JVM for {@link KmsLoadTest}, so that the server's heap
 * can be bounded ({@code -Xmx128m}) and measured apart from the clients.
 *
 * <p>Protocol on stdin/stdout: prints {@code PORT <port>} when serving; on a {@code stop} line (or
 * end of input) closes the server and prints {@code AUDIT <recorded events>}, {@code HEAP_MAX
 * <bytes>} and {@code HEAP_PEAK <bytes>} (the sum of the heap pools' peak usage), then exits.
 */
public final class KmsServerMain {
  private KmsServerMain() {}

  /** {@code args[0]}: the audit file. */
  public static void main(String[] args) throws Exception {
    KmsMockServer server = KmsMockServer.builder().auditFile(Path.of(args[0])).build().start();
    System.out.println("PORT " + server.port());
    System.out.flush();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null && !line.equals("stop"); line = in.readLine()) {
      // Only "stop" means something.
    }
    long recorded = server.auditLog().recordedCount();
    server.close();
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.println("AUDIT " + recorded);
    System.out.println(
        "HEAP_MAX " + ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax());
    System.out.println("HEAP_PEAK " + peak);
    System.out.flush();
  }
}
