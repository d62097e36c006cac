package dev.nitroemu.bench;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the benchmarks with JMH and prints each one as a ratio to the raw baseline measured in the
 * same run (e.g. attestation documents per second / raw ES384 signatures per second).
 *
 * <p>Arguments are JMH's own (e.g. {@code -f 1 -wi 3 -i 5 AttestationBenchmark}).
 */
public final class BenchRatios {
  private BenchRatios() {}

  /** Which benchmark is compared against which baseline, and the goal. */
  private static final String[][] RATIOS = {
    // Issue 14's goals: AWS-LC (ACCP) where it loads, at least SunEC's own speed without it.
    {"AttestationBenchmark.attestAccp", "AttestationBenchmark.rawSign", ">= 3.0"},
    {"AttestationBenchmark.attestJca", "AttestationBenchmark.rawSign", ">= 0.9"},
    {"AttestationBenchmark.attestJdk", "AttestationBenchmark.rawSign", "-"},
    {"AttestationBenchmark.rawSignAccp", "AttestationBenchmark.rawSign", "-"},
    {"VerifyBenchmark.verifyWarmAccp", "VerifyBenchmark.rawVerify", ">= 2.5"},
    {"VerifyBenchmark.verifyWarmJca", "VerifyBenchmark.rawVerify", ">= 0.9"},
    {"VerifyBenchmark.verifyWarmJdk", "VerifyBenchmark.rawVerify", "-"},
    {"VerifyBenchmark.rawVerifyAccp", "VerifyBenchmark.rawVerify", "-"},
    {"VerifyBenchmark.verifyCold", "VerifyBenchmark.rawVerify", "-"},
    {"VsockStreamBenchmark.vsock", "VsockStreamBenchmark.rawTcp", "0.90"},
    {"HybridVsockStreamBenchmark.hybridVsock", "HybridVsockStreamBenchmark.rawUnix", ">= 0.9"},
    {"VsockProxyBenchmark.proxyStream", "VsockProxyBenchmark.rawTcpStream", ">= 0.9"},
    {"VsockProxyBenchmark.relayStream", "VsockProxyBenchmark.rawTcpStream", "-"},
    {"VsockProxyBenchmark.proxyStream", "VsockProxyBenchmark.relayStream", "-"},
    {"VsockProxyBenchmark.proxyConnect", "VsockProxyBenchmark.rawTcpConnect", "-"},
    {"VsockNsmBenchmark.remoteAttest", "VsockNsmBenchmark.inProcessAttest", "0.80"},
    {"KmsDecryptBenchmark.mockDecrypt", "KmsDecryptBenchmark.bareNetty", ">= 0.6"},
    {
      "KmsDecryptBenchmark.mockDecryptWithRecipient",
      "KmsDecryptBenchmark.bareNetty",
      "ops/s >= 600 (ACCP)"
    },
    {"KmsSignBenchmark.mockSign", "KmsSignBenchmark.rawSign", "0.50"},
    {"EifReadBenchmark.readEif", "EifReadBenchmark.plainSha384", "0.90"},
  };

  public static void main(String[] args) throws RunnerException, Exception {
    CommandLineOptions cli = new CommandLineOptions(args);
    if (cli.shouldList()
        || cli.shouldListWithParams()
        || cli.shouldHelp()
        || cli.shouldListProfilers()) {
      org.openjdk.jmh.Main.main(args); // -l, -lp, -h, -lprof: JMH's own answers, nothing to run
      return;
    }
    Options options = new OptionsBuilder().parent(cli).build();
    Collection<RunResult> results = new Runner(options).run();
    Map<String, double[]> scores = new LinkedHashMap<>();
    for (RunResult r : results) {
      String label = r.getParams().getBenchmark();
      label = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1);
      scores.put(
          label,
          new double[] {r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError()});
    }
    System.out.println();
    System.out.println("| benchmark | ops/s | baseline | baseline ops/s | ratio | goal |");
    System.out.println("|---|---|---|---|---|---|");
    for (String[] row : RATIOS) {
      double[] subject = scores.get(row[0]);
      double[] baseline = scores.get(row[1]);
      if (subject == null || baseline == null) {
        continue;
      }
      System.out.printf(
          Locale.ROOT,
          "| %s | %.0f ± %.0f | %s | %.0f ± %.0f | %.2f | %s |%n",
          row[0],
          subject[0],
          subject[1],
          row[1],
          baseline[0],
          baseline[1],
          subject[0] / baseline[0],
          row[2]);
    }
  }
}
