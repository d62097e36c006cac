package dev.nitroemu.bench;

import dev.nitroemu.enclave.HybridVsockTransport;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NsmCodec;
import dev.nitroemu.enclave.NsmResponse;
import dev.nitroemu.enclave.RemoteNsm;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.stack.EnclaveEnvironment;
import dev.nitroemu.stack.HybridVsockServices;
import dev.nitroemu.supervisor.SupervisorBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What nitro-emu-init costs an unmodified C enclave program, in alternating rounds in one run: NSM
 * attestations/s through the supervisor (a C ioctl loop) ÷ the same request bytes from Java's
 * {@link RemoteNsm} over hybrid vsock (goal ≥ 0.8), and 64-byte vsock echo round trips/s through
 * the supervisor ÷ the same C loop over a Unix socket pair (goal ≥ 0.5).
 *
 * <p>Run (after {@code mvn -B -q -pl bench -am -DskipTests package}): {@code java -cp
 * bench/target/benchmarks.jar dev.nitroemu.bench.SupervisorCost [rounds] [probe]}, where probe is
 * the C program the bench build compiles ({@code bench/target/native/vsock-server-probe}). Prints
 * each round and the median ratios.
 */
public final class SupervisorCost {

  private static final int ATTESTATIONS = 1_000;
  private static final int ROUND_TRIPS = 50_000;
  private static final long ECHO_PORT = 5300;
  private static final long PROCESS_WAIT_SECONDS = 300;

  /** The probe's nsm-loop request: Attestation with a 16-byte nonce, no user data, no key. */
  private static final byte[] ATTESTATION = {
    (byte) 0xa1,
    0x6b,
    'A',
    't',
    't',
    'e',
    's',
    't',
    'a',
    't',
    'i',
    'o',
    'n',
    (byte) 0xa3,
    0x69,
    'u',
    's',
    'e',
    'r',
    '_',
    'd',
    'a',
    't',
    'a',
    (byte) 0xf6,
    0x65,
    'n',
    'o',
    'n',
    'c',
    'e',
    0x50,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    0x6a,
    'p',
    'u',
    'b',
    'l',
    'i',
    'c',
    '_',
    'k',
    'e',
    'y',
    (byte) 0xf6
  };

  private SupervisorCost() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path probe = Path.of(args.length > 1 ? args[1] : "bench/target/native/vsock-server-probe");
    if (!Files.isExecutable(probe) || SupervisorBinary.unavailableReason().isPresent()) {
      System.err.println(
          "cannot run: "
              + SupervisorBinary.unavailableReason()
                  .orElse("no C probe at " + probe.toAbsolutePath()));
      System.exit(2);
    }
    Path directory = Files.createTempDirectory("supervisor-cost");
    Path supervisor = SupervisorBinary.extractTo(directory);
    Path vsock = Files.createDirectories(directory.resolve("vsock"));
    try (EnclaveEnvironment environment =
            EnclaveEnvironment.builder().mode(NitroMode.EMULATED).start();
        HybridVsockServices services = HybridVsockServices.serve(environment, vsock, 16);
        HybridVsockTransport enclaveSide =
            HybridVsockTransport.enclave(vsock, HybridVsockTransport.DEFAULT_BASE_NAME, 16);
        RemoteNsm javaNsm =
            RemoteNsm.connect(enclaveSide, VsockAddress.of(VsockAddress.CID_PARENT, 9797))) {
      Process echoServer =
          new ProcessBuilder(
                  probe.toString(),
                  "echo-serve-unix",
                  vsock.resolve("vsock_" + ECHO_PORT).toString())
              .redirectErrorStream(true)
              .start();
      try {
        waitForFile(vsock.resolve("vsock_" + ECHO_PORT));
        List<String> supervised =
            List.of(supervisor.toString(), "--vsock-dir", vsock.toString(), "--", probe.toString());
        if (!(NsmCodec.decodeResponse(javaNsm.process(ATTESTATION))
            instanceof NsmResponse.Attestation)) {
          throw new IllegalStateException("the NSM did not answer the request with a document");
        }
        double[] nsmRatios = new double[rounds];
        double[] echoRatios = new double[rounds];
        for (int round = -1; round < rounds; round++) { // round -1 warms up both sides
          double nsmSupervised =
              ATTESTATIONS / seconds(run(supervised, "nsm-loop", Integer.toString(ATTESTATIONS)));
          double nsmJava = ATTESTATIONS / javaAttestations(javaNsm);
          double echoSupervised =
              ROUND_TRIPS
                  / seconds(
                      run(
                          supervised,
                          "echo-loop",
                          Long.toString(ECHO_PORT),
                          Integer.toString(ROUND_TRIPS)));
          double echoPair =
              ROUND_TRIPS
                  / seconds(
                      run(List.of(probe.toString()), "pair-loop", Integer.toString(ROUND_TRIPS)));
          String label = round < 0 ? "warm-up" : "round " + (round + 1);
          System.out.printf(
              Locale.ROOT,
              "%s: NSM %.1f/s supervised, %.1f/s Java (%.2f); echo %.0f/s supervised, %.0f/s"
                  + " socket pair (%.2f)%n",
              label,
              nsmSupervised,
              nsmJava,
              nsmSupervised / nsmJava,
              echoSupervised,
              echoPair,
              echoSupervised / echoPair);
          if (round >= 0) {
            nsmRatios[round] = nsmSupervised / nsmJava;
            echoRatios[round] = echoSupervised / echoPair;
          }
        }
        System.out.printf(
            Locale.ROOT,
            "median NSM supervised ÷ Java: %.2f (goal >= 0.8); median echo supervised ÷ socket"
                + " pair: %.2f (goal >= 0.5)%n",
            median(nsmRatios),
            median(echoRatios));
      } finally {
        echoServer.destroy();
        echoServer.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static double javaAttestations(RemoteNsm nsm) {
    long start = System.nanoTime();
    for (int i = 0; i < ATTESTATIONS; i++) {
      nsm.process(ATTESTATION);
    }
    return (System.nanoTime() - start) / 1e9;
  }

  /** Runs the probe with {@code args} after {@code prefix}; the nanoseconds it printed. */
  private static long run(List<String> prefix, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(prefix);
    command.addAll(Arrays.asList(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(PROCESS_WAIT_SECONDS, TimeUnit.SECONDS)
        || process.exitValue() != 0
        || output.contains("last-response other")) {
      process.destroyForcibly();
      throw new IllegalStateException(command + " failed: " + output);
    }
    for (String line : output.split("\n")) {
      if (line.startsWith("nanos ")) {
        return Long.parseLong(line.substring(6).trim());
      }
    }
    throw new IllegalStateException(command + " printed no time: " + output);
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static void waitForFile(Path file) throws InterruptedException {
    for (int i = 0; i < 500 && !Files.exists(file); i++) {
      Thread.sleep(10);
    }
    if (!Files.exists(file)) {
      throw new IllegalStateException("the echo server did not create " + file);
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }
}
