package dev.nitroemu.enclavetests;

import dev.nitroemu.enclave.Closeables;
import dev.nitroemu.enclave.Frames;
import dev.nitroemu.enclave.NitroMode;
import dev.nitroemu.enclave.NitroSettings;
import dev.nitroemu.enclave.VsockAddress;
import dev.nitroemu.enclave.VsockConnection;
import dev.nitroemu.enclave.VsockTransport;
import dev.nitroemu.enclavetests.internal.ParentConnector;
import dev.nitroemu.enclavetests.internal.ResultCodec;
import dev.nitroemu.enclavetests.internal.ResultEvent;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * A JUnit Platform listener that streams every test result over vsock to a {@link ResultCollector},
 * as length-prefixed JSON frames on one connection per run.
 *
 * <p>Registered through {@code META-INF/services}, it stays inert unless the collector address is
 * configured: the JUnit configuration parameter or system property {@value #ADDRESS_PROPERTY}, else
 * the environment variable {@value #ADDRESS_ENVIRONMENT_VARIABLE} (e.g. {@code vsock://3:5005}).
 * The transport follows {@code nitro.mode}: AF_VSOCK in an enclave, the emulated network (with
 * {@code NITRO_VSOCK_MAP}) elsewhere. {@link EnclaveTestRunner} constructs it explicitly instead.
 *
 * <p>It reports each test, and each container that failed or was skipped as a whole (a failing
 * {@code @BeforeAll}, a class-level condition), so no outcome goes unreported; a test's report
 * entries ({@code TestReporter.publishEntry}) travel with it and land in the XML's {@code
 * system-out}. A stream that breaks is reported once on standard error and by {@link #failure()};
 * the tests keep running.
 */
public final class VsockResultStreamer implements TestExecutionListener {

  /** Configuration parameter and system property naming the collector address. */
  public static final String ADDRESS_PROPERTY = "nitro.results.address";

  /** Environment variable naming the collector address when the property is not set. */
  public static final String ADDRESS_ENVIRONMENT_VARIABLE = "NITRO_RESULTS_ADDRESS";

  /** How long to keep retrying a refused connection (the collector may still be starting). */
  public static final Duration CONNECT_DEADLINE = Duration.ofSeconds(30);

  private final VsockTransport givenTransport;
  private final VsockAddress givenAddress;
  private final NitroMode givenMode;
  private final Clock clock;
  private final Map<String, Instant> starts = new ConcurrentHashMap<>();
  private final Map<String, StringBuilder> outputs = new ConcurrentHashMap<>();
  private VsockTransport ownedTransport;
  private VsockConnection connection;
  private TestPlan plan;
  private IOException failure;
  private int sent;
  private int failures;
  private int skipped;

  /** The service-loaded form: configured from the environment when a run starts. */
  public VsockResultStreamer() {
    this.givenTransport = null;
    this.givenAddress = null;
    this.givenMode = null;
    this.clock = Clock.systemUTC();
  }

  /**
   * A streamer to {@code collector} through {@code transport}, labelling the run with {@code mode}.
   */
  public VsockResultStreamer(
      VsockTransport transport, VsockAddress collector, NitroMode mode, Clock clock) {
    this.givenTransport = Objects.requireNonNull(transport, "transport");
    this.givenAddress = Objects.requireNonNull(collector, "collector");
    this.givenMode = Objects.requireNonNull(mode, "mode");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The collector address configured in this process, if any (property, then environment). */
  public static Optional<VsockAddress> configuredAddress() {
    return NitroSettings.system().get(ADDRESS_PROPERTY).map(VsockAddress::parse);
  }

  /** Why streaming stopped, if it did; empty while everything was delivered. */
  public synchronized Optional<IOException> failure() {
    return Optional.ofNullable(failure);
  }

  /** How many results were sent so far. */
  public synchronized int sentResults() {
    return sent;
  }

  @Override
  public synchronized void testPlanExecutionStarted(TestPlan testPlan) {
    this.plan = testPlan;
    VsockAddress address = givenAddress;
    NitroMode mode = givenMode;
    try {
      if (address == null) {
        // JUnit configuration parameters: explicit ones, else system properties, else
        // junit-platform.properties.
        NitroSettings settings =
            NitroSettings.of(
                key -> testPlan.getConfigurationParameters().get(key).orElse(null), System::getenv);
        address = settings.get(ADDRESS_PROPERTY).map(VsockAddress::parse).orElse(null);
        if (address == null) {
          return;
        }
        mode = settings.mode();
        ownedTransport = VsockTransport.forMode(mode);
      }
      connection = connect(givenTransport != null ? givenTransport : ownedTransport, address);
      int planned =
          (int) Math.min(Integer.MAX_VALUE, testPlan.countTestIdentifiers(TestIdentifier::isTest));
      send(
          new ResultEvent.RunStarted(
              UUID.randomUUID().toString(),
              mode.name().toLowerCase(Locale.ROOT),
              planned,
              clock.instant().toString()));
    } catch (IOException | RuntimeException e) {
      fail(e instanceof IOException io ? io : new IOException(e.getMessage(), e), address);
    }
  }

  @Override
  public void executionStarted(TestIdentifier identifier) {
    starts.put(identifier.getUniqueId(), clock.instant());
  }

  /** Keeps a test's report entries ({@code TestReporter.publishEntry}) as its output lines. */
  @Override
  public void reportingEntryPublished(TestIdentifier identifier, ReportEntry entry) {
    StringBuilder lines =
        outputs.computeIfAbsent(identifier.getUniqueId(), id -> new StringBuilder());
    synchronized (lines) {
      entry
          .getKeyValuePairs()
          .forEach(
              (key, value) -> {
                if (lines.length() <= TestResult.MAX_OUTPUT_LENGTH) {
                  lines.append(key).append(" = ").append(value).append('\n');
                }
              });
    }
  }

  @Override
  public synchronized void executionSkipped(TestIdentifier identifier, String reason) {
    report(identifier, TestStatus.SKIPPED, null, reason);
  }

  @Override
  public synchronized void executionFinished(
      TestIdentifier identifier, TestExecutionResult result) {
    TestExecutionResult.Status status = result.getStatus();
    if (!identifier.isTest() && status == TestExecutionResult.Status.SUCCESSFUL) {
      return;
    }
    Throwable thrown = result.getThrowable().orElse(null);
    TestStatus mapped;
    if (status == TestExecutionResult.Status.SUCCESSFUL) {
      mapped = TestStatus.SUCCESSFUL;
    } else if (status == TestExecutionResult.Status.ABORTED) {
      mapped = TestStatus.ABORTED;
    } else {
      mapped = thrown instanceof AssertionError ? TestStatus.FAILED : TestStatus.ERROR;
    }
    report(identifier, mapped, thrown, thrown == null ? null : thrown.getMessage());
  }

  @Override
  public synchronized void testPlanExecutionFinished(TestPlan testPlan) {
    try {
      if (connection != null && failure == null) {
        send(new ResultEvent.RunFinished(sent, failures, skipped, clock.instant().toString()));
        connection.shutdownOutput();
      }
    } catch (IOException e) {
      fail(e, connection.remoteAddress());
    } finally {
      release();
    }
  }

  private void report(
      TestIdentifier identifier, TestStatus status, Throwable thrown, String message) {
    if (connection == null || failure != null) {
      outputs.remove(identifier.getUniqueId());
      return;
    }
    Instant start = starts.remove(identifier.getUniqueId());
    long millis = start == null ? 0 : Duration.between(start, clock.instant()).toMillis();
    StringBuilder lines = outputs.remove(identifier.getUniqueId());
    String output = null;
    if (lines != null) {
      synchronized (lines) {
        output = lines.toString();
      }
    }
    TestResult result =
        TestResult.bounded(
            identifier.getUniqueId(),
            className(identifier),
            identifier.getLegacyReportingName(),
            identifier.getDisplayName(),
            status,
            millis,
            thrown == null ? null : thrown.getClass().getName(),
            message,
            thrown == null ? null : stackTrace(thrown),
            output);
    try {
      send(new ResultEvent.TestFinished(result));
      sent++;
      failures += status.isFailure() ? 1 : 0;
      skipped += status.isSkipped() ? 1 : 0;
    } catch (IOException e) {
      fail(e, connection.remoteAddress());
    }
  }

  private String className(TestIdentifier identifier) {
    Optional<TestIdentifier> current = Optional.of(identifier);
    while (current.isPresent()) {
      TestSource source = current.get().getSource().orElse(null);
      if (source instanceof MethodSource method) {
        return method.getClassName();
      }
      if (source instanceof ClassSource type) {
        return type.getClassName();
      }
      current = plan == null ? Optional.empty() : plan.getParent(current.get());
    }
    return identifier.getDisplayName();
  }

  private void send(ResultEvent event) throws IOException {
    Frames.write(connection.outputStream(), ResultCodec.encode(event));
  }

  private VsockConnection connect(VsockTransport transport, VsockAddress address)
      throws IOException {
    return ParentConnector.connect(
        transport,
        address,
        VsockTransport.DEFAULT_CONNECT_TIMEOUT,
        clock.instant().plus(CONNECT_DEADLINE),
        clock,
        "the result collector");
  }

  private void fail(IOException e, VsockAddress address) {
    if (failure == null) {
      failure = e;
      System.err.println(
          "nitro results: cannot stream to the collector at " + address + ": " + e.getMessage());
    }
    release();
  }

  /**
   * Closes after the run, quietly: the results are already sent or the failure is already recorded.
   */
  private void release() {
    Closeables.closeQuietly(connection);
    if (ownedTransport instanceof AutoCloseable closeable) {
      Closeables.closeQuietly(closeable);
    }
    ownedTransport = null;
  }

  private static String stackTrace(Throwable thrown) {
    StringWriter text = new StringWriter();
    thrown.printStackTrace(new PrintWriter(text));
    return text.toString();
  }
}
