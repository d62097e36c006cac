package dev.nitroemu.enclavetests;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclavetests.internal.CommandArguments;
import dev.nitroemu.enclavetests.internal.CommandArguments.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The test runner inside the enclave: fetches its {@link EnclaveBootstrap} from the parent, runs
 * the selected test classes on the JUnit Platform, and streams every result to the parent's {@link
 * ResultCollector} with a {@link VsockResultStreamer}.
 *
 * <p>The same main runs in the nightly enclave image (nitro.mode=real, AF_VSOCK) and in the local
 * rehearsal (a child JVM with nitro.mode=emulated and {@code NITRO_VSOCK_MAP}). Console output
 * exists only in debug-mode enclaves, so the stream is what counts; the exit code says the same:
 * {@value #EXIT_PASSED} all passed and delivered, {@value #EXIT_FAILED} a test failed, {@value
 * #EXIT_USAGE} bad arguments, {@value #EXIT_UNDELIVERED} the bootstrap or the result stream failed,
 * {@value #EXIT_NO_TESTS} nothing was selected.
 */
public final class EnclaveTestRunner {

  /** The package run when no selector is given: the conformance suites. */
  public static final String DEFAULT_PACKAGE = "dev.nitroemu.enclavetests.conformance";

  /** How long to wait for the parent's bootstrap server by default. */
  public static final Duration DEFAULT_BOOTSTRAP_TIMEOUT = Duration.ofSeconds(60);

  public static final int EXIT_PASSED = 0;
  public static final int EXIT_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_UNDELIVERED = 3;
  public static final int EXIT_NO_TESTS = 4;

  static final String USAGE =
      String.join(
          "\n",
          "usage: EnclaveTestRunner [--select-package NAME]... [--select-class NAME]... [--select-method CLASS#METHOD]...",
          "                         [--include-tag EXPR]... [--exclude-tag EXPR]... [--config KEY=VALUE]...",
          "                         [--results vsock://CID:PORT] [--bootstrap vsock://CID:PORT] [--bootstrap-timeout 60s]",
          "  default selection: --select-package " + DEFAULT_PACKAGE,
          "  --results   defaults to nitro.results.address / NITRO_RESULTS_ADDRESS (none: results are only printed)",
          "  --bootstrap defaults to nitro.bootstrap.address / NITRO_BOOTSTRAP_ADDRESS (none: no bootstrap)",
          "  transport: nitro.mode / NITRO_MODE (real: AF_VSOCK; emulated: NITRO_VSOCK_MAP)",
          "  exit: 0 passed, 1 a test failed, 2 usage, 3 bootstrap or result stream failed, 4 no tests");

  private static final Set<String> OPTIONS =
      Set.of(
          "select-package",
          "select-class",
          "select-method",
          "include-tag",
          "exclude-tag",
          "config",
          "results",
          "bootstrap",
          "bootstrap-timeout");

  private EnclaveTestRunner() {}

  /** Runs and exits with the code described on the class. */
  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    System.exit(run(Arrays.asList(args), out, System.err, Clock.systemUTC()));
  }

  /** Runs with the transport of the configured {@code nitro.mode}; returns the exit code. */
  public static int run(List<String> args, PrintStream out, PrintStream err, Clock clock) {
    NitroMode mode;
    VsockTransport transport;
    try {
      mode = NitroMode.current();
      transport = VsockTransport.forMode(mode);
    } catch (IOException | IllegalArgumentException e) {
      err.println("nitro runner: " + e.getMessage());
      return EXIT_UNDELIVERED;
    }
    try {
      return run(args, transport, mode, out, err, clock);
    } finally {
      if (transport instanceof AutoCloseable closeable) {
        Closeables.closeQuietly(closeable); // The results are delivered or the failure is reported.
      }
    }
  }

  /** Runs over a given transport (the seam tests use); returns the exit code. */
  public static int run(
      List<String> args,
      VsockTransport transport,
      NitroMode mode,
      PrintStream out,
      PrintStream err,
      Clock clock) {
    LauncherDiscoveryRequest request;
    VsockAddress results;
    VsockAddress bootstrapAddress;
    Duration bootstrapTimeout;
    try {
      CommandArguments arguments = CommandArguments.parse(args, OPTIONS, Set.of());
      request = discoveryRequest(arguments);
      results = address(arguments.one("results"), VsockResultStreamer.configuredAddress());
      bootstrapAddress = address(arguments.one("bootstrap"), EnclaveBootstrap.configuredAddress());
      bootstrapTimeout = arguments.duration("bootstrap-timeout", DEFAULT_BOOTSTRAP_TIMEOUT);
    } catch (UsageException | IllegalArgumentException e) {
      err.println("nitro runner: " + e.getMessage());
      err.println(USAGE);
      return EXIT_USAGE;
    }
    String modeName = mode.name().toLowerCase(Locale.ROOT);
    if (bootstrapAddress != null) {
      try {
        EnclaveBootstrap bootstrap =
            EnclaveBootstrap.fetch(transport, bootstrapAddress, bootstrapTimeout, clock);
        bootstrap.applyToSystemProperties();
        out.println(
            "nitro runner: bootstrap from "
                + bootstrapAddress
                + ": credentials "
                + (bootstrap.credentials() == null ? "none" : "received")
                + ", properties "
                + bootstrap.properties().keySet());
      } catch (IOException e) {
        err.println("nitro runner: no bootstrap from " + bootstrapAddress + ": " + e.getMessage());
        return EXIT_UNDELIVERED;
      }
    }
    Launcher launcher =
        LauncherFactory.create(
            LauncherConfig.builder().enableTestExecutionListenerAutoRegistration(false).build());
    TestPlan plan = launcher.discover(request);
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    VsockResultStreamer streamer =
        results == null ? null : new VsockResultStreamer(transport, results, mode, clock);
    out.println(
        "nitro runner: mode "
            + modeName
            + ", "
            + plan.countTestIdentifiers(t -> t.isTest())
            + " tests, results "
            + (results == null ? "not streamed" : "to " + results));
    if (streamer == null) {
      launcher.execute(plan, summary);
    } else {
      launcher.execute(plan, summary, streamer);
    }
    TestExecutionSummary totals = summary.getSummary();
    PrintWriter writer = new PrintWriter(out, true);
    totals.printTo(writer);
    totals.printFailuresTo(writer, 25);
    writer.flush();
    long failed = totals.getTotalFailureCount();
    if (failed > 0) {
      return EXIT_FAILED;
    }
    Optional<IOException> streamFailure = streamer == null ? Optional.empty() : streamer.failure();
    if (streamFailure.isPresent()) {
      err.println("nitro runner: results were not delivered: " + streamFailure.get().getMessage());
      return EXIT_UNDELIVERED;
    }
    return totals.getTestsFoundCount() == 0 ? EXIT_NO_TESTS : EXIT_PASSED;
  }

  private static LauncherDiscoveryRequest discoveryRequest(CommandArguments arguments)
      throws UsageException {
    List<DiscoverySelector> selectors = new ArrayList<>();
    arguments
        .all("select-package")
        .forEach(name -> selectors.add(DiscoverySelectors.selectPackage(name)));
    arguments
        .all("select-class")
        .forEach(name -> selectors.add(DiscoverySelectors.selectClass(name)));
    arguments
        .all("select-method")
        .forEach(name -> selectors.add(DiscoverySelectors.selectMethod(name)));
    if (selectors.isEmpty()) {
      selectors.add(DiscoverySelectors.selectPackage(DEFAULT_PACKAGE));
    }
    Map<String, String> config = new LinkedHashMap<>();
    for (String pair : arguments.all("config")) {
      int equals = pair.indexOf('=');
      if (equals <= 0) {
        throw new UsageException("--config takes KEY=VALUE, was '" + pair + "'");
      }
      config.put(pair.substring(0, equals), pair.substring(equals + 1));
    }
    LauncherDiscoveryRequestBuilder builder =
        LauncherDiscoveryRequestBuilder.request()
            .selectors(selectors)
            .configurationParameters(config);
    if (!arguments.all("include-tag").isEmpty()) {
      builder.filters(TagFilter.includeTags(arguments.all("include-tag")));
    }
    if (!arguments.all("exclude-tag").isEmpty()) {
      builder.filters(TagFilter.excludeTags(arguments.all("exclude-tag")));
    }
    return builder.build();
  }

  private static VsockAddress address(String given, Optional<VsockAddress> configured) {
    return given != null ? VsockAddress.parse(given.trim()) : configured.orElse(null);
  }
}
