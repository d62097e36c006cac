package dev.nitroemu.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * How the JUnit extension scales with the number of tests and classes (issue 14 item 4): it
 * generates test classes, compiles them with {@code javax.tools} and runs them in this JVM through
 * the JUnit Platform {@link Launcher}: one class of 1,000 tests and 100 classes of 10 tests, each
 * once with {@code @NitroEnclaveTest} (every test injected the {@code Nsm} and the {@code
 * EnclaveRuntimeInfo}; one emulated environment per class) and once as plain JUnit tests without
 * the extension, the same-run baseline. Every round runs the four suites one after the other (which
 * of a pair goes first alternates) and prints their wall times, the extra time per test and per
 * class; the first round of a fresh JVM includes class loading, as a build's first test run does.
 * The goals are the extension's own (junit-extension README): at most 2 ms added per test, at most
 * 300 ms to start an environment.
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar dev.nitroemu.bench.JUnitScaleCurve [rounds
 * [tests-in-one-class [classes [tests-per-class]]]]} (defaults 5, 1000, 100, 10); the last lines
 * are the medians of the rounds after the first. Needs a JDK (the system Java compiler). The
 * generated sources and classes go to a temporary directory, deleted at the end.
 */
public final class JUnitScaleCurve {
  private static final String PACKAGE = "generated.junitscale";

  private JUnitScaleCurve() {}

