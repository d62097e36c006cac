package dev.nitroemu.bench;

import dev.nitroemu.container.EnclaveContainer;
import dev.nitroemu.container.JavaEnclaveImage;
import dev.nitroemu.enclave.VsockConnection;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Time from {@link EnclaveContainer#start()} to the first vsock round trip with the enclave app
 * (the probe app of {@code enclave-probe-app}, a Java enclave on a jlink'd runtime in a {@code FROM
 * scratch} image), over {@code runs} fresh containers: prints each run, then the median, min and
 * max. A bounded program (each run waits at most 120 s), not part of {@code mvn verify}; needs
 * Docker.
 *
 * <p>Usage, from the repository root after {@code mvn -B -q -pl bench -am -DskipTests package}:
 * {@code java -cp bench/target/benchmarks.jar dev.nitroemu.bench.EnclaveStartupTime [runs] [probe
 * classes dir] [probe app-lib dir]} (defaults: 10, {@code enclave-probe-app/target/classes}, {@code
 * enclave-probe-app/target/app-lib}).
 */
public final class EnclaveStartupTime {

  private static final long PROBE_PORT = 5000;
  private static final long RUN_BOUND_NANOS = 120_000_000_000L;

  private EnclaveStartupTime() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Path classes = Path.of(args.length > 1 ? args[1] : "enclave-probe-app/target/classes");
    Path lib = Path.of(args.length > 2 ? args[2] : "enclave-probe-app/target/app-lib");
    if (runs < 1 || runs > 100 || !Files.isDirectory(classes) || !Files.isDirectory(lib)) {
      System.err.println(
          "usage: EnclaveStartupTime [runs 1..100] [probe classes dir] [probe app-lib dir]"
              + " (build them with mvn -B -q -pl enclave-probe-app -am -DskipTests package)");
      System.exit(2);
    }
    ImageFromDockerfile image =
        JavaEnclaveImage.builder("dev.nitroemu.probe.ProbeEnclave")
            .classes(classes)
            .jars(lib)
            .name("nitro-emu-bench/probe:startup")
            .cacheDirectory(
                Path.of(System.getProperty("java.io.tmpdir"), "nitro-emu-container-cache"))
            .build();
    image.get(); // built before the clock starts: the measurement is the enclave's start, not the
    // image's
    double[] startReturned = new double[runs];
    double[] firstRoundTrip = new double[runs];
    for (int i = 0; i < runs; i++) {
      try (EnclaveContainer enclave = new EnclaveContainer(image)) {
        long begin = System.nanoTime();
        enclave.start();
        startReturned[i] = millisSince(begin);
        roundTrip(enclave, begin);
        firstRoundTrip[i] = millisSince(begin);
        System.out.printf(
            "run %2d: start() returned after %7.1f ms, first round trip after %7.1f ms%n",
            i + 1, startReturned[i], firstRoundTrip[i]);
      }
    }
    System.out.printf(
        "start() to the first vsock round trip over %d runs: median %.1f ms, min %.1f ms,"
            + " max %.1f ms (start() alone: median %.1f ms)%n",
        runs,
        median(firstRoundTrip),
        Arrays.stream(firstRoundTrip).min().orElseThrow(),
        Arrays.stream(firstRoundTrip).max().orElseThrow(),
        median(startReturned));
  }

  /** One ECHO exchange with the probe, retried until the app listens (bounded). */
  private static void roundTrip(EnclaveContainer enclave, long begin)
      throws IOException, InterruptedException {
    byte[] payload = {1, 2, 3, 4};
    List<IOException> failures = new ArrayList<>();
    while (System.nanoTime() - begin < RUN_BOUND_NANOS) {
      try (VsockConnection connection = enclave.connect(PROBE_PORT)) {
        DataOutputStream out = new DataOutputStream(connection.outputStream());
        out.writeUTF("ECHO");
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
        DataInputStream in = new DataInputStream(connection.inputStream());
        byte[] answer = in.readNBytes(in.readInt());
        if (!Arrays.equals(answer, payload)) {
          throw new IOException("the probe echoed " + Arrays.toString(answer));
        }
        return;
      } catch (IOException notYet) {
        if (failures.size() < 3) {
          failures.add(notYet);
        }
        Thread.sleep(5);
      }
    }
    IOException timeout = new IOException("no round trip within 120 s");
    failures.forEach(timeout::addSuppressed);
    throw timeout;
  }

  private static double millisSince(long begin) {
    return (System.nanoTime() - begin) / 1e6;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