  /** A set of generated classes run together, and how many tests it holds. */
  private record Suite(String name, List<String> classNames, int tests) {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int oneClassTests = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int classes = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int testsPerClass = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    System.setProperty("nitro.mode", "emulated"); // never probe for /dev/nsm on the bench machine
    Path work = Files.createTempDirectory("junit-scale");
    try {
      Path sources = work.resolve("src");
      Path output = Files.createDirectories(work.resolve("classes"));
      List<Path> files = new ArrayList<>();
      Suite[][] layouts = {
        {
          generate(sources, files, "OnePlain", 1, oneClassTests, false),
          generate(sources, files, "OneNitro", 1, oneClassTests, true)
        },
        {
          generate(sources, files, "ManyPlain", classes, testsPerClass, false),
          generate(sources, files, "ManyNitro", classes, testsPerClass, true)
        }
      };
      long compileStart = System.nanoTime();
      compile(files, output);
      System.out.printf(
          Locale.ROOT,
          "generated and compiled %d classes in %.1f s (javax.tools, in this JVM)%n",
          files.size(),
          (System.nanoTime() - compileStart) / 1e9);
      System.out.println(
          "| round | layout | tests | plain JUnit | with `@NitroEnclaveTest` |"
              + " extra per test (goal <= 2 ms) | extra per class (an environment; goal <= 300 ms) |");
      System.out.println("|---|---|---|---|---|---|---|");
      Launcher launcher = LauncherFactory.create();
      try (URLClassLoader loader =
          new URLClassLoader(
              new URL[] {output.toUri().toURL()}, JUnitScaleCurve.class.getClassLoader())) {
        double[][][] times = new double[layouts.length][2][rounds];
        for (int round = 0; round < rounds; round++) {
          for (int l = 0; l < layouts.length; l++) {
            // Alternate which side goes first, so neither always runs on the other's warm JIT.
            int first = round % 2;
            times[l][first][round] = run(launcher, loader, layouts[l][first]);
            times[l][1 - first][round] = run(launcher, loader, layouts[l][1 - first]);
            printRow(
                String.valueOf(round + 1), layouts[l][1], times[l][0][round], times[l][1][round]);
          }
        }
        for (int l = 0; l < layouts.length && rounds > 1; l++) {
          printRow(
              "median of 2.." + rounds,
              layouts[l][1],
              medianAfterFirst(times[l][0]),
              medianAfterFirst(times[l][1]));
        }
      }
    } finally {
      try (Stream<Path> paths = Files.walk(work)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void printRow(String round, Suite nitroSuite, double plain, double nitro) {
    int classCount = nitroSuite.classNames().size();
    System.out.printf(
        Locale.ROOT,
        "| %s | %d class%s × %d | %,d | %.2f s | %.2f s | %.2f ms | %.1f ms |%n",
        round,
        classCount,
        classCount == 1 ? "" : "es",
        nitroSuite.tests() / classCount,
        nitroSuite.tests(),
        plain,
        nitro,
        (nitro - plain) * 1e3 / nitroSuite.tests(),
        (nitro - plain) * 1e3 / classCount);
  }

  /** The median of every value but the first (the round that loaded the classes). */
  private static double medianAfterFirst(double[] values) {
    double[] rest = Arrays.copyOfRange(values, 1, values.length);
    Arrays.sort(rest);
    int n = rest.length;
    return n % 2 == 1 ? rest[n / 2] : (rest[n / 2 - 1] + rest[n / 2]) / 2;
  }

  /** Writes {@code classes} test classes of {@code tests} tests each; the suite they make. */
  private static Suite generate(
      Path sources, List<Path> files, String prefix, int classes, int tests, boolean nitro)
      throws IOException {
    Path dir = Files.createDirectories(sources.resolve(PACKAGE.replace('.', '/')));
    List<String> names = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      String simpleName = String.format(Locale.ROOT, "%s%03dTest", prefix, c);
      StringBuilder java = new StringBuilder();
      java.append("package ").append(PACKAGE).append(";\n\n");
      java.append("import org.junit.jupiter.api.Test;\n");
      if (nitro) {
        java.append("import dev.nitroemu.enclave.Nsm;\n");
        java.append("import dev.nitroemu.junit.NitroEnclaveTest;\n");
        java.append("import dev.nitroemu.stack.EnclaveRuntimeInfo;\n\n");
        java.append("@NitroEnclaveTest\n");
      }
      java.append("class ").append(simpleName).append(" {\n");
      for (int t = 0; t < tests; t++) {
        java.append(String.format(Locale.ROOT, "  @Test\n  void test%04d(", t));
        if (nitro) {
          java.append("Nsm nsm, EnclaveRuntimeInfo info) {\n");
          java.append("    if (nsm == null || info == null) throw new AssertionError();\n");
        } else {
          java.append(") {\n");
        }
        java.append("  }\n");
      }
      java.append("}\n");
      Path file = dir.resolve(simpleName + ".java");
      Files.writeString(file, java);
      files.add(file);
      names.add(PACKAGE + "." + simpleName);
    }
    return new Suite(prefix, names, classes * tests);
  }

  private static void compile(List<Path> files, Path output) throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    KmsDecryptBenchmark.check(compiler != null, "a JDK with the system Java compiler runs this");
    StringWriter diagnostics = new StringWriter();
    try (StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = fileManager.getJavaFileObjectsFromPaths(files);
      List<String> options =
          List.of(
              "-proc:none",
              "-d",
              output.toString(),
              "-classpath",
              System.getProperty("java.class.path"));
      boolean ok = compiler.getTask(diagnostics, fileManager, null, options, null, units).call();
      if (!ok) {
        throw new IllegalStateException("generated tests did not compile:\n" + diagnostics);
      }
    }
  }

  /** Runs the suite's classes in one launcher request; the wall time in seconds. */
  private static double run(Launcher launcher, ClassLoader loader, Suite suite)
      throws ClassNotFoundException {
    List<DiscoverySelector> selectors = new ArrayList<>();
    for (String name : suite.classNames()) {
      selectors.add(selectClass(Class.forName(name, false, loader)));
    }
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    long start = System.nanoTime();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request().selectors(selectors).build(), listener);
    double seconds = (System.nanoTime() - start) / 1e9;
    TestExecutionSummary summary = listener.getSummary();
    if (summary.getTotalFailureCount() > 0 || summary.getTestsSucceededCount() != suite.tests()) {
      StringWriter failures = new StringWriter();
      summary.printFailuresTo(new PrintWriter(failures), 20);
      throw new IllegalStateException(
          suite.name()
              + ": "
              + summary.getTestsSucceededCount()
              + " of "
              + suite.tests()
              + " tests passed\n"
              + failures);
    }
    return seconds;
  }
}
